"""Celery entry points of campaigns (run chunks, the runs sweep, recipient imports): thin,
ids in, services do the work."""

from __future__ import annotations

from celery import shared_task

from campaigns.services.dispatch import chunk_dispatch
from campaigns.services.imports import campaign_import_process
from campaigns.services.sweep import runs_sweep


@shared_task(name="campaigns.dispatch_chunk", acks_late=True, ignore_result=True)
def dispatch_chunk_task(run_id: int, chunk: int) -> int:
    """Send the queued attempts of one chunk. Runs twice harmlessly (claims)."""
    return chunk_dispatch(run_id=run_id, chunk=chunk)


@shared_task(name="campaigns.runs_sweep", ignore_result=True)
def runs_sweep_task() -> dict:
    """Start due runs, re-publish lost work, reconcile stuck sends, finish idle runs."""
    return runs_sweep()


@shared_task(name="campaigns.import_recipients", acks_late=True)
def import_recipients(campaign_id: int) -> str:
    """Import a campaign's pending file; a repeat resumes or does nothing (see the service)."""
    return campaign_import_process(campaign_id=campaign_id)
