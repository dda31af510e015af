from celery import shared_task

from phonenumbers_app.services import inventory_sync
from tingting.providers.base import ProviderTemporaryError


@shared_task(
    name="phonenumbers.inventory_sync", autoretry_for=(ProviderTemporaryError,), retry_backoff=30, max_retries=3
)
def inventory_sync_task() -> dict[str, int]:
    """Refresh the numbers on sale from the number provider; safe to run twice."""
    return inventory_sync()
