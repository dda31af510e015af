from datetime import datetime

from celery import shared_task

from tingting.api.idempotency import idempotency_purge
from tingting.outbound_webhooks import webhook_deliver, webhook_sweep
from tingting.providers import reports
from tingting.providers.base import StatusReport

# Registered here because autodiscovery imports only tingting.tasks.
from tingting.voice.tasks import tts_prerender_task  # noqa: F401


@shared_task(name="tingting.idempotency_purge")
def idempotency_purge_task() -> int:
    return idempotency_purge()


@shared_task(name="tingting.simulated_report", acks_late=True)
def simulated_report_task(report: dict) -> None:
    """Deliver a delayed simulated status report through the webhook path."""
    reports.deliver(StatusReport(**{**report, "occurred_at": datetime.fromisoformat(report["occurred_at"])}))


@shared_task(name="tingting.webhook_deliver", acks_late=True)
def webhook_deliver_task(event_pk: int) -> str:
    """One delivery attempt of a status webhook; a repeat or a not-yet-due run does nothing."""
    return webhook_deliver(pk=event_pk)


@shared_task(name="tingting.webhook_sweep")
def webhook_sweep_task() -> int:
    """Publish the status webhooks whose (re)try is due."""
    return webhook_sweep()
