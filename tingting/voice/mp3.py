"""MP3 copies of renders, for clients that play the test-speak audio in a browser.

Encoded once per render with LAME (``lameenc``, a wheel with the encoder built
in) and stored next to the WAV as ``tts/<key>.mp3``; served by ``tts-audio-mp3``
under the same unguessable key. Without the encoder installed, callers get the
WAV URL instead (``is_available``).
"""

from __future__ import annotations

import io
import wave

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.urls import reverse

from tingting.models import TtsRender

BITRATE_KBPS = 32  # speech at telephony rates


def is_available() -> bool:
    try:
        import lameenc  # noqa: F401, PLC0415 - an optional encoder: present or not
    except ImportError:
        return False
    return True


def mp3_name(render: TtsRender) -> str:
    return f"tts/{render.key}.mp3"


def encode(wav: bytes) -> bytes:
    import lameenc  # noqa: PLC0415 - optional (is_available)

    with wave.open(io.BytesIO(wav), "rb") as reader:
        channels, rate = reader.getnchannels(), reader.getframerate()
        pcm = reader.readframes(reader.getnframes())
    encoder = lameenc.Encoder()
    encoder.set_bit_rate(BITRATE_KBPS)
    encoder.set_in_sample_rate(rate)
    encoder.set_channels(channels)
    encoder.set_quality(2)
    return bytes(encoder.encode(pcm) + encoder.flush())


def render_mp3(render: TtsRender) -> str:
    """The storage name of the render's MP3, encoding it on first use. Safe to repeat
    and to race: both writers produce the same bytes, the second finds the file."""
    name = mp3_name(render)
    if not default_storage.exists(name):
        with render.audio.open("rb") as handle:
            data = encode(handle.read())
        if not default_storage.exists(name):
            default_storage.save(name, ContentFile(data))
    return name


def audio_url(render: TtsRender, *, request=None) -> str:
    """Absolute URL of the MP3 when the encoder is installed, else of the WAV."""
    from tingting.voice.render import render_audio_url  # noqa: PLC0415 - import cycle with render

    if not is_available():
        return render_audio_url(render, request=request)
    render_mp3(render)
    path = reverse("tts-audio-mp3", kwargs={"key": render.key})
    if request is not None:
        return request.build_absolute_uri(path)
    return settings.PUBLIC_BASE_URL.rstrip("/") + path
