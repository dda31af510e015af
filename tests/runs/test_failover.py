"""Provider failover between two backends (tingting/providers/failover.py)."""

import time

import pytest
from django.core.cache import cache

from tingting import providers
from tingting.models import SimulatedDelivery
from tingting.providers.base import (
    OutboundCall,
    OutboundSms,
    ProviderPermanentError,
    ProviderTemporaryError,
    ProviderTimeoutError,
    SmsBackend,
    StatusReport,
    Submission,
    VoiceBackend,
)
from tingting.providers.failover import FailoverSmsBackend, FailoverVoiceBackend, health


class FakeSms(SmsBackend):
    """A provider double: records what it was asked and raises what it is told to."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.sent: list[str] = []
        self.errors: list[Exception] = []  # raised by the next sends, in order
        self.is_down = False

    def send(self, message):
        if self.errors:
            raise self.errors.pop(0)
        if self.is_down:
            raise ProviderTemporaryError(f"{self.name} is down", status=503)
        self.sent.append(message.reference)
        return Submission(provider_id=f"{self.name}-{message.reference}")

    def lookup(self, reference):
        if reference in self.sent:
            return StatusReport(reference, f"{self.name}-{reference}", "sent", occurred_at=None)
        return None


class FakeVoice(VoiceBackend):
    def __init__(self, name: str) -> None:
        self.name = name
        self.calls: list[str] = []
        self.is_down = False

    def place_call(self, call):
        if self.is_down:
            raise ProviderTemporaryError("down")
        self.calls.append(call.reference)
        return Submission(provider_id=f"{self.name}-{call.reference}")


@pytest.fixture
def pair(settings):
    settings.FAILOVER_WINDOW_SECONDS = 60
    settings.FAILOVER_ERROR_RATE = 0.5
    settings.FAILOVER_MIN_REQUESTS = 4
    primary, secondary = FakeSms(f"a-{time.time_ns()}"), FakeSms(f"b-{time.time_ns()}")
    return primary, secondary, FailoverSmsBackend(primary=primary, secondary=secondary)


def sms(ref: str) -> OutboundSms:
    return OutboundSms(to="+9779843818700", body="hi", reference=ref)


def test_healthy_primary_handles_and_is_recorded(pair):
    primary, secondary, backend = pair
    submission = backend.send(sms("r1"))
    assert submission == Submission(provider_id=f"{primary.name}-r1", backend=primary.name)
    assert secondary.sent == []


def test_temporary_error_sends_the_same_message_on_the_secondary(pair):
    primary, secondary, backend = pair
    primary.errors = [ProviderTemporaryError("503", status=503)]
    submission = backend.send(sms("r1"))
    assert submission.backend == secondary.name and secondary.sent == ["r1"] and primary.sent == []
    # Credentials refused (401) is the provider's trouble too: failed over.
    primary.errors = [ProviderPermanentError("bad auth", status=401)]
    assert backend.send(sms("r2")).backend == secondary.name


def test_a_bad_number_is_not_failed_over(pair):
    primary, secondary, backend = pair
    primary.errors = [ProviderPermanentError("invalid To", code="21211", status=400)]
    with pytest.raises(ProviderPermanentError):
        backend.send(sms("r1"))
    assert secondary.sent == []
    assert health.counts(primary.name) == (1, 0)


def test_failing_primary_is_skipped_while_its_error_rate_is_high(pair):
    primary, secondary, backend = pair
    primary.is_down = True
    for index in range(4):
        assert backend.send(sms(f"r{index}")).backend == secondary.name
    assert health.is_failing(primary.name)
    primary.is_down = False
    primary.errors = [AssertionError("the primary must not be called")]
    assert backend.send(sms("r9")).backend == secondary.name
    assert health.counts(primary.name) == (4, 4)


def test_primary_is_tried_again_once_its_errors_age_out(pair, settings):
    primary, secondary, backend = pair
    settings.FAILOVER_WINDOW_SECONDS = 2
    primary.is_down = True
    for index in range(4):
        backend.send(sms(f"r{index}"))
    assert health.is_failing(primary.name)
    primary.is_down = False
    time.sleep(2.2)
    assert not health.is_failing(primary.name)
    assert backend.send(sms("later")).backend == primary.name


def test_timeout_is_not_failed_over_and_the_reference_stays_with_its_backend(pair):
    primary, secondary, backend = pair
    primary.errors = [ProviderTimeoutError("no answer")]
    with pytest.raises(ProviderTimeoutError):
        backend.send(sms("r1"))
    assert secondary.sent == []
    # Even with the primary now failing, the retry of r1 goes to the primary (which reconciles).
    primary.is_down = True
    for index in range(4):
        backend.send(sms(f"x{index}"))
    assert health.is_failing(primary.name)
    with pytest.raises(ProviderTemporaryError):
        backend.send(sms("r1"))
    assert "r1" not in secondary.sent
    primary.is_down = False
    assert backend.send(sms("r1")).backend == primary.name


def test_lookup_asks_the_backend_that_handled_the_reference(pair):
    primary, secondary, backend = pair
    primary.errors = [ProviderTemporaryError("down")]
    backend.send(sms("r1"))
    report = backend.lookup("r1")
    assert report.provider_id == f"{secondary.name}-r1"
    cache.delete("failover:ref:r1")  # unknown binding: both are asked
    assert backend.lookup("r1").provider_id == f"{secondary.name}-r1"
    assert backend.lookup("nobody") is None


def test_voice_fails_over_the_same_way(settings):
    settings.FAILOVER_MIN_REQUESTS = 4
    primary, secondary = FakeVoice(f"va-{time.time_ns()}"), FakeVoice(f"vb-{time.time_ns()}")
    backend = FailoverVoiceBackend(primary=primary, secondary=secondary)
    call = OutboundCall(to="+9779843818700", reference="c1", audio_url="https://x/a.wav", audio_seconds=3)
    assert backend.place_call(call).backend == primary.name
    primary.is_down = True
    assert (
        backend.place_call(
            OutboundCall(to="+9779843818700", reference="c2", audio_url="https://x/a.wav", audio_seconds=3)
        ).backend
        == secondary.name
    )
    assert backend.cancel("c2") is False  # the fake cannot cancel


@pytest.mark.django_db
def test_settings_wrap_the_configured_backends(settings):
    settings.SMS_BACKEND_FALLBACK = "tingting.providers.simulated.SimulatedSmsBackend"
    providers.reset_backends()
    try:
        backend = providers.sms_backend()
        assert isinstance(backend, FailoverSmsBackend)
        submission = backend.send(sms("tmsg:failover-1"))
        assert submission.backend == "simulated-sms" and submission.accepted
        assert SimulatedDelivery.objects.get(reference="tmsg:failover-1").to == "+9779843818700"
    finally:
        settings.SMS_BACKEND_FALLBACK = ""
        providers.reset_backends()
    assert not isinstance(providers.sms_backend(), FailoverSmsBackend)
