"""Runs of a campaign and their attempts (one per targeted recipient).

A run is one ``begin``: its content, its target set and its credit hold. Each
target gets exactly one ``Attempt``, unique per (run, recipient); the attempt's
``status`` only moves forward (queued → sending → sent/ringing → final), which
is what makes redelivered tasks and repeated reports harmless.
"""

from __future__ import annotations

import math
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q

# --- The attempt's names outside its row: one home for each format --------------------

REFERENCE_PREFIX = "attempt"


def attempt_reference(attempt_id: int, retries: int = 0) -> str:
    """Our reference of an attempt's provider call or message, and of the status
    reports and scripted-call answers about it: ``attempt:<id>``, or
    ``attempt:<id>:<n>`` for the n-th retry of the guardrails' retry policy (each
    retry is a new call, so a late report of an earlier one never settles it).
    ``tingting.providers.reports`` routes by the prefix."""
    return f"{REFERENCE_PREFIX}:{attempt_id}:{retries}" if retries else f"{REFERENCE_PREFIX}:{attempt_id}"


def attempt_reference_parse(reference: str) -> tuple[int, int] | None:
    """``(attempt id, retries)`` of an ``attempt_reference``; None for any other text."""
    prefix, _, rest = reference.partition(":")
    number, _, retry = rest.partition(":")
    if prefix != REFERENCE_PREFIX or not number.isdigit() or not (retry == "" or retry.isdigit()):
        return None
    return int(number), int(retry or 0)


def attempt_ledger_key(attempt_id: int, movement: str) -> str:
    """The ledger idempotency key of one credit movement of an attempt: ``movement``
    is ``charge`` (from the run's hold), ``release`` (the rest of its share) or
    ``extra`` (beyond its share). The entry's ``reference`` is
    ``attempt_reference(attempt_id)``."""
    return f"{attempt_reference(attempt_id)}:{movement}"


def run_ledger_key(run_id: int, movement: str) -> str:
    """The ledger idempotency key of a run's own movements: ``hold`` (begin),
    ``cancel``, ``end``, or ``chunk:<n>:charge:<first attempt id>`` /
    ``chunk:<n>:release:<first attempt id>`` for a batch of outcomes."""
    return f"run:{run_id}:{movement}"


class Run(models.Model):
    class State(models.TextChoices):
        SCHEDULED = "scheduled"
        RUNNING = "running"
        PAUSED = "paused"
        COMPLETED = "completed"  # every attempt reached a final outcome
        CANCELLED = "cancelled"

    class Kind(models.TextChoices):
        SMS = "sms"
        VOICE = "voice"

    class Content(models.TextChoices):
        MESSAGE = "message"  # SMS text, or text spoken by TTS
        AUDIO = "audio"  # the campaign's uploaded audio file

    campaign = models.ForeignKey("campaigns.Campaign", on_delete=models.CASCADE, related_name="runs")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    state = models.CharField(max_length=10, choices=State.choices)
    kind = models.CharField(max_length=5, choices=Kind.choices)
    content = models.CharField(max_length=8, choices=Content.choices)

    # Content snapshot: later edits of the campaign do not change a run.
    message = models.TextField(blank=True, default="")
    is_personalised = models.BooleanField(default=False)
    audio_name = models.CharField(max_length=500, blank=True, default="", help_text="storage name")
    audio_seconds = models.FloatField(null=True, blank=True)
    voice_input = models.CharField(max_length=32, default="np_rija")
    length_factor = models.FloatField(default=1.0)
    # Prices at begin: the hold and the charges use the same ones.
    sms_rate = models.PositiveIntegerField(default=1)
    voice_rate = models.PositiveIntegerField(default=1)
    pulse_seconds = models.PositiveIntegerField(default=30)

    total = models.PositiveIntegerField(default=0)
    chunks = models.PositiveIntegerField(default=0)
    hold_amount = models.PositiveBigIntegerField(default=0, help_text="credits held at begin")
    # What the run's end gave back (the part no attempt charged or released).
    end_release = models.PositiveBigIntegerField(default=0)

    scheduled_for = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    # Set once, when the last attempt is final and the rest of the hold went back.
    finished_at = models.DateTimeField(null=True, blank=True)

    # Never stored (annotations only, no columns): set on the instance a service returns.
    # The begin answer's empty-tag report (campaigns.services.personalise.TagGaps or None).
    tag_gaps: Any
    # A survey run's call script, built once per chunk task (tingting.providers.base.ScriptStep list).
    survey_script: Any

    class Meta:
        ordering = ["-id"]
        constraints = [
            # One run in progress per campaign: the database answers a double begin.
            models.UniqueConstraint(
                fields=["campaign"], condition=Q(finished_at__isnull=True), name="campaigns_run_one_active"
            ),
        ]
        indexes = [
            models.Index(fields=["state", "scheduled_for"], name="campaigns_run_due"),
            models.Index(fields=["campaign", "-id"], name="campaigns_run_latest"),
        ]

    def __str__(self) -> str:
        return f"run {self.pk} of campaign {self.campaign_id} ({self.state})"

    @property
    def is_active(self) -> bool:
        return self.finished_at is None

    def voice_share(self, seconds: float) -> int:
        """Credits of a call of ``seconds`` at this run's prices: whole pulses, at least one."""
        return max(1, math.ceil(seconds / self.pulse_seconds)) * self.voice_rate


class Attempt(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued"  # waiting for a chunk task to claim it
        SENDING = "sending"  # claimed: the provider is being (or was) called
        SENT = "sent"  # SMS accepted, in flight
        RINGING = "ringing"  # call placed, in flight
        COMPLETED = "completed"
        HUNGUP = "hungup"
        UNANSWERED = "unanswered"
        FAILED = "failed"
        TERMINATED = "terminated"

    PENDING = (Status.QUEUED, Status.SENDING, Status.SENT, Status.RINGING)
    IN_FLIGHT = (Status.SENDING, Status.SENT, Status.RINGING)
    FINAL = (Status.COMPLETED, Status.HUNGUP, Status.UNANSWERED, Status.FAILED, Status.TERMINATED)

    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="attempts")
    recipient = models.ForeignKey("campaigns.Recipient", on_delete=models.CASCADE, related_name="run_attempts")
    chunk = models.PositiveIntegerField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    provider_status = models.CharField(max_length=32, blank=True, default="")
    provider_id = models.CharField(max_length=64, blank=True, default="")
    # The rendered text when the message is personalised (else the run's message).
    text = models.TextField(blank=True, default="")
    share = models.PositiveBigIntegerField(default=0, help_text="credits of the run's hold for this attempt")
    charged = models.PositiveBigIntegerField(default=0, help_text="credits charged from the hold")
    released = models.PositiveBigIntegerField(default=0, help_text="credits of the share given back")
    extra_charged = models.PositiveBigIntegerField(default=0, help_text="charged beyond the share")
    tries = models.PositiveSmallIntegerField(default=0)
    error = models.CharField(max_length=255, blank=True, default="")
    duration = models.PositiveIntegerField(null=True, blank=True)
    playback = models.PositiveIntegerField(null=True, blank=True)
    queued_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Guardrails (campaigns/services/guards.py): ``retries`` counts the retries the
    # account's retry policy scheduled (the reference of retry n is
    # ``attempt:<id>:<n>``); a queued attempt with ``next_attempt_at`` in the future
    # waits (calling hours or a retry delay) until the sweeper re-publishes it.
    retries = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    backend = models.CharField(max_length=64, blank=True, default="", help_text="provider backend of the last call")

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["run", "recipient"], name="campaigns_attempt_unique_recipient"),
        ]
        indexes = [
            models.Index(fields=["run", "chunk", "status"], name="campaigns_attempt_chunk"),
            models.Index(fields=["run", "status"], name="campaigns_attempt_run_status"),
            models.Index(fields=["status", "claimed_at"], name="campaigns_attempt_inflight"),
            models.Index(
                fields=["next_attempt_at"],
                name="campaigns_attempt_waiting",
                condition=models.Q(next_attempt_at__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"attempt {self.pk} ({self.status})"

    @property
    def reference(self) -> str:
        # Each retry is a new provider call with its own reference, so a late report
        # of an earlier call never settles the current one.
        return attempt_reference(self.pk, self.retries)

    @property
    def is_final(self) -> bool:
        return self.status in self.FINAL
