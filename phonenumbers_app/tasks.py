from celery import shared_task

from phonenumbers_app.services import inventory_sync, number_purchases_reconcile
from tingting.providers.base import ProviderTemporaryError
from tingting.retry import retry_or_give_up


@shared_task(name="phonenumbers.inventory_sync", bind=True, max_retries=3)
def inventory_sync_task(self) -> dict[str, int]:
    """Refresh the numbers on sale from the number provider; safe to run twice.
    A provider that is down is retried after 30 s, 1 min, 2 min."""
    try:
        return inventory_sync()
    except ProviderTemporaryError as exc:
        return retry_or_give_up(self, exc=exc, first=30)


@shared_task(name="phonenumbers.purchases_reconcile")
def purchases_reconcile_task() -> dict[str, int]:
    """Settle number purchases the provider never confirmed (beat, every 60 s)."""
    return number_purchases_reconcile()
