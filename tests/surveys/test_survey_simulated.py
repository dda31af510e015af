"""The simulated backend walks a survey script deterministically from the number
and delivers its answers through the same path as Twilio's action callbacks."""

import pytest

from surveys.models import SurveyAnswer
from surveys.services.script import script_for_run
from tests.support.audio import wav_stats
from tests.support.surveys import survey_run
from tingting.models import SimulatedDelivery
from tingting.providers.base import OutboundCall
from tingting.providers.scripts import script_seconds
from tingting.providers.simulated import SimulatedVoiceBackend

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("silent_tts")]

NUMBERS = ["+9779841000120", "+9779841000357", "+9779841000448", "+9779841000569"]


def calls(run, attempts):
    script = script_for_run(run)
    return script, [
        OutboundCall(a.recipient.number, a.reference, script[0].audio_url, script_seconds(script), script=script)
        for a in attempts
    ]


@pytest.mark.parametrize("batch", [False, True])
def test_each_outcome_answers_as_its_number_says(user, batch):
    _, run, attempts = survey_run(user, numbers=NUMBERS)
    script, made = calls(run, attempts)
    backend = SimulatedVoiceBackend()
    if batch:
        backend.place_calls(made)
    else:
        for call in made:
            backend.place_call(call)
    answers = {
        (a.attempt.recipient.number, a.input_name): (a.digits, a.recording_seconds)
        for a in SurveyAnswer.objects.select_related("attempt__recipient")
    }
    # completed (…0): every question. Keys: (Σ position × digit + 3 × order + 7 × key) mod 10,
    # where Σ is 186 for +9779841000120 and 335 for +9779841000357.
    assert answers[(NUMBERS[0], "q1")] == ("6", None)
    assert answers[(NUMBERS[0], "rating")] == ("96", None)
    assert answers[(NUMBERS[0], "comment")] == ("", 3)  # 1 + order 2 % 3 seconds
    # hungup (…7): the first half of the three questions, then the call ends.
    assert answers[(NUMBERS[1], "q1")] == ("5", None)  # 335 mod 10
    assert (NUMBERS[1], "rating") not in answers
    # unanswered (…8) and failed (…9): nothing.
    assert not [key for key in answers if key[0] in NUMBERS[2:]]
    recording = SurveyAnswer.objects.get(input_name="comment")
    stats = wav_stats(recording.recording.read())
    assert (stats.duration, stats.rms > 1000) == (3.0, True)
    durations = dict(SimulatedDelivery.objects.values_list("to", "duration"))
    full = script_seconds(script) + 2 + 3  # prompts, a second per key answer, the recording
    assert durations[NUMBERS[0]] == int(-(-full // 1))
    assert 1 <= durations[NUMBERS[1]] < script_seconds(script)
    assert durations[NUMBERS[2]] is None


def test_the_same_call_placed_twice_answers_once(user):
    _, run, attempts = survey_run(user, numbers=NUMBERS[:1])
    _, (call,) = calls(run, attempts)
    SimulatedVoiceBackend().place_call(call)
    SimulatedVoiceBackend().place_call(call)
    assert SurveyAnswer.objects.count() == 3
