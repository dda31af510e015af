"""One voice of the catalogue: how clients name it and how the TTS backends render it."""

from __future__ import annotations

from django.db import models


class Voice(models.Model):
    display_name = models.CharField(max_length=64)
    internal_name = models.CharField(max_length=32, unique=True, help_text="np_rija: what clients send")
    aliases = models.JSONField(default=list, blank=True, help_text='other accepted names, ["np_prashanna"]')
    # eSpeak NG (the default backend): voice+variant, words per minute at length factor 1.0, pitch, range.
    espeak_voice = models.CharField(max_length=32, default="ne+f2")
    espeak_rate = models.PositiveSmallIntegerField(default=165)
    espeak_pitch = models.PositiveSmallIntegerField(default=50)
    espeak_range = models.PositiveSmallIntegerField(default=50)
    # Azure AI Speech, where that backend is configured.
    azure_voice = models.CharField(max_length=64, default="ne-NP-HemkalaNeural")
    azure_pitch = models.CharField(max_length=8, default="+0%", help_text="SSML prosody pitch, relative")
    azure_rate = models.FloatField(default=1.0)
    is_premium = models.BooleanField(default=False)
    is_beta = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(espeak_rate__gte=80, espeak_rate__lte=450), name="voices_espeak_rate_range"
            ),
            models.CheckConstraint(
                condition=models.Q(espeak_pitch__lte=100, espeak_range__lte=100), name="voices_espeak_pitch_range"
            ),
            models.CheckConstraint(
                condition=models.Q(azure_rate__gte=0.5, azure_rate__lte=2.0), name="voices_azure_rate_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.display_name} ({self.internal_name})"
