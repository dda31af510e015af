"""Helpers to look at rendered audio and to build small audio files for upload tests."""

from __future__ import annotations

import io
import math
import struct
import wave
from array import array
from dataclasses import dataclass


@dataclass
class WavStats:
    rate: int
    channels: int
    sample_width: int
    duration: float
    rms: float


def wav_stats(data: bytes) -> WavStats:
    with wave.open(io.BytesIO(data), "rb") as reader:
        frames = reader.readframes(reader.getnframes())
        stats = (reader.getframerate(), reader.getnchannels(), reader.getsampwidth())
    samples = array("h", frames)
    rms = math.sqrt(sum(s * s for s in samples) / len(samples)) if samples else 0.0
    return WavStats(stats[0], stats[1], stats[2], len(samples) / stats[0], rms)


def wav_file(seconds: float, *, rate: int = 8000) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(b"\x00\x00" * int(seconds * rate))
    return buffer.getvalue()


MP3_BITRATE_INDEX = {32: 1, 64: 5, 128: 9}


def mp3_file(seconds: float, *, id3: bool = False, kbps: int = 128) -> bytes:
    """MPEG-1 Layer III, 44.1 kHz frames with a silent (zero) payload."""
    header = bytes([0xFF, 0xFB, MP3_BITRATE_INDEX[kbps] << 4, 0x64])
    frame = header + b"\x00" * (144 * kbps * 1000 // 44100 - 4)
    frames = frame * math.ceil(seconds * 44100 / 1152)
    tag = b"ID3\x04\x00\x00\x00\x00\x00\x00" if id3 else b""
    return tag + frames


def ogg_opus_file(seconds: float) -> bytes:
    """Ogg Opus: OpusHead, OpusTags, then pages of 20 ms silent frames."""
    from mutagen.ogg import OggPage

    def page(packet: bytes, sequence: int, granule: int, *, first=False, last=False) -> bytes:
        p = OggPage()
        p.serial, p.sequence, p.position = 1234, sequence, granule
        p.first, p.last = first, last
        p.packets = [packet]
        return p.write()

    pre_skip = 312
    head = b"OpusHead" + struct.pack("<BBHIhB", 1, 1, pre_skip, 48000, 0, 0)
    tags = b"OpusTags" + struct.pack("<I", 4) + b"test" + struct.pack("<I", 0)
    out = page(head, 0, 0, first=True) + page(tags, 1, 0)
    frames = math.ceil(seconds / 0.02)
    per_page = 50
    sequence = 2
    for start in range(0, frames, per_page):
        count = min(per_page, frames - start)
        granule = pre_skip + (start + count) * 960
        # One packet of ``count`` 20 ms CELT frames (TOC code 3, VBR off, silent).
        packet = bytes([0xF8 | 3, count]) + b"\x00" * count
        out += page(packet, sequence, granule, last=start + count >= frames)
        sequence += 1
    return out


def ogg_vorbis_head_only() -> bytes:
    """An Ogg stream whose first packet says Vorbis but which has no valid headers."""
    from mutagen.ogg import OggPage

    p = OggPage()
    p.serial, p.sequence, p.position, p.first = 99, 0, 0, True
    p.packets = [b"\x01vorbis" + b"\x00" * 22]
    return p.write()
