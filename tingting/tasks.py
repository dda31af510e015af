from celery import shared_task

from tingting.api.idempotency import idempotency_purge


@shared_task(name="tingting.idempotency_purge")
def idempotency_purge_task() -> int:
    return idempotency_purge()


@shared_task(name="tingting.simulated_report", acks_late=True)
def simulated_report_task(report: dict) -> None:
    """Deliver a delayed simulated status report through the webhook path."""
    from datetime import datetime

    from tingting.providers import reports
    from tingting.providers.base import StatusReport

    reports.deliver(StatusReport(**{**report, "occurred_at": datetime.fromisoformat(report["occurred_at"])}))


# Registered here because autodiscovery imports only tingting.tasks.
from tingting.voice.tasks import tts_prerender_task  # noqa: E402, F401
