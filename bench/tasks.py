"""The Celery task of ``manage.py bench dispatch``'s baseline; the bench's worker loads it
with ``--include bench.tasks`` (bench is not an app, so autodiscovery does not find it)."""

from celery import shared_task
from django.core.cache import cache


@shared_task(name="bench.noop", ignore_result=True)
def bench_noop_task() -> None:
    """Baseline of ``manage.py bench dispatch``: one cache INCR, nothing else."""
    cache.incr("bench:noop")
