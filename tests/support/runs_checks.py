"""Assertions shared by the run tests: every recipient called once, books balanced."""

from __future__ import annotations

from collections import Counter

from django.db.models import Sum

from accounts import ledger
from accounts.models import LedgerEntry
from campaigns.models import Attempt, Recipient, Run
from tests.support.workers import wait_until
from tingting.models import SimulatedDelivery


def wait_finished(run: Run, *, timeout: float = 90) -> Run:
    wait_until(
        lambda: Run.objects.filter(pk=run.pk, finished_at__isnull=False).exists(),
        timeout=timeout,
        message=f"run {run.pk} to finish",
    )
    run.refresh_from_db()
    return run


def assert_settled(run: Run, user) -> dict[str, int]:
    """Every attempt final, one provider call for each attempt that was claimed,
    one charge at most per attempt, nothing left held, the ledger invariant."""
    run.refresh_from_db()
    assert run.finished_at is not None
    attempts = list(Attempt.objects.filter(run=run))
    assert attempts and all(a.status in Attempt.FINAL for a in attempts), Counter(a.status for a in attempts)
    calls = Counter(
        SimulatedDelivery.objects.filter(reference__startswith="attempt:").values_list("reference", flat=True)
    )
    for attempt in attempts:
        # Only unclaimed attempts are terminated, so they were never sent.
        expected = 0 if attempt.status == "terminated" else 1
        assert calls[attempt.reference] == expected, (attempt.reference, attempt.status)
    charges = Counter(LedgerEntry.objects.filter(user=user, kind="charge").values_list("reference", flat=True))
    assert all(count == 1 for count in charges.values()), charges
    user.refresh_from_db()
    assert user.credits_held == 0
    assert ledger.invariant_gap(user_id=user.pk) == 0
    received = LedgerEntry.objects.filter(user=user, kind__in=["topup", "refund"]).aggregate(n=Sum("amount"))["n"]
    consumed = Recipient.objects.filter(campaign__owner=user).aggregate(n=Sum("credit_consumed"))["n"] or 0
    assert received - user.credits == consumed
    return Counter(a.status for a in attempts)
