"""The v1 face's campaign kinds in the staff console: a SURVEY campaign's page shows its
script and the answers per step, an SMS & PHONE campaign's its SMS follow-up; both
save with their service kept, begin with the hold their v1 endpoints take (same
service, same checks) and pause, resume and cancel as the API does."""

from __future__ import annotations

import json

import pytest
from django.utils import timezone

from campaigns.models import Run
from surveys.models import SurveyAnswer
from tests.platform.test_console import api_progress, change_form, messages_of
from tests.support.campaign_helpers import wav_upload
from tests.support.factories_campaigns import add_recipients, campaign_with_recipients
from tests.support.surveys import STEPS, survey_campaign

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def silent_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.TTS_BACKEND = "tingting.providers.tts_silence.SilenceTtsBackend"


def survey_with_steps(auth_client, user, recipients: int = 4):
    campaign = survey_campaign(user, name="Ward survey")
    add_recipients(campaign, recipients)
    body = {"steps": json.dumps(STEPS), "1": wav_upload(2.0)}
    response = auth_client.post(f"/api/v1/campaign/create/{campaign.pk}/survey/", body, format="multipart")
    assert response.status_code == 200, response.content
    return campaign


def steer(staff_client, campaign, action: str) -> list[str]:
    return messages_of(staff_client.post(f"/admin/campaigns/campaign/{campaign.pk}/control/{action}/", follow=True))


def test_survey_page_shows_its_script_and_answers_and_saves_as_a_survey(staff_client, auth_client, user):
    campaign = survey_with_steps(auth_client, user)
    recipient = campaign.recipients.order_by("id").first()
    run = Run.objects.create(campaign=campaign, owner=user, state="running", kind="voice", content="message")
    attempt = run.attempts.create(recipient=recipient, chunk=0, status="completed")
    SurveyAnswer.objects.create(
        campaign=campaign,
        attempt=attempt,
        recipient_id=recipient.pk,
        step_order=0,
        input_name="q1",
        response_type="dtmf",
        digits="1",
        answered_at=timezone.now(),
    )
    url = f"/admin/campaigns/campaign/{campaign.pk}/change/"
    page = staff_client.get(url).content.decode()
    assert '<option value="SURVEY" selected>Survey: a scripted call (SURVEY)</option>' in page
    assert "<h3>Script</h3>" in page and STEPS[0]["text_or_url"] in page and STEPS[2]["text_or_url"] in page
    assert "<td>0</td><td>q1</td><td>1</td><td>1: 1</td>" in page  # the answers per step
    assert f'href="/admin/surveys/surveycampaign/{campaign.pk}/change/"' in page
    survey_page = staff_client.get(f"/admin/surveys/surveycampaign/{campaign.pk}/change/").content.decode()
    assert f'href="{url}"' in survey_page  # and back to the console page

    saved = staff_client.post(url, change_form(campaign, name="Ward survey 2"), follow=True)
    assert saved.status_code == 200 and "was changed successfully" in messages_of(saved)[0]
    campaign.refresh_from_db()
    assert (campaign.services, campaign.name) == ("SURVEY", "Ward survey 2")


def test_survey_begins_with_the_hold_run_survey_takes_and_steers_like_the_api(staff_client, auth_client, user):
    console = survey_with_steps(auth_client, user)
    api = survey_with_steps(auth_client, user)
    assert 'id="tt-survey-note"' in staff_client.get(f"/admin/campaigns/campaign/{console.pk}/begin/").content.decode()
    preview = staff_client.post(f"/admin/campaigns/campaign/{console.pk}/begin/", {"preview": "1"}).json()
    begun = staff_client.post(f"/admin/campaigns/campaign/{console.pk}/begin/", {"confirm": "1"}, follow=True)
    assert auth_client.post(f"/api/v1/run-survey/{api.pk}/").status_code == 200
    console_run, api_run = Run.objects.get(campaign=console), Run.objects.get(campaign=api)
    assert preview["hold"] == console_run.hold_amount == api_run.hold_amount > 4
    assert messages_of(begun) == [f"Campaign is running!! {preview['hold']} credits on hold for Ward survey campaign."]

    assert steer(staff_client, console, "pause") == ["Ward survey: Campaign paused."]
    assert api_progress(auth_client, console)["state"] == "paused"
    assert steer(staff_client, console, "resume") == ["Ward survey: Campaign resumed."]
    assert api_progress(auth_client, console)["state"] == "running"
    assert steer(staff_client, console, "cancel") == ["Ward survey: Campaign cancelled."]
    assert api_progress(auth_client, console)["state"] == "cancelled"


def test_a_survey_without_steps_is_refused_with_the_apis_message(staff_client, auth_client, user):
    campaign = survey_campaign(user, name="Empty survey")
    add_recipients(campaign, 2)
    api = auth_client.post(f"/api/v1/run-survey/{campaign.pk}/")
    assert api.status_code == 400
    page = staff_client.post(f"/admin/campaigns/campaign/{campaign.pk}/begin/", {"confirm": "1"})
    assert page.status_code == 200 and page.context["errors"] == ["The survey has no steps yet."]
    assert "No steps yet" in staff_client.get(f"/admin/campaigns/campaign/{campaign.pk}/change/").content.decode()
    assert not Run.objects.filter(campaign=campaign).exists()


def test_sms_and_phone_page_begin_and_control(staff_client, auth_client, user):
    from phonenumbers_app.models import PhoneNumber

    PhoneNumber.objects.create(phone_number="+9779851000001", owner=user, rate=1, has_voice=False, has_sms=True)
    PhoneNumber.objects.create(phone_number="+9779851000002", owner=user, rate=1, has_voice=True, has_sms=False)
    fields = {
        "services": "SMS & PHONE",
        "message": "Rain is coming",
        "sms_message": "Rain is coming (missed call)",
        "failover_target": ["unanswered", "failed"],
    }
    console = campaign_with_recipients(user, 5, name="Flood", **fields)
    api = campaign_with_recipients(user, 5, name="Flood twin", **fields)
    url = f"/admin/campaigns/campaign/{console.pk}/change/"
    response = staff_client.get(url)
    page = response.content.decode()
    assert '<option value="SMS &amp; PHONE" selected>' in page
    assert "Rain is coming (missed call)" in page and "unanswered, failed" in page
    assert [value for value, _ in response.context["adminform"].form.fields["user_phone"].choices] == ["+9779851000002"]
    saved = staff_client.post(url, change_form(console, user_phone=["+9779851000002"]), follow=True)
    assert "was changed successfully" in messages_of(saved)[0]
    assert [n.phone_number for n in console.user_phone.all()] == ["+9779851000002"]

    begin = f"/admin/campaigns/campaign/{console.pk}/begin/"
    preview = staff_client.post(begin, {"message": "Rain is coming", "preview": "1"}).json()
    begun = staff_client.post(begin, {"message": "Rain is coming", "confirm": "1"}, follow=True)
    assert messages_of(begun) == [f"Campaign is running!! {preview['hold']} credits on hold for Flood campaign."]
    assert auth_client.post(f"/api/v1/run-campaign/{api.pk}/").status_code == 200
    console_run, api_run = Run.objects.get(campaign=console), Run.objects.get(campaign=api)
    assert preview["hold"] == console_run.hold_amount == api_run.hold_amount > 0
    assert steer(staff_client, console, "pause") == ["Flood: Campaign paused."]
    assert api_progress(auth_client, console)["state"] == "paused"
    assert steer(staff_client, console, "resume") == ["Flood: Campaign resumed."]
    assert steer(staff_client, console, "cancel") == ["Flood: Campaign cancelled."]
    assert api_progress(auth_client, console)["state"] == "cancelled"
