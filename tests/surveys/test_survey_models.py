"""Survey steps checked and stored by the steps service; answers stored once per
attempt and step, whichever path delivers them and however often."""

import pytest
from django.utils import timezone

from campaigns.models import Attempt, Run
from surveys.models import SurveyAnswer, SurveyStep
from surveys.services.steps import survey_steps_delete, survey_steps_replace
from tests.support.audio import wav_file
from tests.support.campaign_helpers import upload, wav_upload
from tests.support.surveys import STEPS, survey_campaign
from tingting.errors import ConflictError, InvalidInputError, NotFoundError, UnsupportedMediaTypeError
from tingting.providers import scripts
from tingting.providers.base import StepAnswer

pytestmark = pytest.mark.django_db


def replace(user, campaign, steps, files=None):
    return survey_steps_replace(user=user, campaign_id=campaign.pk, steps=steps, files=files or {})


def test_steps_are_stored_in_order_with_their_audio(user, survey):
    made = replace(user, survey, STEPS, {"1": wav_upload(3.0)})
    rows = list(SurveyStep.objects.filter(campaign=survey))
    assert [r.order for r in rows] == [0, 1, 2, 3] == [m.order for m in made]
    assert [(r.content_type, r.response_type, r.input_name) for r in rows] == [
        ("say", "dtmf", "q1"),
        ("play", "dtmf", "rating"),
        ("say", "raw_record", "comment"),
        ("info", "none", ""),
    ]
    assert (rows[1].max_digits, rows[1].timeout, rows[1].audio_seconds) == (2, 7, 3.0)
    assert rows[1].audio_file.name.startswith("survey-audio/") and rows[1].audio_file.size > 0
    assert (rows[2].max_record_seconds, rows[0].timeout, rows[0].retries) == (20, 5, 0)


def test_order_given_by_the_client_decides_and_files_stay_keyed_by_index(user, survey):
    steps = [dict(STEPS[1], order=5), dict(STEPS[0], order=1)]
    replace(user, survey, steps, {"0": wav_upload(2.0)})
    rows = list(SurveyStep.objects.filter(campaign=survey))
    assert [(r.order, r.input_name, bool(r.audio_file)) for r in rows] == [(0, "q1", False), (1, "rating", True)]


def test_replace_replaces_and_delete_removes(user, survey):
    replace(user, survey, STEPS, {"1": wav_upload(1.0)})
    replace(user, survey, [STEPS[0]])
    assert list(SurveyStep.objects.filter(campaign=survey).values_list("input_name", flat=True)) == ["q1"]
    assert survey_steps_delete(user=user, campaign_id=survey.pk) == 1
    assert survey_steps_delete(user=user, campaign_id=survey.pk) == 0


def test_an_info_step_never_waits_whatever_response_it_names(user, survey):
    replace(user, survey, [{"content_type": "info", "text_or_url": "Hi", "response_type": "dtmf", "input_name": "q"}])
    step = SurveyStep.objects.get(campaign=survey)
    assert (step.response_type, step.input_name) == ("none", "")


def test_a_linked_play_url_is_kept_as_the_prompt(user, survey):
    replace(user, survey, [{"content_type": "play", "text_or_url": "https://cdn.example.org/q.mp3"}])
    assert SurveyStep.objects.get(campaign=survey).text_or_url == "https://cdn.example.org/q.mp3"


BAD = [
    ({"content_type": "sing", "text_or_url": "x"}, "content_type"),
    ({"content_type": "say"}, "text_or_url"),
    ({"content_type": "say", "text_or_url": "x" * 1001}, "text_or_url"),
    ({"content_type": "say", "text_or_url": "x", "response_type": "voice"}, "response_type"),
    ({"content_type": "say", "text_or_url": "x", "response_type": "dtmf"}, "input_name"),
    ({"content_type": "say", "text_or_url": "x", "response_type": "raw_record", "input_name": " "}, "input_name"),
    ({"content_type": "say", "text_or_url": "x", "response_type": "dtmf", "input_name": "9lives"}, "input_name"),
    ({"content_type": "say", "text_or_url": "x", "response_type": "dtmf", "input_name": "status"}, "input_name"),
    ({"content_type": "play", "response_type": "none"}, "audio_file"),
    ({"content_type": "play", "text_or_url": "not a url"}, "audio_file"),
    ({"content_type": "say", "text_or_url": "x", "timeout": 0}, "timeout"),
    ({"content_type": "say", "text_or_url": "x", "timeout": "soon"}, "timeout"),
    ({"content_type": "say", "text_or_url": "x", "max_digits": 21}, "max_digits"),
    ({"content_type": "say", "text_or_url": "x", "max_record_seconds": 301}, "max_record_seconds"),
    ({"content_type": "say", "text_or_url": "x", "retries": True}, "retries"),
    ({"content_type": "say", "text_or_url": "x", "order": -1}, "order"),
    ("say hello", None),
]


@pytest.mark.parametrize(("step", "field"), BAD)
def test_each_bad_step_is_refused_naming_its_field(user, survey, step, field):
    with pytest.raises(InvalidInputError) as info:
        replace(user, survey, [STEPS[0], step])
    expected = "steps.1" + (f".{field}" if field else "")
    assert [e.field for e in info.value.errors] == [expected]
    assert not SurveyStep.objects.filter(campaign=survey).exists()


def test_every_bad_step_is_named_at_once(user, survey):
    steps = [STEPS[0], {"content_type": "say"}, dict(STEPS[0], text_or_url="again")]
    with pytest.raises(InvalidInputError) as info:
        replace(user, survey, steps)
    assert [e.field for e in info.value.errors] == ["steps.1.text_or_url", "steps.2.input_name"]


def test_duplicate_orders_and_stray_files_are_refused(user, survey):
    with pytest.raises(InvalidInputError) as info:
        replace(user, survey, [dict(STEPS[0], order=1), dict(STEPS[3], order=1)], {"7": wav_upload(1.0)})
    assert sorted(e.field for e in info.value.errors) == ["7", "steps.1.order"]


def test_audio_goes_through_the_upload_checks(user, survey):
    with pytest.raises(UnsupportedMediaTypeError) as info:
        replace(user, survey, [STEPS[1]], {"0": upload("q.wav", b"<html>not audio</html>")})
    assert info.value.errors[0].field == "steps.0.audio_file"
    with pytest.raises(InvalidInputError) as info:
        replace(user, survey, [STEPS[0]], {"0": wav_upload(1.0)})
    assert info.value.errors[0].field == "steps.0.audio_file"


def test_steps_need_a_survey_of_the_owner_without_a_run_in_progress(user, other_user, survey):
    with pytest.raises(NotFoundError):
        replace(other_user, survey, [STEPS[0]])
    phone = survey_campaign(user, services="PHONE")
    with pytest.raises(InvalidInputError) as info:
        replace(user, phone, [STEPS[0]])
    assert info.value.errors[0].field == "services"
    Run.objects.create(campaign=survey, owner=user, state=Run.State.RUNNING, kind="voice", content="message")
    with pytest.raises(ConflictError):
        replace(user, survey, [STEPS[0]])


# --- Answers -------------------------------------------------------------------


@pytest.fixture
def attempt(user):
    campaign = survey_campaign(user, recipients=1)
    replace(user, campaign, [STEPS[0], STEPS[2], STEPS[3]])
    run = Run.objects.create(campaign=campaign, owner=user, state=Run.State.RUNNING, kind="voice", content="message")
    return Attempt.objects.create(run=run, recipient=campaign.recipients.get(), chunk=0)


def answer(attempt, order, **values):
    return StepAnswer(reference=f"attempt:{attempt.pk}", order=order, occurred_at=timezone.now(), **values)


def test_answers_are_stored_once_per_attempt_and_step(attempt):
    assert scripts.deliver_answer(answer(attempt, 0, digits="1"))
    assert scripts.deliver_answer(answer(attempt, 0, digits="2"))  # a replay or a late retry
    assert scripts.deliver_answer(answer(attempt, 1, recording_audio=wav_file(2.0), recording_seconds=2))
    rows = list(SurveyAnswer.objects.filter(attempt=attempt))
    assert [(r.input_name, r.digits, r.recording_seconds) for r in rows] == [("q1", "1", None), ("comment", "", 2)]
    assert rows[1].recording.name.startswith("survey-recordings/") and rows[1].recording.size > 16000
    assert rows[0].recipient_id == attempt.recipient_id and rows[0].answered_at is not None


def test_answers_for_steps_that_collect_nothing_or_unknown_attempts_are_dropped(attempt):
    scripts.deliver_answer(answer(attempt, 2, digits="5"))  # the info step
    scripts.deliver_answer(answer(attempt, 9, digits="5"))
    scripts.deliver_answer(StepAnswer(reference="attempt:999999", order=0, occurred_at=timezone.now(), digits="1"))
    scripts.deliver_answer(answer(attempt, 0, digits=""))
    assert not SurveyAnswer.objects.exists()


def test_digits_keep_only_keys_and_at_most_max_digits(attempt):
    scripts.deliver_answer(answer(attempt, 0, digits="7'; DROP 99"))
    assert SurveyAnswer.objects.get().digits == "7"
