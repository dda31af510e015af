"""Number reads: the user's own numbers scoped to the owner, and the numbers on sale."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from accounts.models import User
from phonenumbers_app.models import PhoneNumber
from tingting import phones
from tingting.errors import NotFoundError


def owned_number_list(*, user: User) -> QuerySet[PhoneNumber]:
    """The user's numbers, by phone number. One query however many."""
    return PhoneNumber.objects.filter(owner=user).order_by("phone_number")


def available_number_list() -> QuerySet[PhoneNumber]:
    """Numbers nobody owns, on sale to every account. One query however many."""
    return PhoneNumber.objects.filter(owner__isnull=True).order_by("phone_number")


def owned_number_get(*, user: User, sid: str) -> PhoneNumber:
    """The user's number with this ``phone_number_sid``; NotFoundError (404) for an
    unknown SID and for another account's number alike."""
    number = owned_number_list(user=user).filter(sid=sid).first()
    if number is None:
        raise NotFoundError("You own no phone number with this phone_sid.", field="phone_sid")
    return number


def owned_numbers_resolve(*, user: User, values: list[str], capability: str) -> dict[str, PhoneNumber | None]:
    """Map each given ``phone_number_sid`` or number, in any form the API shows one
    (national ``9801000001``, E.164, digits with the country code), to the owner's
    number with ``capability`` ("voice" or "sms"), or None when it is not one.
    One query whatever the number of values."""
    wanted = [str(v).strip() for v in values]
    forms = {value: phones.lookup_forms(value) for value in wanted}
    rows = owned_number_list(user=user).filter(
        Q(sid__in=wanted) | Q(phone_number__in=[f for fs in forms.values() for f in fs]),
        **{f"has_{capability}": True},
    )
    by_key: dict[str, PhoneNumber] = {}
    for row in rows:
        by_key[row.sid] = row
        by_key[row.phone_number] = row
    return {
        value: by_key.get(value) or next((by_key[f] for f in forms[value] if f in by_key), None) for value in wanted
    }


def number_in_use_by_running_campaign(number: PhoneNumber) -> bool:
    """True while a campaign that sends from ``number`` has a run in progress
    (scheduled, running, paused, or cancelled with calls still in flight). Through the
    reverse relation ``campaigns`` declares, so this app imports nothing of ``campaigns``."""
    return number.campaigns.filter(runs__isnull=False, runs__finished_at__isnull=True).exists()
