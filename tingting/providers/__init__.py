"""Provider backends, chosen by dotted path in settings (docs/api/API_CONTRACT.md §6, §8)."""

from __future__ import annotations

from functools import cache

from django.conf import settings
from django.utils.module_loading import import_string

from tingting.providers.base import NumberBackend, SmsBackend, TtsBackend, VoiceBackend
from tingting.providers.failover import FailoverSmsBackend, FailoverVoiceBackend


@cache
def _load(dotted_path: str):
    return import_string(dotted_path)()


@cache
def _failover(kind: str, primary: str, secondary: str):
    wrapper = FailoverSmsBackend if kind == "sms" else FailoverVoiceBackend
    return wrapper(primary=_load(primary), secondary=_load(secondary))


def sms_backend() -> SmsBackend:
    """SMS_BACKEND, wrapped in failover to SMS_BACKEND_FALLBACK when that is set."""
    if settings.SMS_BACKEND_FALLBACK:
        return _failover("sms", settings.SMS_BACKEND, settings.SMS_BACKEND_FALLBACK)
    return _load(settings.SMS_BACKEND)


def voice_backend() -> VoiceBackend:
    """VOICE_BACKEND, wrapped in failover to VOICE_BACKEND_FALLBACK when that is set."""
    if settings.VOICE_BACKEND_FALLBACK:
        return _failover("voice", settings.VOICE_BACKEND, settings.VOICE_BACKEND_FALLBACK)
    return _load(settings.VOICE_BACKEND)


def number_backend() -> NumberBackend:
    return _load(settings.NUMBER_BACKEND)


def tts_backend() -> TtsBackend:
    return _load(settings.TTS_BACKEND)


def reset_backends() -> None:
    """Forget loaded backends (tests that switch settings)."""
    _load.cache_clear()
    _failover.cache_clear()
