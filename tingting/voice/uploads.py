"""Uploaded audio (``aud_file``): sniffed by content, size and length checked.

The format comes from the file's first bytes, never from its name or the
client's content type: ``RIFF....WAVE`` is WAV, ``ID3`` or an MPEG audio frame
header is MP3, ``OggS`` is Ogg (Vorbis or Opus). ``mutagen`` then parses the
file and measures its duration; a file that starts right but does not parse is
a 400, anything else a 415, over 10 MB a 413, over 10 minutes a 400.
"""

from __future__ import annotations

from dataclasses import dataclass

from mutagen.mp3 import MP3
from mutagen.oggopus import OggOpus
from mutagen.oggvorbis import OggVorbis
from mutagen.wave import WAVE

from tingting.errors import InvalidInputError, PayloadTooLargeError, UnsupportedMediaTypeError

MAX_BYTES = 10 * 1024 * 1024
MAX_SECONDS = 600
CONTENT_TYPES = {"wav": "audio/wav", "mp3": "audio/mpeg", "ogg": "audio/ogg"}


@dataclass(frozen=True)
class AudioInfo:
    format: str  # "wav", "mp3", "ogg"
    duration: float  # seconds
    content_type: str


def sniff_audio_format(head: bytes) -> str | None:
    """ "wav", "mp3", "ogg" from the first bytes of a file, or None."""
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return "wav"
    if head[:4] == b"OggS":
        return "ogg"
    if head[:3] == b"ID3":
        return "mp3"
    # MPEG audio frame header: 11 sync bits, a valid version, layer III (the
    # "mp3" layer), a bitrate index that is neither free nor bad, a valid rate.
    if len(head) >= 4 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0:
        version, layer = (head[1] >> 3) & 0x3, (head[1] >> 1) & 0x3
        bitrate, rate = head[2] >> 4, (head[2] >> 2) & 0x3
        if version != 1 and layer == 1 and bitrate not in (0, 15) and rate != 3:
            return "mp3"
    return None


def _duration(upload, kind: str) -> float:
    if kind == "wav":
        return WAVE(upload).info.length
    if kind == "mp3":
        return MP3(upload).info.length
    page = upload.read(27 + 255)  # first Ogg page: 27-byte header, segment table, packet
    upload.seek(0)
    codec = page[27 + page[26] :][:8] if len(page) > 27 else b""
    if codec.startswith(b"OpusHead"):
        return OggOpus(upload).info.length
    if codec.startswith(b"\x01vorbis"):
        return OggVorbis(upload).info.length
    raise UnsupportedMediaTypeError


def inspect_audio_upload(upload, *, field: str = "aud_file") -> AudioInfo:
    """Check an uploaded file; raises 413 / 415 / 400 errors naming ``field``.

    Reads the file, leaves it rewound; safe to call more than once."""
    if upload.size is not None and upload.size > MAX_BYTES:
        raise PayloadTooLargeError(f"{field} is larger than 10 MB.", field=field)
    upload.seek(0)
    head = upload.read(12)
    upload.seek(0)
    kind = sniff_audio_format(head)
    unsupported = UnsupportedMediaTypeError(f"{field} must be MP3, WAV or Ogg (Vorbis or Opus) audio.", field=field)
    if kind is None:
        raise unsupported
    try:
        duration = _duration(upload, kind)
    except UnsupportedMediaTypeError:
        raise unsupported from None
    except Exception as exc:  # mutagen raises MutagenError, and struct/index errors on crafted files
        raise InvalidInputError(f"{field} is not readable {kind} audio.", field=field, code="invalid_audio") from exc
    finally:
        upload.seek(0)
    if not duration or duration <= 0:
        raise InvalidInputError(f"{field} is empty.", field=field, code="invalid_audio")
    if duration > MAX_SECONDS:
        raise InvalidInputError(f"{field} is longer than 10 minutes.", field=field, code="audio_too_long")
    return AudioInfo(format=kind, duration=round(float(duration), 3), content_type=CONTENT_TYPES[kind])
