"""The v1 API token: one active per account, stored as prefix + SHA-256 (as Tling keys are)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q


class ApiToken(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="v1_tokens")
    prefix = models.CharField(max_length=16, unique=True)
    key_hash = models.CharField(max_length=64)
    # Enough to show the masked token again: its length and its last four characters.
    length = models.PositiveSmallIntegerField()
    last4 = models.CharField(max_length=4)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "v1 API token"
        constraints = [
            # Generating a token revokes the previous one; the database keeps it at one.
            models.UniqueConstraint(fields=["user"], condition=Q(revoked_at__isnull=True), name="v1_token_one_active"),
        ]

    def __str__(self) -> str:
        return f"v1 token …{self.last4} ({self.user_id})"

    @property
    def masked(self) -> str:
        return "*" * (self.length - 4) + self.last4
