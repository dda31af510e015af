"""Reads of OTP rows, always starting from the owner."""

from __future__ import annotations

from datetime import datetime

from django.db.models import QuerySet

from accounts.models import User
from otp.models import Otp


def otp_latest(*, user: User, numbers: list[str], for_update: bool = False) -> Otp | None:
    """The account's most recent OTP to any of ``numbers`` (the E.164 forms one number
    the client sent may stand for; a newer OTP supersedes older ones). With
    ``for_update`` the row stays locked until the caller's transaction ends."""
    queryset = Otp.objects.filter(user=user, number__in=numbers)
    if for_update:
        queryset = queryset.select_for_update()
    return queryset.order_by("-id").first()


def otp_nth_recent_created_at(*, user_id: int, since: datetime, n: int, number: str | None = None) -> datetime | None:
    """``created_at`` of the account's n-th most recent OTP created after ``since``
    (to ``number`` when given); None when there are fewer than n."""
    queryset = Otp.objects.filter(user_id=user_id, created_at__gt=since)
    if number is not None:
        queryset = queryset.filter(number=number)
    row = queryset.order_by("-created_at").values_list("created_at", flat=True)[n - 1 : n]
    return next(iter(row), None)


def otp_stuck(*, before: datetime, limit: int = 100) -> QuerySet[Otp]:
    """OTPs still queued or sending since ``before``, locked with SKIP LOCKED (call
    inside a transaction)."""
    return (
        Otp.objects.select_for_update(skip_locked=True)
        .filter(status__in=[Otp.Status.QUEUED, Otp.Status.SENDING], created_at__lt=before)
        .order_by("id")[:limit]
    )


def otp_audio_to_purge(*, now: datetime, limit: int = 500) -> list[tuple[int, int]]:
    """``(otp id, render id)`` of the voice OTPs past expiry whose spoken audio is still stored."""
    rows = Otp.objects.filter(audio_render_id__isnull=False, expires_at__lt=now).order_by("id")[:limit]
    return [(otp_id, render_id) for otp_id, render_id in rows.values_list("id", "audio_render_id") if render_id]


def otp_list(*, user: User) -> QuerySet[Otp]:
    """The account's OTP sends, newest first (the code itself is never stored in clear)."""
    return Otp.objects.filter(user=user).order_by("-id")
