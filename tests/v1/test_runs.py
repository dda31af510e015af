"""v1 test-speak, run-campaign, emergency stop, demo call, CSV report (docs/api/API_CONTRACT_V1.md §4)."""

import csv
import io
from datetime import UTC, datetime

import pytest

from accounts.models import LedgerEntry
from campaigns.models import Campaign, Recipient, Run
from tests.support.clients import client_for
from tests.support.factories import UserFactory
from voices.models import Voice

pytestmark = pytest.mark.django_db


def _campaign(user, *, services="SMS", numbers=("+9779841000001", "+9779801000002"), **fields):
    campaign = Campaign.objects.create(owner=user, name="Run me", services=services, **fields)
    Recipient.objects.bulk_create([Recipient(campaign=campaign, number=n) for n in numbers])
    return campaign


def test_test_speak_answers_the_mp3_url(auth_client, user, media):
    campaign = _campaign(user, services="PHONE", message="नमस्ते")
    anita = Voice.objects.get(internal_name="np_anita")
    # The SDK posts a form: voice_input is the voice id.
    response = auth_client.post(
        f"/api/v1/test-speak/riri/{campaign.pk}/", {"voice_input": str(anita.pk), "message": "नमस्कार"}
    )
    assert response.status_code == 200
    url = response.json()
    assert isinstance(url, str) and url.startswith("http://testserver/audio/tts/") and url.endswith(".mp3")
    audio = auth_client.get(url.removeprefix("http://testserver"))
    assert audio.status_code == 200 and audio["Content-Type"] == "audio/mpeg"
    data = b"".join(audio.streaming_content)
    assert data[:3] == b"ID3" or (data[0] == 0xFF and data[1] & 0xE0 == 0xE0)  # an MP3 frame
    assert len(data) > 500


def test_test_speak_without_a_body_uses_the_campaign_message_and_voice(auth_client, user, media):
    campaign = _campaign(user, services="PHONE", message="नमस्ते", voice_input="np_binod")
    response = auth_client.post(f"/api/v1/test-speak/riri/{campaign.pk}")
    assert response.status_code == 200 and response.json().endswith(".mp3")
    unknown = auth_client.post(f"/api/v1/test-speak/riri/{campaign.pk}", {"voice_input": "np_nobody"}, format="json")
    assert unknown.status_code == 400 and "voice_input" in unknown.json()


def test_run_campaign_begins_with_the_stored_content(auth_client, user):
    campaign = _campaign(user, sms_message="hello from sms", message="call text")
    response = auth_client.post(f"/api/v1/run-campaign/{campaign.pk}/", {}, format="json")
    assert response.status_code == 200
    assert response.json() == {"message": "Campaign Began Successfully!!"}
    run = Run.objects.get(campaign=campaign)
    assert run.state == Run.State.RUNNING and run.message == "hello from sms" and run.total == 2
    assert LedgerEntry.objects.filter(user=user, kind="hold", reference=f"run:{run.pk}").exists()
    again = auth_client.post(f"/api/v1/run-campaign/{campaign.pk}/")
    assert again.status_code == 409 and "detail" in again.json()
    shown = auth_client.get(f"/api/v1/campaign/{campaign.pk}/").json()
    assert shown["status"] == "Running" and shown["progress_percent"] == 0


def test_run_campaign_scheduled_answers_the_bikram_sambat_date(auth_client, user):
    campaign = _campaign(user, sms_message="later", schedule=datetime(2030, 1, 2, 4, 15, tzinfo=UTC))
    response = auth_client.post(f"/api/v1/run-campaign/{campaign.pk}")
    assert response.status_code == 200
    # 2030-01-02 10:00 in Nepal is 2086-09-18 in Bikram Sambat.
    assert response.json() == {"message": "Campaign Scheduled successfully for 2086-09-18 at 10:00:00"}
    assert Run.objects.get(campaign=campaign).state == Run.State.SCHEDULED
    assert auth_client.get(f"/api/v1/campaign/{campaign.pk}").json()["status"] == "Scheduled"


def test_run_without_content_or_credits(auth_client, user):
    empty = _campaign(user)
    response = auth_client.post(f"/api/v1/run-campaign/{empty.pk}/")
    assert response.status_code == 400 and "message" in response.json()
    poor = UserFactory(credits=0)
    campaign = _campaign(poor, sms_message="hi")
    response = client_for(poor).post(f"/api/v1/run-campaign/{campaign.pk}/")
    assert response.status_code == 402 and "detail" in response.json()
    assert not Run.objects.filter(campaign=campaign).exists()


def test_emergency_stop_cancels_and_releases(auth_client, user):
    campaign = _campaign(user, sms_message="hi")
    assert auth_client.post(f"/api/v1/campaign/emergency-stop/{campaign.pk}/").status_code == 409
    auth_client.post(f"/api/v1/run-campaign/{campaign.pk}/")
    response = auth_client.post(f"/api/v1/campaign/emergency-stop/{campaign.pk}/", {"id": campaign.pk})
    assert response.status_code == 200 and response.json() == {"message": "Campaign stopped"}
    run = Run.objects.get(campaign=campaign)
    assert run.state == Run.State.CANCELLED
    user.refresh_from_db()
    assert user.credits_held == 0
    assert auth_client.get(f"/api/v1/campaign/{campaign.pk}/").json()["status"] == "Terminated"


def test_demo_call_runs_one_contact(auth_client, user):
    campaign = _campaign(user, services="SMS", sms_message="demo")
    contact = campaign.recipients.order_by("id").last()
    response = auth_client.post(f"/api/v1/demo-call/{contact.pk}/")
    assert response.status_code == 200 and response.json() == {"message": "Demo call initiated"}
    run = Run.objects.get(campaign=campaign)
    assert list(run.attempts.values_list("recipient_id", flat=True)) == [contact.pk]


def test_report_is_csv_with_carrier(auth_client, user):
    campaign = _campaign(user, numbers=("+9779841000001", "+9779801000002", "+9779611000003"))
    for method in ("get", "post"):
        response = getattr(auth_client, method)(f"/api/v1/download/report/{campaign.pk}/")
        assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
        rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
        assert [row["carrier"] for row in rows] == ["NTC", "Ncell", "Smart"]
        assert rows[0]["number"] == "9841000001" and rows[0]["status"] == "not started"


def test_foreign_run_routes_are_404(other_client, user):
    campaign = _campaign(user, sms_message="hi")
    contact = campaign.recipients.first()
    for url in (
        f"/api/v1/run-campaign/{campaign.pk}/",
        f"/api/v1/campaign/emergency-stop/{campaign.pk}/",
        f"/api/v1/test-speak/riri/{campaign.pk}/",
        f"/api/v1/download/report/{campaign.pk}/",
        f"/api/v1/demo-call/{contact.pk}/",
    ):
        response = other_client.post(url)
        assert response.status_code == 404 and set(response.json()) == {"detail"}, url
    assert not Run.objects.exists()


def test_run_over_the_credit_limit_is_refused_naming_it(auth_client, user):
    campaign = _campaign(user, sms_message="hello")  # two contacts, one SMS segment each
    price = 2 * user.sms_rate
    auth_client.patch(f"/api/v1/campaign/{campaign.pk}/", {"credit_limit": price - 1}, format="json")
    refused = auth_client.post(f"/api/v1/run-campaign/{campaign.pk}/")
    assert refused.status_code == 400, refused.content
    assert list(refused.json()) == ["credit_limit"] and str(price) in refused.json()["credit_limit"][0]
    assert not Run.objects.filter(campaign=campaign).exists()
    assert not LedgerEntry.objects.filter(user=user, kind="hold").exists()
    # At the limit exactly, it runs and holds no more than the limit.
    auth_client.patch(f"/api/v1/campaign/{campaign.pk}/", {"credit_limit": price}, format="json")
    assert auth_client.post(f"/api/v1/run-campaign/{campaign.pk}/").status_code == 200
    assert Run.objects.get(campaign=campaign).hold_amount == price


def test_credit_limit_counts_the_failover_sms_of_sms_and_phone(auth_client, user, media):
    def both():
        return _campaign(
            user,
            services="SMS & PHONE",
            message="call text",
            sms_message="sorry we missed you",
            failover_target=["failed"],
        )

    unlimited, limited = both(), both()
    assert auth_client.post(f"/api/v1/run-campaign/{unlimited.pk}/").status_code == 200  # no limit (0)
    calls = Run.objects.get(campaign=unlimited).hold_amount  # the same two calls
    # The calls fit, but two failover SMS may follow them: over the limit.
    auth_client.patch(f"/api/v1/campaign/{limited.pk}/", {"credit_limit": calls}, format="json")
    refused = auth_client.post(f"/api/v1/run-campaign/{limited.pk}/")
    assert refused.status_code == 400 and list(refused.json()) == ["credit_limit"]
    auth_client.patch(f"/api/v1/campaign/{limited.pk}/", {"credit_limit": calls + 2 * user.sms_rate}, format="json")
    assert auth_client.post(f"/api/v1/run-campaign/{limited.pk}/").status_code == 200
