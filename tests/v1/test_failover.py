"""SMS & PHONE failover (docs/api/API_CONTRACT_V1.md §4): a call ending in a failover_target status is followed
by sms_message exactly once, through a claim and the ledger, charged as SMS and recorded."""

import csv
import io

import pytest

from accounts import ledger
from accounts.ledger import invariant_gap
from accounts.models import LedgerEntry
from campaigns.models import Campaign, FailoverSms, Recipient
from campaigns.services.begin import run_begin
from campaigns.services.failover import failover_send
from campaigns.services.outcomes import attempt_record_outcome
from tingting.models import SimulatedDelivery

pytestmark = pytest.mark.django_db


def _called(user, *, numbers, targets=("unanswered", "failed"), sms_message="We called you"):
    campaign = Campaign.objects.create(
        owner=user,
        name="Both",
        services=Campaign.Services.SMS_PHONE,
        message="नमस्ते",
        sms_message=sms_message,
        failover_target=list(targets),
    )
    Recipient.objects.bulk_create([Recipient(campaign=campaign, number=n) for n in numbers])
    run = run_begin(user=user, campaign_id=campaign.pk, message="नमस्ते", priority="message")
    return campaign, run, {a.recipient.number: a for a in run.attempts.select_related("recipient")}


def test_unanswered_call_sends_the_sms_once_and_charges_it_as_sms(user, media, django_capture_on_commit_callbacks):
    campaign, run, attempts = _called(user, numbers=["+9779841000001", "+9779841000002"])
    unanswered = attempts["+9779841000001"]
    with django_capture_on_commit_callbacks():  # the send task is not published: called below
        attempt_record_outcome(attempt_id=unanswered.pk, provider_status="no-answer")
        attempt_record_outcome(attempt_id=unanswered.pk, provider_status="no-answer")  # a repeated report
        attempt_record_outcome(attempt_id=attempts["+9779841000002"].pk, provider_status="completed", duration=5)
    sms = FailoverSms.objects.get()
    assert sms.attempt_id == unanswered.pk and sms.text == "We called you" and sms.status == "queued"

    assert failover_send(sms_id=sms.pk) == "completed"
    assert failover_send(sms_id=sms.pk) == "completed"  # a redelivered task: already claimed
    sent = SimulatedDelivery.objects.filter(channel="sms", to="+9779841000001")
    assert [(d.body, d.reference) for d in sent] == [("We called you", f"failover:{sms.pk}")]
    recipient = unanswered.recipient
    recipient.refresh_from_db()
    assert recipient.status == "unanswered" and recipient.sms_status == "completed"
    assert recipient.sms_credit_consumed == user.sms_rate
    keys = set(LedgerEntry.objects.filter(reference=f"failover:{sms.pk}").values_list("idempotency_key", flat=True))
    assert keys == {f"failover:{sms.pk}:hold", f"failover:{sms.pk}:charge"}
    assert invariant_gap(user_id=user.pk) == 0


def test_status_outside_the_targets_sends_nothing(user, media):
    _, _, attempts = _called(user, numbers=["+9779841000001"], targets=("failed",))
    attempt_record_outcome(attempt_id=attempts["+9779841000001"].pk, provider_status="no-answer")
    assert not FailoverSms.objects.exists()


def test_failover_without_credits_fails_without_sending(user, media):
    _, _, attempts = _called(user, numbers=["+9779841000001"])
    attempt_record_outcome(attempt_id=attempts["+9779841000001"].pk, provider_status="no-answer")
    user.refresh_from_db()
    ledger.charge(user_id=user.pk, amount=user.credits, from_held=False, idempotency_key="drain", reference="t")
    sms = FailoverSms.objects.get()
    assert failover_send(sms_id=sms.pk) == "failed"
    assert not SimulatedDelivery.objects.filter(channel="sms").exists()
    assert Recipient.objects.get(pk=sms.recipient_id).sms_status == "failed"
    assert invariant_gap(user_id=user.pk) == 0


def test_report_and_contact_show_the_sms(auth_client, user, media):
    campaign, _, attempts = _called(user, numbers=["+9779841000008"])
    attempt_record_outcome(attempt_id=attempts["+9779841000008"].pk, provider_status="no-answer")
    failover_send(sms_id=FailoverSms.objects.get().pk)  # simulated: ...8 expires (charged, failed)
    response = auth_client.get(f"/api/v1/download/report/{campaign.pk}/")
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert rows[0]["status"] == "unanswered" and rows[0]["credit_consumed_SMS"] == "1"
    assert rows[0]["sms_status"] == "failed" and rows[0]["carrier"] == "NTC"
    contact = auth_client.get(f"/api/v1/campaign-detail/{campaign.pk}/").json()["results"][0]
    assert contact["credit_consumed_SMS"] == 1 and contact["status"] == "unanswered"
    seed = auth_client.get(f"/api/system/campaigns/report/download?campaign_id={campaign.pk}&format=csv")
    assert "credit_consumed_SMS" in b"".join(seed.streaming_content).decode("utf-8-sig").splitlines()[0]


def test_an_emergency_stop_stops_failover_sms_not_yet_sent(user, media, auth_client):
    # The stop cancels the run; an SMS queued by a call that ended before it must not
    # go out afterwards (a stop means nothing more reaches the contacts), nor stay held.
    campaign, _, attempts = _called(user, numbers=["+9779841000001", "+9779841000002"])
    attempt_record_outcome(attempt_id=attempts["+9779841000001"].pk, provider_status="no-answer")
    sms = FailoverSms.objects.get()
    stop = auth_client.post(f"/api/v1/campaign/emergency-stop/{campaign.pk}/")
    assert stop.status_code == 200, stop.json()
    assert failover_send(sms_id=sms.pk) == "failed"  # the queued task runs after the stop
    assert not SimulatedDelivery.objects.filter(channel="sms").exists()
    sms.refresh_from_db()
    assert (sms.status, sms.error, sms.charged) == ("failed", "cancelled", 0)
    assert Recipient.objects.get(pk=sms.recipient_id).sms_status == "failed"
    user.refresh_from_db()
    assert user.credits_held == 0
    assert invariant_gap(user_id=user.pk) == 0
