"""Text to audio through the configured TTS backend, with a render cache.

Campaign runs, OTP calls and the test-voice endpoint all call ``render_cached``,
so what a client hears in a test is what recipients hear.
"""

from __future__ import annotations

import hashlib
import hmac

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction

from tingting.models import TtsRender
from tingting.providers import tts_backend


def render_key(*, engine: str, version: str, voice: str, length_factor: float, text: str) -> str:
    material = "\x1f".join([engine, version, voice, f"{length_factor:.3f}", text]).encode()
    return hmac.new(settings.SECRET_KEY.encode(), material, hashlib.sha256).hexdigest()


def render_cached(*, text: str, voice: str, length_factor: float) -> TtsRender:
    """The stored render of ``text``; renders and stores it on a miss.

    Safe to call concurrently: two workers rendering the same text end with one
    row and one file (the loser of the insert race uses the winner's)."""
    backend = tts_backend()
    key = render_key(engine=backend.engine, version=backend.version, voice=voice,
                     length_factor=length_factor, text=text)
    existing = TtsRender.objects.filter(key=key).first()
    if existing is not None:
        return existing
    audio = backend.render(text=text, voice=voice, length_factor=length_factor)
    row = TtsRender(key=key, engine=backend.engine, engine_version=backend.version, voice=voice,
                    length_factor=length_factor, text=text, content_type=audio.content_type,
                    duration=audio.duration)
    row.audio.save(f"{key}.wav", ContentFile(audio.audio), save=False)
    try:
        with transaction.atomic():
            row.save()
    except IntegrityError:
        row.audio.delete(save=False)
        return TtsRender.objects.get(key=key)
    return row
