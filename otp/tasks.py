"""Celery entry points of the OTP app: thin, they call services."""

from __future__ import annotations

from celery import shared_task

from otp import services
from tingting.providers.base import ProviderTemporaryError
from tingting.retry import retry_or_give_up

MAX_RETRIES = 3


@shared_task(name="otp.send", bind=True, acks_late=True, max_retries=MAX_RETRIES)
def otp_send_task(self, otp_id: int, sealed: str, base_url: str = "") -> None:
    """Deliver one OTP. Redelivery is harmless: the service claims the row first.
    Temporary provider errors retry with backoff; out of retries the OTP fails and
    its hold is released."""
    try:
        services.otp_deliver(otp_id=otp_id, sealed=sealed, base_url=base_url)
    except ProviderTemporaryError as exc:
        error = f"provider unavailable: {exc}"[:255]
        retry_or_give_up(self, exc=exc, first=5, give_up=lambda: services.otp_fail(otp_id=otp_id, error=error))


@shared_task(name="otp.sweep")
def otp_sweep_task() -> dict:
    """Settle stuck OTPs and delete spoken audio of expired ones (beat, every minute)."""
    return services.otp_sweep()
