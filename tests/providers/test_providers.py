"""The simulated providers: deterministic outcomes, recorded, reported through the webhook path."""

import pytest

from tingting.models import SimulatedDelivery
from tingting.providers import reports, sms_backend, voice_backend
from tingting.providers.base import OutboundCall, OutboundSms

pytestmark = pytest.mark.django_db


@pytest.fixture
def received():
    reports.ROUTES["test"] = "tests.providers.test_providers.record_report"
    RECORDED.clear()
    yield RECORDED
    reports.ROUTES.pop("test")


RECORDED: list = []


def record_report(report):
    RECORDED.append(report)


@pytest.mark.parametrize(
    ("number", "accepted", "final"),
    [
        ("+9779800000000", True, "delivered"),
        ("+9779800000006", True, "delivered"),
        ("+9779800000007", True, "undelivered"),
        ("+9779800000008", True, "expired"),
        ("+9779800000009", False, None),
    ],
)
def test_simulated_sms_outcome_follows_last_digit(received, number, accepted, final):
    result = sms_backend().send(OutboundSms(to=number, body="hello", reference="test:1"))
    assert result.accepted is accepted
    assert SimulatedDelivery.objects.get(provider_id=result.provider_id).body == "hello"
    assert [r.status for r in received] == (["sent", final] if accepted else [])


@pytest.mark.parametrize(
    ("number", "final", "duration"),
    [
        ("+9779800000001", "completed", 10),
        ("+9779800000007", "hungup", 5),
        ("+9779800000008", "unanswered", None),
        ("+9779800000009", "failed", None),
    ],
)
def test_simulated_call_outcome_and_duration(received, number, final, duration):
    voice_backend().place_call(OutboundCall(to=number, reference="test:2", audio_url="/a.wav", audio_seconds=10))
    assert [r.status for r in received] == ["ringing", final]
    assert received[-1].duration == duration


def test_report_for_unknown_reference_is_dropped():
    from datetime import UTC, datetime

    from tingting.providers.base import StatusReport

    assert reports.deliver(StatusReport("nobody:1", "x", "delivered", datetime.now(UTC))) is False


def test_placeholder_tts_length_follows_text_and_factor():
    from tingting.providers.tts_silence import SilenceTtsBackend

    backend = SilenceTtsBackend()
    short = backend.render(text="नमस्ते", voice="np_rija", length_factor=1.0)
    long = backend.render(text="नमस्ते " * 10, voice="np_rija", length_factor=1.0)
    slow = backend.render(text="नमस्ते " * 10, voice="np_rija", length_factor=2.0)
    assert short.audio.startswith(b"RIFF") and long.duration > short.duration
    assert slow.duration == pytest.approx(2 * long.duration, rel=0.01)
