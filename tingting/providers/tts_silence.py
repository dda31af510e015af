"""Placeholder TTS backend: silent WAV whose length follows the text.

It keeps the TTS interface usable (durations for credit estimates, a playable
file) on platforms without an ``espeakng-loader`` wheel and for tests that want no
speech (docs/providers.md).
"""

from __future__ import annotations

from tingting.providers.base import RenderedAudio, TtsBackend
from tingting.providers.tts_espeak import wav_bytes

SAMPLE_RATE = 8000
SECONDS_PER_CHARACTER = 0.07


class SilenceTtsBackend(TtsBackend):
    engine = "silence"
    is_simulated = True
    version = "1"

    def render(self, *, text: str, voice: str, length_factor: float) -> RenderedAudio:
        seconds = max(0.5, len(text.strip()) * SECONDS_PER_CHARACTER) * length_factor
        frames = int(seconds * SAMPLE_RATE)
        return RenderedAudio(audio=wav_bytes(b"\x00\x00" * frames, SAMPLE_RATE), duration=frames / SAMPLE_RATE)
