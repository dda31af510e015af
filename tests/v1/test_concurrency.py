"""The same v1 request sent several times at once, as a double-clicking client or a
retrying SDK does: one run, one hold, one token, one contact per number; never a 500.
Real PostgreSQL, real threads, each request on its own connection."""

import pytest
from django.db.models import Count

from accounts import ledger
from accounts.models import User
from campaigns.models import Attempt, Campaign, Recipient, Run
from tests.support.campaign_helpers import make_campaign
from tests.support.clients import client_for
from tests.support.threads import race
from v1.models import ApiToken

pytestmark = pytest.mark.django_db(transaction=True)

V1 = "/api/v1"
AT_ONCE = 5


def at_once(user, call) -> list[int]:
    clients = [client_for(user) for _ in range(AT_ONCE)]
    results = race(*[lambda c=c: call(c) for c in clients])
    assert [r for r in results if isinstance(r, BaseException)] == []
    return sorted(r.status_code for r in results)


def sms_campaign(user, recipients: int = 10) -> Campaign:
    campaign = make_campaign(user, services="SMS", recipients=recipients)
    Campaign.objects.filter(pk=campaign.pk).update(message="नमस्ते")
    return campaign


def test_run_campaign_at_once_begins_one_run_and_holds_once(user):
    campaign = sms_campaign(user)
    codes = at_once(user, lambda c: c.post(f"{V1}/run-campaign/{campaign.pk}/"))
    assert codes == [200] + [409] * (AT_ONCE - 1)
    assert Run.objects.filter(campaign=campaign).count() == 1
    per_recipient = Attempt.objects.filter(run__campaign=campaign).values("recipient").annotate(n=Count("id"))
    assert {row["n"] for row in per_recipient} == {1}
    assert User.objects.get(pk=user.pk).credits_held == 10
    assert ledger.invariant_gap(user_id=user.pk) == 0


def test_run_and_emergency_stop_at_once_leave_nothing_held(user):
    campaign = sms_campaign(user)
    clients = [client_for(user), client_for(user)]
    run, stop = race(
        lambda: clients[0].post(f"{V1}/run-campaign/{campaign.pk}/"),
        lambda: clients[1].post(f"{V1}/campaign/emergency-stop/{campaign.pk}/"),
    )
    assert run.status_code == 200 and stop.status_code in (200, 409), (run.json(), stop.json())
    if stop.status_code == 200:  # the stop came second: the run is cancelled, its hold released
        assert User.objects.get(pk=user.pk).credits_held == 0
    assert ledger.invariant_gap(user_id=user.pk) == 0


def test_add_the_same_contact_at_once_adds_it_once(user):
    campaign = sms_campaign(user, recipients=0)
    codes = at_once(user, lambda c: c.post(f"{V1}/campaign/{campaign.pk}/add-contact/", {"number": "9841000001"}))
    assert codes == [201] + [409] * (AT_ONCE - 1)
    assert Recipient.objects.filter(campaign=campaign).count() == 1


def test_generate_token_at_once_leaves_one_active_token_that_works(user):
    codes = at_once(user, lambda c: c.post(f"{V1}/auths/generate-api-keys/"))
    assert codes == [200] * AT_ONCE
    assert ApiToken.objects.filter(user=user, revoked_at__isnull=True).count() == 1
