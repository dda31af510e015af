"""Text to speech: render time per second of audio, cold (engine) against cached."""

from __future__ import annotations

import time

from tingting.models import TtsRender
from tingting.providers import tts_backend
from tingting.voice.render import account_scope, render_cached

SCOPE = account_scope(0)  # the bench's own cache

# 200 characters of ordinary Nepali prose.
SENTENCE = (
    "नमस्कार, टिङ्टिङ सेवामा हजुरलाई स्वागत छ। तपाईंको खातामा नयाँ सन्देश आएको छ। "
    "कृपया आफ्नो मोबाइलमा आएको कोड कसैलाई पनि नदिनुहोला। थप जानकारीका लागि हाम्रो "
    "ग्राहक सेवा केन्द्रमा सम्पर्क गर्नुहोला। धन्यवाद।"
)[:200]


def run(quick: bool, out) -> None:
    cold_runs = 3 if quick else 10
    hot_runs = 50 if quick else 500
    backend = tts_backend()
    created: list[int] = []
    try:
        cold_seconds = audio_seconds = 0.0
        for index in range(cold_runs):
            # A distinct text per run (a trailing variation), so each one misses.
            text = f"{SENTENCE} {index + 1}"
            started = time.perf_counter()
            render = render_cached(text=text, voice="np_rija", length_factor=1.0, scope=SCOPE)
            cold_seconds += time.perf_counter() - started
            audio_seconds += render.duration
            created.append(render.pk)
        text = f"{SENTENCE} 1"
        started = time.perf_counter()
        for _ in range(hot_runs):
            hot = render_cached(text=text, voice="np_rija", length_factor=1.0, scope=SCOPE)
        hot_seconds = time.perf_counter() - started
        cold_per_audio = cold_seconds / audio_seconds
        hot_per_audio = (hot_seconds / hot_runs) / hot.duration
        out.write(
            f"tts ({backend.engine} {backend.version}): {len(SENTENCE)}-character Nepali sentence, "
            f"{audio_seconds / cold_runs:.1f} s of audio; cold render {cold_seconds / cold_runs * 1000:.0f} ms "
            f"({cold_per_audio * 1000:.1f} ms per audio second, {1 / cold_per_audio:.0f}x real time), "
            f"cached {hot_seconds / hot_runs * 1000:.2f} ms ({hot_per_audio * 1000:.3f} ms per audio second); "
            f"ratio {cold_per_audio / hot_per_audio:.0f}x faster cached"
        )
    finally:
        for render in TtsRender.objects.filter(pk__in=created):
            render.audio.delete(save=False)
            render.delete()
