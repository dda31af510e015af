"""Campaigns and their recipients ("campaign actions" in the contract)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models.functions import Now


class Campaign(models.Model):
    class Services(models.TextChoices):
        PHONE = "PHONE"  # voice call
        SMS = "SMS"
        # Calls first; a call ending in a ``failover_target`` status sends ``sms_message`` (v1 face).
        SMS_PHONE = "SMS & PHONE"
        SURVEY = "SURVEY"  # an IVR script of steps (v1 face §5)

    class Category(models.TextChoices):
        TEXT = "Text"  # spoken by TTS
        AUDIO = "Audio"  # the uploaded audio file

    class ImportState(models.TextChoices):
        NONE = "none"  # recipients given inline or added one by one
        PENDING = "pending"
        RUNNING = "running"
        DONE = "done"
        FAILED = "failed"

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="campaigns")
    name = models.CharField(max_length=255)
    services = models.CharField(max_length=16, choices=Services.choices)
    description = models.TextField(blank=True, default="")
    # Caller IDs / senders: the owner's numbers; empty = the platform default sender.
    user_phone = models.ManyToManyField("phonenumbers_app.PhoneNumber", blank=True, related_name="campaigns")
    # ["tags_name", "tags_age"], in the order of the uploaded file's columns.
    usable_tags = models.JSONField(default=list, blank=True)

    # Content stored by begin and reused by later runs (docs/api/API_CONTRACT.md §2 begin).
    message = models.TextField(blank=True, default="")
    audio_file = models.FileField(upload_to="campaign-audio/%Y/%m/", blank=True, default="")
    audio_seconds = models.FloatField(null=True, blank=True)
    voice_input = models.CharField(max_length=32, default="np_rija")
    length_factor = models.FloatField(default=1.0)
    # The v1 campaign object's settings (docs/api/API_CONTRACT_V1.md §4).
    sms_message = models.TextField(blank=True, default="")
    category = models.CharField(max_length=8, choices=Category.choices, default=Category.TEXT)
    draft = models.BooleanField(default=False)
    # Recipient statuses after which an SMS & PHONE call is followed by ``sms_message``.
    failover_target = models.JSONField(default=list, blank=True)
    # When run-campaign starts it (null: at once).
    schedule = models.DateTimeField(null=True, blank=True)
    # Stored and shown (the v1 object carries it); 0 = none.
    credit_limit = models.PositiveBigIntegerField(default=0)

    import_state = models.CharField(max_length=10, choices=ImportState.choices, default=ImportState.NONE)
    import_report = models.JSONField(default=dict, blank=True)
    # The uploaded file while a worker imports it (removed when the import ends).
    import_file = models.FileField(upload_to="campaign-imports/%Y/%m/", blank=True, default="")

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["owner", "-created_at", "-id"])]

    def __str__(self) -> str:
        return self.name


class Recipient(models.Model):
    """One number of a campaign. ``status`` is its latest outcome over all runs."""

    class Status(models.TextChoices):
        NOT_STARTED = "not started"
        SCHEDULED = "scheduled"
        QUEUED = "queued"
        RINGING = "ringing"  # voice, in flight
        SENT = "sent"  # SMS, in flight
        COMPLETED = "completed"
        HUNGUP = "hungup"
        UNANSWERED = "unanswered"
        FAILED = "failed"
        TERMINATED = "terminated"

    IN_FLIGHT = (Status.SCHEDULED, Status.QUEUED, Status.RINGING, Status.SENT)
    FINAL = (Status.COMPLETED, Status.HUNGUP, Status.UNANSWERED, Status.FAILED, Status.TERMINATED)

    # No database FK constraint and no single-column index: a million-row import would pay
    # a per-row RI trigger (re-measured: a 100k-row import 0.98 s -> 1.62 s, under its
    # 0.25x-of-raw-read target; docs/campaigns.md "Schema note") for rows that only services write,
    # always for a campaign they hold; the (campaign, number) and (campaign, status) indexes
    # serve every lookup. Deleting a campaign (ORM, admin, owner deletion) cascades in Django.
    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="recipients", db_constraint=False, db_index=False
    )
    number = models.CharField(max_length=20, help_text="E.164")
    tags = models.JSONField(default=dict, blank=True)
    # The database defaults let the import's COPY send only number, tags and campaign
    # (about a quarter less server time per row); the ORM still uses the Python ones.
    status = models.CharField(
        max_length=16, choices=Status.choices, default=Status.NOT_STARTED, db_default=Status.NOT_STARTED
    )
    duration = models.PositiveIntegerField(null=True, blank=True)
    playback = models.PositiveIntegerField(null=True, blank=True)
    credit_consumed = models.PositiveBigIntegerField(default=0, db_default=0)
    # Credits of the failover SMS of an SMS & PHONE campaign (``credit_consumed_SMS`` on v1).
    sms_credit_consumed = models.PositiveBigIntegerField(default=0, db_default=0)
    # The failover SMS's status ("" when none was sent): the recipient's second outcome.
    sms_status = models.CharField(max_length=10, blank=True, default="", db_default="")
    attempts = models.PositiveIntegerField(default=0, db_default=0)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=255, blank=True, default="", db_default="")
    created_at = models.DateTimeField(auto_now_add=True, db_default=Now())

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "number"], name="campaigns_recipient_unique_number"),
        ]
        indexes = [models.Index(fields=["campaign", "status"])]

    def __str__(self) -> str:
        return f"{self.number} ({self.status})"
