"""The admin shows a survey's steps and a per-step summary of its answers."""

import pytest
from django.utils import timezone

from surveys.models import SurveyAnswer
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
