"""Concurrent Tling sends of one account (issue 18 defect 1): many clients at once,
a real worker sending and recording reports, real PostgreSQL: no deadlock, no
500 for a committed send, nothing left held."""

import pytest
from django.db.models import Sum

from accounts import ledger
from accounts.models import User
from tests.support.clients import key_client_for
from tests.support.threads import run_in_threads
from tests.support.workers import wait_until
from tling.models import FINAL_RANK, Billing, Message

V0 = "/api/v0"
THREADS = 8
SENDS = 40


@pytest.mark.django_db(transaction=True)
def test_eight_clients_sending_at_once_all_get_204_and_every_message_settles(user, celery_worker, caplog):
    ledger.top_up(user_id=user.pk, amount=10_000)
    start = User.objects.get(pk=user.pk).credits
    clients = [key_client_for(user) for _ in range(THREADS)]

    def client_sends(index):
        statuses = []
        for n in range(SENDS):
            response = clients[index].post(
                f"{V0}/messages", {"text": "hi", "to": [f"+97798{index:02d}{n:06d}"]}, format="json"
            )
            statuses.append(response.status_code)
        return statuses

    results = run_in_threads(THREADS, client_sends)
    assert [r for r in results if isinstance(r, BaseException)] == []
    assert sorted({code for statuses in results for code in statuses}) == [204]
    assert Message.objects.filter(owner=user).count() == THREADS * SENDS
    # The lock order itself holds: the retry backstop was never needed.
    assert [r.message for r in caplog.records if r.name == "tingting.transactions"] == []
    wait_until(
        lambda: not Message.objects.filter(owner=user, status_rank__lt=FINAL_RANK).exists(),
        timeout=120,
        message="every message final",
    )
    assert not Message.objects.filter(owner=user, billing=Billing.HELD).exists()
    account = User.objects.get(pk=user.pk)
    assert account.credits_held == 0
    assert (
        account.credits
        == start - Message.objects.filter(owner=user, billing=Billing.CHARGED).aggregate(n=Sum("credits"))["n"]
    )
    assert ledger.invariant_gap(user_id=user.pk) == 0
