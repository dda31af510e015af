"""The credit ledger under concurrency, on real PostgreSQL."""

import pytest
from django.db import IntegrityError, transaction

from accounts import ledger
from accounts.models import LedgerEntry, User
from tests.support.factories import UserFactory
from tests.support.threads import run_in_threads
from tingting.errors import ConflictError, InsufficientCreditsError, InvalidInputError


@pytest.mark.django_db(transaction=True)
def test_concurrent_holds_never_overdraw():
    account = UserFactory(credits=100)
    results = run_in_threads(25, lambda i: ledger.hold(user_id=account.pk, amount=5, reference=f"t{i}"))
    won = [r for r in results if isinstance(r, LedgerEntry)]
    refused = [r for r in results if isinstance(r, InsufficientCreditsError)]
    assert len(won) == 20 and len(refused) == 5, results
    account.refresh_from_db()
    assert (account.credits, account.credits_held) == (0, 100)
    assert ledger.invariant_gap(user_id=account.pk) == 0


@pytest.mark.django_db(transaction=True)
def test_concurrent_mixed_movements_lose_no_update():
    account = UserFactory(credits=1000)

    def work(i: int):
        if i % 3 == 0:
            return ledger.top_up(user_id=account.pk, amount=7)
        if i % 3 == 1:
            return ledger.charge(user_id=account.pk, amount=3, from_held=False)
        ledger.hold(user_id=account.pk, amount=4)
        return ledger.release(user_id=account.pk, amount=4)

    results = run_in_threads(30, work)
    assert all(isinstance(r, LedgerEntry) for r in results), results
    account.refresh_from_db()
    assert account.credits == 1000 + 10 * 7 - 10 * 3
    assert account.credits_held == 0
    assert ledger.invariant_gap(user_id=account.pk) == 0


@pytest.mark.django_db(transaction=True)
def test_same_idempotency_key_in_parallel_moves_once():
    account = UserFactory(credits=100)
    results = run_in_threads(
        20, lambda i: ledger.charge(user_id=account.pk, amount=10, from_held=False, idempotency_key="attempt:1:charge")
    )
    assert all(isinstance(r, LedgerEntry) for r in results), results
    assert len({r.pk for r in results}) == 1
    account.refresh_from_db()
    assert account.credits == 90


@pytest.mark.django_db
def test_invariant_holds_after_mixed_sequence():
    account = UserFactory(credits=500)
    ledger.hold(user_id=account.pk, amount=200, idempotency_key="run:1:hold")
    ledger.charge(user_id=account.pk, amount=30, from_held=True, idempotency_key="a:1")
    ledger.charge(user_id=account.pk, amount=30, from_held=True, idempotency_key="a:1")  # retried task
    ledger.release(user_id=account.pk, amount=170, idempotency_key="run:1:release")
    ledger.purchase(user_id=account.pk, amount=40)
    ledger.refund(user_id=account.pk, amount=10)
    ledger.top_up(user_id=account.pk, amount=5)
    account.refresh_from_db()
    assert (account.credits, account.credits_held) == (500 - 30 - 40 + 10 + 5, 0)
    assert ledger.invariant_gap(user_id=account.pk) == 0
    assert LedgerEntry.objects.filter(user=account, kind="charge").count() == 1


@pytest.mark.django_db
def test_overdraw_and_overrelease_are_refused_without_writing():
    account = UserFactory(credits=10)
    before = LedgerEntry.objects.count()
    with pytest.raises(InsufficientCreditsError):
        ledger.hold(user_id=account.pk, amount=11)
    with pytest.raises(InsufficientCreditsError):
        ledger.purchase(user_id=account.pk, amount=11)
    with pytest.raises(ConflictError):
        ledger.release(user_id=account.pk, amount=1)
    with pytest.raises(InvalidInputError):
        ledger.top_up(user_id=account.pk, amount=0)
    assert LedgerEntry.objects.count() == before


@pytest.mark.django_db
def test_database_refuses_negative_balances():
    account = UserFactory(credits=10)
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.filter(pk=account.pk).update(credits=-1)
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.filter(pk=account.pk).update(credits_held=-1)


@pytest.mark.django_db
def test_reusing_a_key_for_another_kind_is_refused():
    account = UserFactory(credits=10)
    ledger.top_up(user_id=account.pk, amount=1, idempotency_key="k1")
    with pytest.raises(ConflictError):
        ledger.hold(user_id=account.pk, amount=1, idempotency_key="k1")
