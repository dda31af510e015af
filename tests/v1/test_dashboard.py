"""GET /api/v1/dashboard/ (docs/api/API_CONTRACT_V1.md §3): figures from the ledger and the attempts, constant queries."""

import pytest

from accounts import ledger
from campaigns.models import Attempt
from campaigns.services.begin import run_begin
from tests.support.campaign_helpers import make_campaign, owned_number

pytestmark = pytest.mark.django_db

KEYS = {
    "total_credits_purchased", "credits_used", "remaining_credits", "campaigns", "outbound_calls", "outbound_sms",
    "total_call_duration", "total_owned_numbers", "credit_spent", "top_performing_campaign", "call_outcomes",
    "campaign_type_ratio", "credit_usage_overtime",
}  # fmt: skip


def _activity(user, calls: int):
    owned_number(user)
    phone = make_campaign(user, name="Calls", services="PHONE", recipients=calls)
    sms = make_campaign(user, name="Texts", services="SMS", recipients=1)
    make_campaign(user, name="Idle", services="SMS", recipients=0)
    call_run = run_begin(user=user, campaign_id=phone.pk, message="नमस्ते")
    run_begin(user=user, campaign_id=sms.pk, message="hi")
    attempts = list(call_run.attempts.order_by("id"))
    Attempt.objects.filter(pk=attempts[0].pk).update(status="completed", duration=65)
    Attempt.objects.filter(pk__in=[a.pk for a in attempts[1:]]).update(status="unanswered")
    ledger.charge(user_id=user.pk, amount=3, from_held=False, idempotency_key="t:1", reference="t")


def test_dashboard_figures(auth_client, user):
    _activity(user, calls=2)
    body = auth_client.get("/api/v1/dashboard/?days=30").json()
    assert set(body) == KEYS
    user.refresh_from_db()
    assert body["total_credits_purchased"] == 1000 and body["remaining_credits"] == user.credits
    assert body["credits_used"] == 3 and body["credit_spent"] == 3
    assert body["campaigns"] == {"total": 3, "running": 2, "completed": 0, "scheduled": 0}
    assert body["outbound_calls"] == 2 and body["outbound_sms"] == 1
    assert body["total_call_duration"] == "00:01:05" and body["total_owned_numbers"] == 1
    assert body["call_outcomes"] == {"completed": 1, "unanswered": 1}
    assert body["campaign_type_ratio"] == {"PHONE": 1, "SMS": 2}
    assert body["top_performing_campaign"]["name"] == "Calls"
    assert body["top_performing_campaign"]["completed"] == 1
    assert [row["credits"] for row in body["credit_usage_overtime"]] == [3]


def test_empty_dashboard_and_bad_days(auth_client):
    body = auth_client.get("/api/v1/dashboard").json()
    assert body["top_performing_campaign"] is None and body["credit_usage_overtime"] == []
    assert body["total_call_duration"] == "00:00:00"
    response = auth_client.get("/api/v1/dashboard?days=zero")
    assert response.status_code == 400 and "days" in response.json()


@pytest.mark.parametrize("calls", [1, 30])
def test_dashboard_query_count_is_constant(auth_client, user, calls, django_assert_num_queries):
    _activity(user, calls=calls)
    # user, ledger totals, ledger per day, campaign counts, service ratio, attempt totals,
    # outcomes, top campaign, owned numbers
    with django_assert_num_queries(9):
        assert auth_client.get("/api/v1/dashboard/").status_code == 200
