"""Uploaded audio (``aud_file``): sniffed by content, size and length checked.

Minimal version: WAV only, read with the standard library. The TTS issue extends
it to mp3 and ogg.
"""

from __future__ import annotations

import wave
from dataclasses import dataclass

from tingting.api.errors import InvalidInputError, PayloadTooLargeError, UnsupportedMediaTypeError

MAX_BYTES = 10 * 1024 * 1024
MAX_SECONDS = 600


@dataclass(frozen=True)
class AudioInfo:
    format: str  # "wav", "mp3", "ogg"
    duration: float  # seconds
    content_type: str


def inspect_audio_upload(upload, *, field: str = "aud_file") -> AudioInfo:
    """Check an uploaded file; raises 413 / 415 / 400 errors naming ``field``."""
    if upload.size > MAX_BYTES:
        raise PayloadTooLargeError(f"{field} is larger than 10 MB.", field=field)
    head = upload.read(12)
    upload.seek(0)
    if not (head[:4] == b"RIFF" and head[8:12] == b"WAVE"):
        raise UnsupportedMediaTypeError(f"{field} must be WAV audio.", field=field)
    try:
        with wave.open(upload, "rb") as reader:
            duration = reader.getnframes() / float(reader.getframerate())
    except (wave.Error, EOFError, ZeroDivisionError) as exc:
        raise InvalidInputError(f"{field} is not readable audio.", field=field, code="invalid_audio") from exc
    finally:
        upload.seek(0)
    if duration <= 0:
        raise InvalidInputError(f"{field} is empty.", field=field, code="invalid_audio")
    if duration > MAX_SECONDS:
        raise InvalidInputError(f"{field} is longer than 10 minutes.", field=field, code="audio_too_long")
    return AudioInfo(format="wav", duration=duration, content_type="audio/wav")
