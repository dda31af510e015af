"""Campaign begins, their outcomes and Tling sends of one account at once (issue 18
defect 1, the same audit for campaigns): they all take the account row, and none
deadlocks, answers 500 or leaves credits held. Real worker, real PostgreSQL."""

import pytest
from django.db.models import Sum

from accounts import ledger
from accounts.models import User
from campaigns.models import Attempt, Recipient, Run
from tests.support.campaign_helpers import begin_url
from tests.support.clients import client_for, key_client_for
from tests.support.factories import UserFactory
from tests.support.factories_campaigns import campaign_with_recipients
from tests.support.runs_checks import wait_finished
from tests.support.threads import race
from tests.support.workers import wait_until
from tling.models import FINAL_RANK, Billing, Message

CAMPAIGNS = 6
SENDERS = 4
SENDS = 20


@pytest.mark.django_db(transaction=True)
def test_begins_outcomes_and_tling_sends_of_one_account_never_deadlock(celery_worker, caplog):
    user = UserFactory(credits=10_000)
    campaigns = [campaign_with_recipients(user, 20, name=f"C{i}") for i in range(CAMPAIGNS)]
    jwt_clients = [client_for(user) for _ in campaigns]
    key_clients = [key_client_for(user) for _ in range(SENDERS)]

    def begin(index):
        return [jwt_clients[index].post(begin_url(campaigns[index]), {"message": "hi"}, format="json").status_code]

    def send(index):
        return [
            key_clients[index]
            .post("/api/v0/messages", {"text": "hi", "to": [f"+97798{index:02d}{n:06d}"]}, format="json")
            .status_code
            for n in range(SENDS)
        ]

    results = race(*[lambda i=i: begin(i) for i in range(CAMPAIGNS)], *[lambda i=i: send(i) for i in range(SENDERS)])
    assert [r for r in results if isinstance(r, BaseException)] == []
    assert results[:CAMPAIGNS] == [[200]] * CAMPAIGNS
    assert {code for codes in results[CAMPAIGNS:] for code in codes} == {204}
    runs = [wait_finished(run, timeout=120) for run in Run.objects.filter(campaign__owner=user)]
    wait_until(
        lambda: not Message.objects.filter(owner=user, status_rank__lt=FINAL_RANK).exists(),
        timeout=120,
        message="every Tling message final",
    )
    assert len(runs) == CAMPAIGNS
    assert not Attempt.objects.filter(run__in=runs).exclude(status__in=Attempt.FINAL).exists()
    account = User.objects.get(pk=user.pk)
    assert account.credits_held == 0
    assert ledger.invariant_gap(user_id=user.pk) == 0
    # Every credit spent is one a recipient or a Tling message shows.
    consumed = Recipient.objects.filter(campaign__owner=user).aggregate(n=Sum("credit_consumed"))["n"] or 0
    charged = Message.objects.filter(owner=user, billing=Billing.CHARGED).aggregate(n=Sum("credits"))["n"] or 0
    assert 10_000 - account.credits == consumed + charged
    assert [r.message for r in caplog.records if r.name == "tingting.transactions"] == []
