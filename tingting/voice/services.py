"""Writes of the voice pieces: rendering a test message."""

from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser

from tingting.errors import DependencyUnavailableError
from tingting.models import TtsRender
from tingting.providers.base import ProviderError
from tingting.voice.render import account_scope, render_cached


def voice_test_render(*, user: AbstractBaseUser, message: str, voice: str, length_factor: float) -> TtsRender:
    """Render ``message`` through the same cache the account's campaign runs use.

    Stores a render on a miss (a repeat returns the same row). Raises
    InvalidInputError for bad input and DependencyUnavailableError (503) when
    the TTS backend fails."""
    try:
        return render_cached(text=message, voice=voice, length_factor=length_factor, scope=account_scope(user.pk))
    except ProviderError as exc:
        raise DependencyUnavailableError(
            "Text to speech is unavailable; try again shortly.", code="tts_unavailable"
        ) from exc
