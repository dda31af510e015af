"""Celery entry points of campaign runs: thin, ids in, services do the work."""

from __future__ import annotations

from celery import shared_task

from campaigns.services.dispatch import chunk_dispatch, runs_sweep


@shared_task(name="campaigns.dispatch_chunk", acks_late=True, ignore_result=True)
def dispatch_chunk_task(run_id: int, chunk: int) -> int:
    """Send the queued attempts of one chunk. Runs twice harmlessly (claims)."""
    return chunk_dispatch(run_id=run_id, chunk=chunk)


@shared_task(name="campaigns.runs_sweep", ignore_result=True)
def runs_sweep_task() -> dict:
    """Start due runs, re-publish lost work, reconcile stuck sends, finish idle runs."""
    return runs_sweep()


@shared_task(name="campaigns.bench_noop", ignore_result=True)
def bench_noop_task() -> None:
    """Baseline of ``manage.py bench dispatch``: one cache INCR, nothing else."""
    from django.core.cache import cache

    cache.incr("bench:noop")
