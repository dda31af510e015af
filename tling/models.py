"""Tling tables: contacts, lists, messages with their delivery timeline, schedules.

Ids are UUIDs (docs/api/API_CONTRACT.md §3). Phone numbers are stored split as the API shows
and filters them (``phone_code`` "+351", ``phone_national`` "911111111").
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models


class Contact(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="tling_contacts")
    name = models.CharField(max_length=255)
    phone_code = models.CharField(max_length=8)
    phone_national = models.CharField(max_length=20)
    # NULL, not "": the API shows unset as null and filter[email][null]=true finds it.
    email = models.EmailField(max_length=254, null=True, blank=True)  # noqa: DJ001
    birth_date = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Not a column: annotated by the selectors (the lists it is on), 0 for a new contact.
    lists_count: int

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["owner", "phone_code", "phone_national"], name="tling_contact_owner_phone"),
        ]
        indexes = [
            models.Index(fields=["owner", "updated_at"], name="tling_contact_owner_upd"),
            models.Index(fields=["owner", "created_at"], name="tling_contact_owner_crt"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.phone_code}{self.phone_national})"

    @property
    def e164(self) -> str:
        return f"{self.phone_code}{self.phone_national}"


class ContactList(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="tling_lists")
    name = models.CharField(max_length=255)
    contacts = models.ManyToManyField(Contact, through="Membership", related_name="lists")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [models.Index(fields=["owner", "updated_at"], name="tling_list_owner_upd")]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    contact_list = models.ForeignKey(ContactList, on_delete=models.CASCADE, related_name="memberships")
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="memberships")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["contact_list", "contact"], name="tling_membership_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.contact_id} in {self.contact_list_id}"


class MessageStatus(models.TextChoices):
    CREATED = "created"
    QUEUED = "queued"
    QUEUE_FAILED = "queue failed"
    BUFFERED = "buffered"
    SENT = "sent"
    DELIVERED = "delivered"
    UNDELIVERED = "undelivered"
    FAILED = "failed"
    EXPIRED = "expired"


# How far along a status is: a message only ever moves to a higher rank, so a
# late or replayed report cannot move it backwards. Final statuses share a rank:
# the first one to arrive wins.
STATUS_RANK: dict[str, int] = {
    MessageStatus.CREATED: 0,
    MessageStatus.QUEUED: 1,
    MessageStatus.BUFFERED: 2,
    MessageStatus.SENT: 3,
    MessageStatus.QUEUE_FAILED: 4,
    MessageStatus.DELIVERED: 4,
    MessageStatus.UNDELIVERED: 4,
    MessageStatus.FAILED: 4,
    MessageStatus.EXPIRED: 4,
}
FINAL_RANK = 4
# docs/api/API_CONTRACT.md §9: charged once the provider accepted the message.
CHARGED_STATUSES = frozenset(
    {
        MessageStatus.SENT,
        MessageStatus.DELIVERED,
        MessageStatus.UNDELIVERED,
        MessageStatus.EXPIRED,
    }
)
RELEASED_STATUSES = frozenset({MessageStatus.FAILED, MessageStatus.QUEUE_FAILED})


class Billing(models.TextChoices):
    HELD = "held"
    CHARGED = "charged"
    RELEASED = "released"


class Message(models.Model):
    """One SMS to one recipient. ``credits`` were held when it was created and are
    charged or released exactly once (``billing`` is the claim)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="tling_messages")
    api_key = models.ForeignKey("accounts.ApiKey", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    schedule = models.ForeignKey(
        "ScheduledMessage", on_delete=models.SET_NULL, null=True, blank=True, related_name="messages"
    )
    batch = models.UUIDField(db_index=True)
    phone_code = models.CharField(max_length=8)
    phone_national = models.CharField(max_length=20)
    text = models.TextField()
    segments = models.PositiveIntegerField()
    credits = models.PositiveIntegerField()
    billing = models.CharField(max_length=10, choices=Billing.choices, default=Billing.HELD)
    status = models.CharField(max_length=16, choices=MessageStatus.choices, default=MessageStatus.CREATED)
    status_rank = models.PositiveSmallIntegerField(default=0)
    error = models.CharField(max_length=255, null=True, blank=True)  # noqa: DJ001 - the API's null
    provider_id = models.CharField(max_length=64, blank=True, default="")
    # Set by the one task run that submits the message (conditional UPDATE).
    claimed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [
            models.Index(fields=["owner", "updated_at"], name="tling_msg_owner_upd"),
            models.Index(fields=["owner", "created_at"], name="tling_msg_owner_crt"),
            models.Index(fields=["owner", "status", "updated_at"], name="tling_msg_owner_status"),
            models.Index(fields=["owner", "phone_code", "phone_national"], name="tling_msg_owner_phone"),
            # Exact totals the tally cannot answer (a createdAt filter with a time of
            # day) count these index entries only.
            models.Index(fields=["owner", "status", "phone_code", "created_at"], name="tling_msg_owner_st_code_crt"),
        ]

    def __str__(self) -> str:
        return f"{self.phone_code}{self.phone_national}: {self.status}"

    @property
    def e164(self) -> str:
        return f"{self.phone_code}{self.phone_national}"

    @property
    def reference(self) -> str:
        return f"tmsg:{self.id}"


class MessageEvent(models.Model):
    """One entry of a message's ``report`` timeline; one per status."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="events")
    status = models.CharField(max_length=16, choices=MessageStatus.choices)
    rank = models.PositiveSmallIntegerField()
    occurred_at = models.DateTimeField()
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        # Newest first, by progress: robust to provider clocks that disagree with ours.
        ordering = ["-rank", "-occurred_at"]
        constraints = [models.UniqueConstraint(fields=["message", "status"], name="tling_event_message_status")]

    def __str__(self) -> str:
        return f"{self.status} at {self.occurred_at}"


class MessageTally(models.Model):
    """How many of an owner's messages are in a status, per phone code and UTC day
    of creation: the exact ``total`` of a messages page filtered by status,
    phoneCode and whole-day createdAt, without counting 100,000 rows.

    Kept by ``tling.services.tally`` in the transactions that create messages and
    move their status, so it is exact whenever they commit."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=16, choices=MessageStatus.choices)
    phone_code = models.CharField(max_length=8)
    # Midnight UTC of the day the messages were created: whole-day createdAt
    # filters compare it exactly as they compare created_at.
    created_day = models.DateTimeField()
    n = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["owner", "status", "phone_code", "created_day"], name="tling_tally_key"),
        ]

    def __str__(self) -> str:
        return f"{self.owner_id} {self.status} {self.phone_code} {self.created_day:%Y-%m-%d}: {self.n}"


class ScheduleState(models.TextChoices):
    CREATED = "created"
    ACTIVE = "active"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    FAILED = "failed"


class ScheduledMessage(models.Model):
    """A message to send at ``send_at``; picked by the beat sweep (never a Celery ETA)."""

    NAME = "message-scheduling"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="tling_schedules")
    api_key = models.ForeignKey("accounts.ApiKey", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    name = models.CharField(max_length=64, default=NAME)
    text = models.TextField()
    to = models.JSONField()
    send_at = models.DateTimeField()
    state = models.CharField(max_length=10, choices=ScheduleState.choices, default=ScheduleState.CREATED)
    error = models.CharField(max_length=255, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [
            models.Index(fields=["state", "send_at"], name="tling_sched_due"),
            models.Index(fields=["owner", "created_at"], name="tling_sched_owner_crt"),
        ]

    def __str__(self) -> str:
        return f"{self.name} at {self.send_at} ({self.state})"
