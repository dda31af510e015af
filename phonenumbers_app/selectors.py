"""Number reads, always scoped to the owner."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from phonenumbers_app.models import PhoneNumber


def owned_number_list(*, user) -> QuerySet[PhoneNumber]:
    return PhoneNumber.objects.filter(owner=user)


def owned_numbers_resolve(*, user, values: list[str], capability: str) -> dict[str, PhoneNumber | None]:
    """Map each given ``phone_number`` (E.164 or as shown) or ``phone_number_sid`` to the
    owner's number with ``capability`` ("voice" or "sms"), or None when it is not one.
    One query whatever the number of values."""
    wanted = [str(v).strip() for v in values]
    plus = [v if v.startswith("+") else f"+{v}" for v in wanted]
    rows = owned_number_list(user=user).filter(
        Q(sid__in=wanted) | Q(phone_number__in=wanted + plus), **{f"has_{capability}": True}
    )
    by_key: dict[str, PhoneNumber] = {}
    for row in rows:
        by_key[row.sid] = row
        by_key[row.phone_number] = row
        by_key[row.phone_number.lstrip("+")] = row
    return {value: by_key.get(value) or by_key.get(value.lstrip("+")) for value in wanted}


def number_in_use_by_running_campaign(number: PhoneNumber) -> bool:
    """True while a campaign that sends from ``number`` has a run in progress
    (scheduled, running, paused, or cancelled with calls still in flight)."""
    from campaigns.models import Run

    return Run.objects.filter(finished_at__isnull=True, campaign__user_phone=number).exists()
