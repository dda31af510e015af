"""Text to audio through the configured TTS backend, with a render cache.

Campaign runs, OTP calls and the test-voice endpoint all call ``render_cached``,
so what a client hears in a test is what recipients hear.

For other apps:

- ``voice_normalize(value)`` / ``length_factor_normalize(value)`` parse the
  client's ``voice_input`` / ``length_factor`` (alias ``np_prashanna``, strings
  or numbers, 0.5-2.0) and raise a 400 naming the field.
- ``render_cached(text=, voice=, length_factor=, scope=)`` returns the stored
  ``TtsRender`` (``.duration`` in seconds, ``.audio`` the WAV file, ``.key``).
  ``scope`` is whose cache it is: ``account_scope(user_id)`` for what an
  account asks for (campaigns, test voice), ``OTP_SCOPE`` for OTP calls. A hit
  answers much faster than a render, so a cache shared between accounts would
  let one account learn by timing that another rendered a text (an OTP code, a
  campaign message); each account only ever hits its own renders.
- ``render_digits(code, voice=)`` speaks an OTP digit by digit, slowly.
- ``render_audio_url(render, request=None)`` is the absolute, unguessable URL a
  voice provider (or a client) fetches the WAV from.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import time
import unicodedata

from django.conf import settings
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.urls import reverse

from tingting.errors import InvalidInputError
from tingting.models import TtsRender
from tingting.providers import tts_backend
from tingting.voice import catalogue

# The built-in voices; the catalogue (tingting.voice.catalogue) may add more.
VOICES = tuple(catalogue.BUILTIN)
DEFAULT_VOICE = catalogue.DEFAULT_VOICE
MIN_LENGTH_FACTOR, MAX_LENGTH_FACTOR = 0.5, 2.0
DEFAULT_LENGTH_FACTOR = 1.0
# Digits of a code are spoken this much slower than normal speech.
DIGITS_LENGTH_FACTOR = 1.3
# While one process renders a text, others wait this long for its result
# instead of rendering the same text again.
RENDER_WAIT_SECONDS = 30


def voice_normalize(value: object, *, field: str = "voice_input") -> str:
    """The canonical voice name for what a client sent (default ``np_rija``)."""
    if value is None or value == "":
        return DEFAULT_VOICE
    name = catalogue.canonical(str(value))
    if name is None:
        raise InvalidInputError(
            f"Unknown voice {str(value)[:40]!r}: use one of {', '.join(catalogue.names())}.",
            field=field,
            code="invalid_choice",
        )
    return name


def length_factor_normalize(value: object, *, field: str = "length_factor") -> float:
    """A length factor from a string or a number, 0.5-2.0 (default 1.0), to 3 decimals."""
    if value is None or value == "":
        return DEFAULT_LENGTH_FACTOR
    message = f"The length factor must be a number from {MIN_LENGTH_FACTOR} to {MAX_LENGTH_FACTOR}."
    if isinstance(value, bool):
        raise InvalidInputError(message, field=field, code="invalid")
    try:
        factor = float(str(value).strip())
    except ValueError:
        raise InvalidInputError(message, field=field, code="invalid") from None
    if not math.isfinite(factor) or not MIN_LENGTH_FACTOR <= factor <= MAX_LENGTH_FACTOR:
        raise InvalidInputError(message, field=field, code="out_of_range")
    return round(factor, 3)


def text_normalize(text: str) -> str:
    """What is spoken and keyed: NFC, whitespace runs collapsed to one space."""
    return " ".join(unicodedata.normalize("NFC", text).split())


OTP_SCOPE = "otp"


def account_scope(user_id: int) -> str:
    """The render-cache scope of an account's own renders."""
    return f"account:{user_id}"


def render_key(*, engine: str, version: str, voice: str, length_factor: float, text: str, scope: str) -> str:
    material = "\x1f".join([scope, engine, version, voice, f"{length_factor:.3f}", text]).encode()
    return hmac.new(settings.SECRET_KEY.encode(), material, hashlib.sha256).hexdigest()


def render_cached(*, text: str, voice: str, length_factor: float, scope: str) -> TtsRender:
    """The stored render of ``text`` in the cache of ``scope`` (see the module
    docstring); renders and stores it on a miss.

    ``voice`` may be an alias; an unknown voice, a length factor outside
    0.5-2.0 or an empty text raise InvalidInputError. Backend failures raise
    the backend's ProviderError. Safe to call concurrently: one process renders
    while the others wait for its row (bounded), and if two still render, the
    loser of the insert race drops its file and returns the winner's row, so a
    text has one row and one file."""
    voice = voice_normalize(voice, field="voice")
    length_factor = length_factor_normalize(length_factor)
    text = text_normalize(text)
    if not text:
        raise InvalidInputError("Nothing to speak: the text is empty.", field="text", code="blank")
    backend = tts_backend()
    key = render_key(
        engine=backend.engine,
        version=backend.version,
        voice=catalogue.render_variant(voice),
        length_factor=length_factor,
        text=text,
        scope=scope,
    )
    existing = _stored(key)
    if existing is not None:
        return existing
    lock = f"tts:render:{key}"
    if not cache.add(lock, 1, timeout=RENDER_WAIT_SECONDS):
        waited = _wait_for_render(key, lock)
        if waited is not None:
            return waited
    try:
        return _render_and_store(backend, key=key, text=text, voice=voice, length_factor=length_factor)
    finally:
        cache.delete(lock)


def _stored(key: str) -> TtsRender | None:
    # get() rather than first(): no ORDER BY, and this lookup is the whole cost of a hit.
    try:
        return TtsRender.objects.get(key=key)
    except TtsRender.DoesNotExist:
        return None


def _wait_for_render(key: str, lock: str) -> TtsRender | None:
    deadline = time.monotonic() + RENDER_WAIT_SECONDS
    while time.monotonic() < deadline:
        row = _stored(key)
        if row is not None or cache.get(lock) is None:
            return row or _stored(key)
        time.sleep(0.05)
    return None


def _render_and_store(backend, *, key: str, text: str, voice: str, length_factor: float) -> TtsRender:
    audio = backend.render(text=text, voice=voice, length_factor=length_factor)
    row = TtsRender(
        key=key,
        engine=backend.engine,
        engine_version=backend.version,
        voice=voice,
        length_factor=length_factor,
        text=text,
        content_type=audio.content_type,
        duration=audio.duration,
    )
    row.audio.save(f"{key}.wav", ContentFile(audio.audio), save=False)
    try:
        with transaction.atomic():
            row.save()
    except IntegrityError:
        row.audio.delete(save=False)
        return TtsRender.objects.get(key=key)
    return row


def spoken_digits(code: str) -> str:
    """``"1234"`` → ``"1, 2, 3, 4"``: each digit a word of its own, with a pause.

    Without the separators eSpeak (and people) read "1234" as one number."""
    digits = [char for char in str(code) if char.isdigit()]
    return ", ".join(digits)


def render_digits(code: str, *, voice: str = DEFAULT_VOICE) -> TtsRender:
    """The render of ``code`` spoken digit by digit at length factor 1.3."""
    text = spoken_digits(code)
    if not text:
        raise InvalidInputError("The code has no digits to speak.", field="otp", code="invalid")
    return render_cached(text=text, voice=voice, length_factor=DIGITS_LENGTH_FACTOR, scope=OTP_SCOPE)


def render_audio_url(render: TtsRender, *, request=None) -> str:
    """Absolute URL of the render's WAV. With a request it uses the request's
    host; without one (workers), ``PUBLIC_BASE_URL``."""
    path = reverse("tts-audio", kwargs={"key": render.key})
    if request is not None:
        return request.build_absolute_uri(path)
    return settings.PUBLIC_BASE_URL.rstrip("/") + path
