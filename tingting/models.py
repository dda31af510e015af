"""Tables of the shared plumbing: idempotent requests and the simulated providers' records."""

from django.conf import settings
from django.db import models


class IdempotencyRecord(models.Model):
    """The first answer to a POST sent with an ``Idempotency-Key`` (docs/api/API_CONTRACT.md §7)."""

    class State(models.TextChoices):
        PENDING = "pending"
        DONE = "done"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=500)
    fingerprint = models.CharField(max_length=64)
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    response_status = models.PositiveSmallIntegerField(null=True)
    response_body = models.JSONField(null=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="tingting_idempotency_user_key")]

    def __str__(self) -> str:
        return f"{self.key} ({self.state})"


class SimulatedDelivery(models.Model):
    """What the simulated SMS and voice providers were asked to do.

    Kept in the database (not process memory) so tests, demos and the operator
    can see what a worker process "sent" (docs/api/API_CONTRACT.md §8)."""

    class Channel(models.TextChoices):
        SMS = "sms"
        VOICE = "voice"

    channel = models.CharField(max_length=8, choices=Channel.choices)
    provider_id = models.CharField(max_length=64, unique=True)
    reference = models.CharField(max_length=200, db_index=True)
    to = models.CharField(max_length=32, db_index=True)
    sender = models.CharField(max_length=32, blank=True, default="")
    body = models.TextField(blank=True, default="")
    audio_url = models.CharField(max_length=500, blank=True, default="")
    outcome = models.CharField(max_length=32)
    duration = models.PositiveIntegerField(null=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        verbose_name_plural = "simulated deliveries"

    def __str__(self) -> str:
        return f"{self.channel} to {self.to}: {self.outcome}"


class TtsRender(models.Model):
    """One rendered text, kept in storage and reused (the render cache).

    ``key`` is an HMAC of (engine, engine version, voice, length factor, text)
    under the server secret: stable for the cache, unguessable as a URL token."""

    key = models.CharField(max_length=64, unique=True)
    engine = models.CharField(max_length=32)
    engine_version = models.CharField(max_length=32)
    voice = models.CharField(max_length=32)
    length_factor = models.FloatField()
    text = models.TextField()
    audio = models.FileField(upload_to="tts/")
    content_type = models.CharField(max_length=32, default="audio/wav")
    duration = models.FloatField(help_text="seconds")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.voice} x{self.length_factor}: {self.text[:40]}"


class ProviderMessage(models.Model):
    """One message or call handed to a real vendor, keyed by our reference.

    Written in state ``submitting`` before the vendor call and updated after it,
    so a submission whose answer was lost (timeout) can be reconciled by
    ``lookup`` instead of being sent twice, and a webhook can be routed from the
    vendor's id back to our reference. ``status`` is the last vendor-neutral
    status reported and only moves forward (see ``providers.records``)."""

    class State(models.TextChoices):
        SUBMITTING = "submitting"  # the request may be on its way
        ACCEPTED = "accepted"  # the vendor answered with its id
        UNKNOWN = "unknown"  # sent, no answer: may have been accepted
        REJECTED = "rejected"  # refused or never sent: safe to send again

    backend = models.CharField(max_length=32)
    reference = models.CharField(max_length=200)
    state = models.CharField(max_length=12, choices=State.choices, default=State.SUBMITTING)
    provider_id = models.CharField(max_length=64, blank=True, default="", db_index=True)
    to = models.CharField(max_length=32)
    sender = models.CharField(max_length=32, blank=True, default="")
    body = models.TextField(blank=True, default="")
    audio_seconds = models.FloatField(null=True, blank=True)
    callback_token = models.CharField(max_length=64, blank=True, default="", db_index=True)
    is_cancel_requested = models.BooleanField(default=False)
    # Twilio's AnsweredBy from the background machine detection (AsyncAmd) callback.
    answered_by = models.CharField(max_length=32, blank=True, default="")
    status = models.CharField(max_length=16, blank=True, default="")
    error = models.CharField(max_length=500, blank=True, default="")
    submitted_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["backend", "reference"], name="tingting_providermessage_ref"),
        ]

    def __str__(self) -> str:
        return f"{self.backend} {self.reference} ({self.state}, {self.status or '-'})"


class WebhookEvent(models.Model):
    """One status webhook to a client: the outbox row and its delivery schedule.

    ``body`` is the exact JSON sent on every attempt; each attempt signs it with
    a fresh timestamp. ``sequence`` counts the events of one object (user,
    object_type, object_id) from 1, in commit order. The database holds the retry
    schedule (``next_attempt_at``); a beat sweep publishes what is due."""

    class Status(models.TextChoices):
        PENDING = "pending"
        DELIVERED = "delivered"
        FAILED = "failed"  # gave up after WEBHOOK_RETRY_HOURS

    event_id = models.UUIDField(unique=True, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    event = models.CharField(max_length=64)
    object_type = models.CharField(max_length=32)
    object_id = models.CharField(max_length=64)
    sequence = models.PositiveBigIntegerField()
    body = models.TextField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "object_type", "object_id", "sequence"], name="tingting_webhookevent_object_sequence"
            ),
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="tingting_webhook_due")]

    def __str__(self) -> str:
        return f"{self.event} {self.object_type}:{self.object_id} #{self.sequence} ({self.status})"


class WebhookSequence(models.Model):
    """The last sequence number given to one object's webhook events."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    object_type = models.CharField(max_length=32)
    object_id = models.CharField(max_length=64)
    value = models.PositiveBigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "object_type", "object_id"], name="tingting_webhooksequence_object"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.object_type}:{self.object_id} at {self.value}"
