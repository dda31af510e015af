"""The admin shows a survey's steps and a per-step summary of its answers."""

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone

from surveys.models import SurveyAnswer
from tests.support.audio import wav_file
from tests.support.surveys import STEPS, survey_run

pytestmark = pytest.mark.django_db


def test_survey_page_lists_steps_and_counts_answers_per_digit(staff_client, user, settings):
    settings.TTS_BACKEND = "tingting.providers.tts_silence.SilenceTtsBackend"
    campaign, run, attempts = survey_run(user, numbers=["+9779841000010", "+9779841000020", "+9779841000030"])
    now = timezone.now()
    for attempt, digits in zip(attempts, ["1", "2", "1"], strict=True):
        SurveyAnswer.objects.create(
            campaign=campaign,
            attempt=attempt,
            recipient_id=attempt.recipient_id,
            step_order=0,
            input_name="q1",
            response_type="dtmf",
            digits=digits,
            answered_at=now,
        )
    SurveyAnswer.objects.create(
        campaign=campaign,
        attempt=attempts[0],
        recipient_id=attempts[0].recipient_id,
        step_order=2,
        input_name="comment",
        response_type="raw_record",
        recording_url="https://api.twilio.com/x",
        recording_seconds=4,
        answered_at=now,
    )
    listing = staff_client.get("/admin/surveys/surveycampaign/")
    assert listing.status_code == 200
    assert campaign.name in listing.content.decode()
    page = staff_client.get(f"/admin/surveys/surveycampaign/{campaign.pk}/change/").content.decode()
    assert STEPS[0]["text_or_url"] in page
    assert "<td>0</td><td>q1</td><td>3</td><td>1: 2, 2: 1</td>" in page
    assert "<td>2</td><td>comment</td><td>1</td><td>4 s recorded</td>" in page
    answers = staff_client.get("/admin/surveys/surveyanswer/")
    assert answers.status_code == 200 and "comment" in answers.content.decode()
    assert staff_client.get(f"/admin/surveys/surveyanswer/{SurveyAnswer.objects.first().pk}/change/").status_code == 200


def test_a_deleted_contacts_answers_go_with_it(
    staff_client, auth_client, user, settings, django_capture_on_commit_callbacks
):
    """Answers are the contact's data: deleting the contact (v1 or seed face) deletes them
    and their stored recordings, so the summary, the answer list and the reports count
    only the contacts that remain."""
    settings.TTS_BACKEND = "tingting.providers.tts_silence.SilenceTtsBackend"
    numbers = ["+9779841000010", "+9779841000020", "+9779841000030"]
    campaign, run, attempts = survey_run(user, numbers=numbers, state="completed")
    now = timezone.now()
    recordings = []
    for attempt, digits in zip(attempts, ["1", "2", "1"], strict=True):
        common = {"campaign": campaign, "attempt": attempt, "recipient_id": attempt.recipient_id, "answered_at": now}
        SurveyAnswer.objects.create(**common, step_order=0, input_name="q1", response_type="dtmf", digits=digits)
        recorded = SurveyAnswer(**common, step_order=2, input_name="comment", response_type="raw_record")
        recorded.recording.save("comment.wav", ContentFile(wav_file(1.0)), save=False)
        recorded.save()
        recordings.append(recorded.recording.name)
    first, second, third = (attempt.recipient_id for attempt in attempts)
    with django_capture_on_commit_callbacks(execute=True):
        assert auth_client.delete(f"/api/v1/phone-number/delete/{first}/").status_code == 200
        assert auth_client.delete(f"/api/system/campaigns/number/{second}/delete").status_code == 200

    assert list(SurveyAnswer.objects.filter(step_order=0).values_list("recipient_id", "digits")) == [(third, "1")]
    assert [default_storage.exists(name) for name in recordings] == [False, False, True]
    page = staff_client.get(f"/admin/surveys/surveycampaign/{campaign.pk}/change/").content.decode()
    assert "<td>0</td><td>q1</td><td>1</td><td>1: 1</td>" in page
    assert "<td>2</td><td>comment</td><td>1</td>" in page
    report = auth_client.get(f"/api/v1/download/survey/{campaign.pk}/report/", {"format": "json"}).json()
    assert [(row["number"], row["q1"]) for row in report["results"]] == [(numbers[2], "1")]
