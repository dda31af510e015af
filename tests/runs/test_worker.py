"""A real worker process picks tasks off the real broker (no eager mode)."""

from datetime import timedelta

from django.utils import timezone

from tests.support.factories import UserFactory
from tests.support.workers import wait_until
from tingting.models import IdempotencyRecord
from tingting.tasks import idempotency_purge_task


def test_periodic_purge_runs_in_a_real_worker(celery_worker):
    user = UserFactory()
    old = IdempotencyRecord.objects.create(user=user, key="old", method="POST", path="/x", fingerprint="f")
    IdempotencyRecord.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=2))
    fresh = IdempotencyRecord.objects.create(user=user, key="new", method="POST", path="/x", fingerprint="f")
    idempotency_purge_task.delay()
    wait_until(
        lambda: not IdempotencyRecord.objects.filter(pk=old.pk).exists(),
        timeout=60,
        message="the worker to purge the expired record",
    )
    assert IdempotencyRecord.objects.filter(pk=fresh.pk).exists()
