"""v1 campaign writes: the campaign object's settings. Recipients, runs, reports and
deletion go through the campaigns app's services."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from accounts.models import User
from campaigns.models import Campaign, Run
from campaigns.services.campaign import campaign_locked, user_phone_resolve
from phonenumbers_app.models import PhoneNumber
from tingting.errors import ConflictError

# Fields a run reads: they cannot change while one is in progress.
RUN_FIELDS = (
    "services",
    "message",
    "sms_message",
    "voice_input",
    "category",
    "length_factor",
    "schedule",
    "user_phone",
    "failover_target",
)
PLAIN_FIELDS = (
    "name",
    "services",
    "message",
    "sms_message",
    "description",
    "schedule",
    "category",
    "length_factor",
    "draft",
    "failover_target",
    "credit_limit",
    "voice_input",
)


def _user_phone(*, owner: User, services: str, values: list) -> list[PhoneNumber]:
    """The caller's numbers from ids (what v1 clients send) or numbers/SIDs (as the seed face),
    checked for the capability the service needs (400 naming ``user_phone.<i>``)."""

    # An id is a short run of digits (a phone number is longer); anything else is a number or SID.
    def is_id(value: object) -> bool:
        return str(value).isdigit() and len(str(value)) < 10

    ids = [int(v) for v in values if is_id(v)]
    by_id = {p.pk: p.phone_number for p in PhoneNumber.objects.filter(owner=owner, pk__in=ids)} if ids else {}
    named = [by_id.get(int(v), str(v)) if is_id(v) else str(v) for v in values]
    return user_phone_resolve(owner=owner, services=services, values=named)


def _settings(data: dict) -> dict:
    data = dict(data)
    if "voice" in data:
        voice = data.pop("voice")
        if voice:
            data["voice_input"] = voice
    return data


def campaign_create(*, owner: User, name: str, services: str = Campaign.Services.PHONE, **data: Any) -> Campaign:
    """A campaign without recipients (they come by add-contact or a bulk file), with the
    settings of the v1 object. 400 for caller IDs that are not the owner's or lack the
    capability. Not idempotent by itself."""
    data = _settings(data)
    phones = _user_phone(owner=owner, services=services, values=data.pop("user_phone", None) or [])
    fields = {key: value for key, value in data.items() if key in PLAIN_FIELDS}
    with transaction.atomic():
        campaign = Campaign.objects.create(owner=owner, name=name, services=services, **fields)
        if phones:
            campaign.user_phone.set(phones)
    return campaign


def campaign_change(*, campaign: Campaign, **data: Any) -> Campaign:
    """Partial update of the campaign object's settings (``{"schedule": null}`` clears it).
    409 when a field a run uses changes while a run is in progress."""
    data = _settings(data)
    with transaction.atomic():
        locked = campaign_locked(campaign)
        services = data.get("services", locked.services)
        changed = [name for name in PLAIN_FIELDS if name in data and getattr(locked, name) != data[name]]
        phones = None
        if "user_phone" in data:
            phones = _user_phone(owner=locked.owner, services=services, values=data["user_phone"] or [])
            if {p.pk for p in phones} != {p.pk for p in locked.user_phone.all()}:
                changed.append("user_phone")
        busy = [name for name in changed if name in RUN_FIELDS]
        if busy and Run.objects.filter(campaign=locked, finished_at__isnull=True).exists():
            raise ConflictError(
                f"The campaign is running; {busy[0]} cannot change now.", code="campaign_running", field=busy[0]
            )
        fields = [name for name in changed if name != "user_phone"]
        for name in fields:
            setattr(locked, name, data[name])
        if phones is not None and "user_phone" in changed:
            locked.user_phone.set(phones)
        if changed:
            locked.save(update_fields=[*fields, "updated_at"])
    return locked
