"""Provider backends, chosen by dotted path in settings (API_CONTRACT §6, §8)."""

from __future__ import annotations

from functools import cache

from django.conf import settings
from django.utils.module_loading import import_string

from tingting.providers.base import NumberBackend, SmsBackend, TtsBackend, VoiceBackend


@cache
def _load(dotted_path: str):
    return import_string(dotted_path)()


def sms_backend() -> SmsBackend:
    return _load(settings.SMS_BACKEND)


def voice_backend() -> VoiceBackend:
    return _load(settings.VOICE_BACKEND)


def number_backend() -> NumberBackend:
    return _load(settings.NUMBER_BACKEND)


def tts_backend() -> TtsBackend:
    return _load(settings.TTS_BACKEND)


def reset_backends() -> None:
    """Forget loaded backends (tests that switch settings)."""
    _load.cache_clear()
