"""tingting.transactions.retry_transient: a real PostgreSQL deadlock between two
transactions ends with both committed, the victim run again (issue 18 defect 1)."""

import threading

import pytest
from django.db import OperationalError, transaction

from accounts.models import User
from tests.support.factories import UserFactory
from tests.support.threads import race
from tingting.transactions import retry_transient


@pytest.mark.django_db(transaction=True)
def test_the_deadlock_victim_is_run_again_and_both_commit():
    first, second = UserFactory(), UserFactory()
    both_hold_one = threading.Barrier(2, timeout=10)
    runs = []

    def locker(a, b, name):
        @retry_transient
        def work():
            runs.append(name)
            with transaction.atomic():
                User.objects.select_for_update().get(pk=a.pk)
                if runs.count(name) == 1:  # only the first run meets the other halfway
                    both_hold_one.wait()
                User.objects.select_for_update().get(pk=b.pk)
                User.objects.filter(pk=a.pk).update(first_name=name)
            return name

        return work

    assert race(locker(first, second, "x"), locker(second, first, "y")) == ["x", "y"]
    assert sorted(runs) in (["x", "x", "y"], ["x", "y", "y"])  # exactly one victim, run once more
    assert {User.objects.get(pk=first.pk).first_name, User.objects.get(pk=second.pk).first_name} == {"x", "y"}


@pytest.mark.django_db
def test_inside_an_outer_transaction_the_deadlock_goes_up_unretried():
    calls = []

    @retry_transient
    def work():
        calls.append(1)
        raise OperationalError("deadlock detected") from _Deadlock()

    with pytest.raises(OperationalError):
        work()
    assert calls == [1]


class _Deadlock(Exception):
    sqlstate = "40P01"
