"""The SMS that follows a call of an ``SMS & PHONE`` campaign (docs/api/API_CONTRACT_V1.md §4 failover).

One row per attempt at most (the unique attempt is what makes it exactly once): created
in the transaction that records the call's final outcome, when that outcome is one of
the campaign's ``failover_target`` statuses. Its status only moves forward
(queued → sending → sent → completed/failed), like an attempt's.

``queued_at``, ``claimed_at`` and ``tries`` are for the runs sweep (``failover`` job):
a queued row nobody claimed (the task was lost) is published again, one left in
``sending`` (the worker died around the provider call) is settled from the
provider's record, never blindly sent again.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class FailoverSms(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued"
        SENDING = "sending"  # claimed: held, the provider is being (or was) called
        SENT = "sent"
        COMPLETED = "completed"  # delivered
        FAILED = "failed"

    FINAL = (Status.COMPLETED, Status.FAILED)

    attempt = models.OneToOneField("campaigns.Attempt", on_delete=models.CASCADE, related_name="failover_sms")
    recipient = models.ForeignKey("campaigns.Recipient", on_delete=models.CASCADE, related_name="failover_sms")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    to = models.CharField(max_length=20)
    sender = models.CharField(max_length=20, blank=True, default="")
    text = models.TextField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    share = models.PositiveBigIntegerField(default=0, help_text="credits held for it")
    charged = models.PositiveBigIntegerField(default=0)
    released = models.PositiveBigIntegerField(default=0)
    provider_id = models.CharField(max_length=64, blank=True, default="")
    provider_status = models.CharField(max_length=32, blank=True, default="")
    error = models.CharField(max_length=255, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    queued_at = models.DateTimeField(default=timezone.now, help_text="last queued or published again")
    claimed_at = models.DateTimeField(null=True, blank=True)
    tries = models.PositiveSmallIntegerField(default=0, help_text="claims: how often the provider was called")
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name = "failover SMS"
        indexes = [models.Index(fields=["status", "created_at"], name="campaigns_failover_status")]

    def __str__(self) -> str:
        return f"failover SMS {self.pk} ({self.status})"

    @property
    def reference(self) -> str:
        return f"failover:{self.pk}"
