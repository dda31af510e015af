"""One interface per provider kind, and the dataclasses they speak.

Vendors implement these in their own module and map vendor errors to
``ProviderTemporaryError`` (retry with backoff) or ``ProviderPermanentError``
(record as failed). ``ProviderTimeoutError`` means the vendor may have accepted
the request: callers reconcile with ``lookup`` instead of sending again.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.conf import settings


class ProviderError(Exception):
    """``code`` is the vendor's error code when it gave one ("21211", "1013"),
    ``status`` the HTTP status, ``retry_after`` seconds the vendor asked us to wait."""

    def __init__(
        self, message: str = "", *, code: str = "", status: int | None = None, retry_after: float | None = None
    ) -> None:
        super().__init__(message)
        self.code = code
        self.status = status
        self.retry_after = retry_after


class ProviderTemporaryError(ProviderError):
    """Worth retrying later (5xx, 429, connection refused before sending)."""


class ProviderTimeoutError(ProviderTemporaryError):
    """No answer after the request was sent: it may have been accepted."""


class ProviderPermanentError(ProviderError):
    """The vendor refused the request for good (4xx, invalid number)."""


# --- SMS and voice -------------------------------------------------------------


@dataclass(frozen=True)
class OutboundSms:
    to: str  # E.164
    body: str
    reference: str  # our id, e.g. "tmsg:<uuid>"; vendors echo it back or we map it
    sender: str = ""
    callback_url: str = ""


@dataclass(frozen=True)
class ScriptStep:
    """One step of a scripted call (an IVR survey): a prompt, then what it waits for.

    ``response``: "dtmf" (key presses, up to ``max_digits``, ``timeout`` seconds),
    "record" (a recording of up to ``max_record_seconds``, ended by ``timeout``
    seconds of silence) or "none". ``retries``: times the step is asked again
    when nothing came. ``order`` names the step in answers and callbacks."""

    order: int
    audio_url: str
    audio_seconds: float
    response: str = "none"
    timeout: int = 5
    max_digits: int = 1
    max_record_seconds: int = 30
    retries: int = 0

    @property
    def waits(self) -> bool:
        return self.response != "none"


@dataclass(frozen=True)
class StepAnswer:
    """What a scripted call collected at one step, vendor-neutral: ``digits``, or
    a recording (the vendor's URL and id, or for the simulated backend its bytes)."""

    reference: str
    order: int
    occurred_at: datetime
    digits: str = ""
    recording_url: str = ""
    recording_sid: str = ""
    recording_seconds: int | None = None
    recording_audio: bytes | None = None


@dataclass(frozen=True)
class OutboundCall:
    to: str  # E.164
    reference: str
    audio_url: str  # the message; for a script, its first prompt
    audio_seconds: float  # for a script, the prompts' total (what a full listen takes)
    caller_id: str = ""
    callback_url: str = ""
    # A scripted call (survey): its steps in order; empty for a one-message call.
    script: tuple[ScriptStep, ...] = ()


@dataclass(frozen=True)
class Submission:
    """The vendor's answer to a send or a call: accepted with its id, or refused."""

    provider_id: str
    accepted: bool = True
    error: str = ""
    # Which backend handled it (its ``name``); set by the failover wrapper.
    backend: str = ""


@dataclass(frozen=True)
class StatusReport:
    """A delivery report (SMS) or call outcome (voice), vendor-neutral.

    SMS ``status``: queued, sent, delivered, undelivered, failed, expired.
    Voice ``status``: ringing, answered (in progress), then one of completed,
    hungup, unanswered, failed, terminated (we cancelled it).
    """

    reference: str
    provider_id: str
    status: str
    occurred_at: datetime
    duration: int | None = None  # voice: seconds connected
    playback: int | None = None  # voice: seconds of audio played
    error: str = ""


def each(call, items: list) -> list:
    """``call`` on every item; what it raised is returned in the item's place."""
    results: list = []
    for item in items:
        try:
            results.append(call(item))
        except Exception as exc:  # noqa: BLE001 - handed back to the caller, per item
            results.append(exc)
    return results


class ConfiguredBackend:
    """What the deployment check (``tingting/checks.py``) reads of a backend class."""

    # True for the stand-ins that fake deliveries (tests, the demo): refused with DEBUG off.
    is_simulated: bool = False
    # Settings that must be non-empty for the backend to reach its vendor and be reached back.
    required_settings: tuple[str, ...] = ()

    @classmethod
    def missing_settings(cls) -> list[str]:
        return [name for name in cls.required_settings if not str(getattr(settings, name, "") or "").strip()]


class SmsBackend(ConfiguredBackend, ABC):
    name = "sms"

    @abstractmethod
    def send(self, message: OutboundSms) -> Submission:
        """Submit one message. Raises a ProviderError subclass."""

    def send_many(self, messages: list[OutboundSms]) -> list[Submission | Exception]:
        """Submit several messages; one result per message, in order: its
        ``Submission``, or the exception ``send`` raised for it (one refusal does
        not lose the others' answers). The default calls ``send`` for each; a
        backend with a batch API overrides it (``has_batch`` is then True). If
        the override raises, none of the messages' fates is known."""
        return each(self.send, messages)

    @classmethod
    def has_batch(cls) -> bool:
        return cls.send_many is not SmsBackend.send_many

    def lookup(self, reference: str) -> StatusReport | None:
        """The vendor's view of a message we may have sent (reconciliation)."""
        return None


class VoiceBackend(ConfiguredBackend, ABC):
    name = "voice"

    @abstractmethod
    def place_call(self, call: OutboundCall) -> Submission:
        """Start one call. Raises a ProviderError subclass."""

    def place_calls(self, calls: list[OutboundCall]) -> list[Submission | Exception]:
        """Start several calls; results as for ``SmsBackend.send_many``."""
        return each(self.place_call, calls)

    @classmethod
    def has_batch(cls) -> bool:
        return cls.place_calls is not VoiceBackend.place_calls

    def lookup(self, reference: str) -> StatusReport | None:
        return None

    def fetch_recording(self, url: str) -> bytes:
        """The audio of a recording a scripted call made (``StepAnswer.recording_url``).
        Backends that record on the vendor's side implement it."""
        raise ProviderPermanentError(f"{self.name} keeps no recordings to fetch")


# --- Numbers -------------------------------------------------------------------


@dataclass(frozen=True)
class NumberOffer:
    phone_number: str  # E.164
    sid: str  # 32 hex
    rate: Decimal
    capabilities: tuple[str, ...] = ("Voice", "SMS")
    friendly_name: str = ""


class NumberBackend(ConfiguredBackend, ABC):
    name = "numbers"

    @abstractmethod
    def available(self) -> list[NumberOffer]:
        """Numbers on offer to buy."""

    @abstractmethod
    def purchase(self, offer: NumberOffer) -> str:
        """Acquire the number at the vendor; returns the vendor's id for it."""

    @abstractmethod
    def release(self, sid: str, vendor_id: str = "") -> None:
        """Give the number back to the vendor."""

    def owned(self, phone_number: str) -> str | None:
        """The vendor's id for ``phone_number`` if our account owns it there, else
        None (reconciles a purchase whose answer was lost). Raises ProviderError
        when the vendor cannot be asked. A backend whose purchases always answer
        never needs it."""
        return None


# --- Text to speech --------------------------------------------------------------


@dataclass(frozen=True)
class RenderedAudio:
    audio: bytes
    duration: float  # seconds
    content_type: str = "audio/wav"
    extra: dict = field(default_factory=dict)


class TtsBackend(ConfiguredBackend, ABC):
    engine = "tts"
    version = "0"
    voices: tuple[str, ...] = ("np_rija", "np_prasanna", "np_binod")

    @abstractmethod
    def render(self, *, text: str, voice: str, length_factor: float) -> RenderedAudio:
        """Speak ``text``; ``length_factor`` 2.0 takes about twice as long."""
