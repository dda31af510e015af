"""Celery entry point for recipient imports over ``IMPORT_SYNC_ROWS`` rows."""

from celery import shared_task

from campaigns.services.import_ import campaign_import_process


@shared_task(name="campaigns.import_recipients", acks_late=True)
def import_recipients(campaign_id: int) -> str:
    """Import a campaign's pending file; a repeat resumes or does nothing (see the service)."""
    return campaign_import_process(campaign_id=campaign_id)
