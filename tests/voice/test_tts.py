"""The eSpeak NG backend and the render cache: real Nepali speech, stored once."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.support.audio import wav_stats
from tests.support.threads import errors_of, race
from tests.support.workers import running_worker, wait_until
from tingting.errors import InvalidInputError
from tingting.models import TtsRender
from tingting.providers import tts_backend
from tingting.providers.tts_espeak import VOICES, EspeakTtsBackend
from tingting.voice.render import account_scope, render_cached, render_digits, spoken_digits
from tingting.voice.resample import resample_pcm16

# Rendering reads the voice catalogue (tingting.voice.catalogue, the voices table).
pytestmark = pytest.mark.django_db

SHORT = "नमस्ते।"
SENTENCE = "नमस्कार, टिङ्टिंगमा हजुरलाई स्वागत छ। आज तपाईंको खातामा नयाँ सन्देश आएको छ।"
SILENCE_RMS = 300  # int16 RMS; eSpeak speech measures in the thousands
SCOPE = account_scope(1)


def stored_files(media: Path) -> list[Path]:
    return sorted((media / "tts").glob("*.wav")) if (media / "tts").exists() else []


def test_default_backend_is_espeak_speaking_nepali():
    backend = tts_backend()
    assert isinstance(backend, EspeakTtsBackend)
    assert backend.engine == "espeak-ng" and backend.voices == ("np_rija", "np_prasanna", "np_binod")
    assert all(config.espeak_name.startswith("ne+") for config in VOICES.values())


@pytest.mark.parametrize("voice", ["np_rija", "np_prasanna", "np_binod"])
def test_render_is_audible_mono_pcm_at_the_telephony_rate(voice):
    audio = tts_backend().render(text=SENTENCE, voice=voice, length_factor=1.0)
    stats = wav_stats(audio.audio)
    assert (stats.rate, stats.channels, stats.sample_width) == (8000, 1, 2)
    assert audio.content_type == "audio/wav"
    assert stats.rms > SILENCE_RMS
    assert abs(stats.duration - audio.duration) < 0.01
    assert 3 < audio.duration < 15


def test_sample_rate_follows_the_setting(settings):
    settings.TTS_SAMPLE_RATE = 16000
    backend = EspeakTtsBackend()
    stats = wav_stats(backend.render(text=SHORT, voice="np_rija", length_factor=1.0).audio)
    assert stats.rate == 16000 and stats.rms > SILENCE_RMS
    assert backend.version.endswith("/16000")


def test_duration_grows_with_text_length_and_length_factor():
    backend = tts_backend()
    short = backend.render(text=SHORT, voice="np_rija", length_factor=1.0).duration
    long = backend.render(text=SENTENCE, voice="np_rija", length_factor=1.0).duration
    assert long > 3 * short
    for voice in VOICES:
        normal = backend.render(text=SENTENCE, voice=voice, length_factor=1.0).duration
        slow = backend.render(text=SENTENCE, voice=voice, length_factor=2.0).duration
        fast = backend.render(text=SENTENCE, voice=voice, length_factor=0.5).duration
        assert 1.7 < slow / normal < 2.4, (voice, slow / normal)
        assert 0.4 < fast / normal < 0.6, (voice, fast / normal)


def test_the_three_voices_sound_different():
    backend = tts_backend()
    renders = {v: backend.render(text=SENTENCE, voice=v, length_factor=1.0) for v in VOICES}
    assert len({r.audio for r in renders.values()}) == 3
    assert len({r.duration for r in renders.values()}) == 3

    def pitch_hz(data: bytes) -> float:
        """Median fundamental over voiced 40 ms frames, by autocorrelation."""
        samples = np.frombuffer(data[44:], dtype="<i2").astype(float)
        estimates = []
        for start in range(0, len(samples) - 320, 320):
            frame = samples[start : start + 320]
            if np.sqrt(np.mean(frame**2)) < 1500:
                continue
            corr = np.correlate(frame, frame, "full")[319:]
            lag = 20 + int(np.argmax(corr[20:100]))  # 80-400 Hz at 8 kHz
            estimates.append(8000 / lag)
        return float(np.median(estimates))

    pitches = {v: pitch_hz(r.audio) for v, r in renders.items()}
    # The female voice sits well above both male voices; Binod is the lowest.
    assert pitches["np_rija"] > 1.3 * pitches["np_prasanna"], pitches
    assert pitches["np_prasanna"] > 1.1 * pitches["np_binod"], pitches


def test_unknown_voice_is_refused_by_the_backend():
    from tingting.providers.base import ProviderPermanentError

    with pytest.raises(ProviderPermanentError):
        tts_backend().render(text=SHORT, voice="en_us", length_factor=1.0)


def test_resampler_keeps_speech_band_and_removes_what_would_alias():
    def tone(freq: float) -> bytes:
        n = np.arange(22050)
        return (10000 * np.sin(2 * np.pi * freq * n / 22050)).astype("<i2").tobytes()

    def rms(data: bytes) -> float:
        samples = np.frombuffer(data, dtype="<i2").astype(float)
        middle = samples[len(samples) // 4 : 3 * len(samples) // 4]
        return float(np.sqrt(np.mean(middle**2)))

    for rate in (8000, 16000):
        out = resample_pcm16(tone(1000), 22050, rate)
        assert len(out) // 2 == rate
        assert abs(rms(out) - 7071) < 70  # 1 kHz passes unchanged
    assert rms(resample_pcm16(tone(6000), 22050, 8000)) < 20  # above 4 kHz: gone, not folded to 2 kHz
    assert abs(rms(resample_pcm16(tone(6000), 22050, 16000)) - 7071) < 70
    assert resample_pcm16(b"", 22050, 8000) == b""


@pytest.mark.django_db
def test_cache_hit_returns_identical_bytes_without_calling_the_engine(media):
    before = EspeakTtsBackend.synth_calls
    first = render_cached(text=SENTENCE, voice="np_binod", length_factor=1.2, scope=SCOPE)
    assert EspeakTtsBackend.synth_calls == before + 1
    first_bytes = first.audio.open("rb").read()
    again = render_cached(text=f"  {SENTENCE}\n", voice="np_binod", length_factor="1.20", scope=SCOPE)
    assert EspeakTtsBackend.synth_calls == before + 1
    assert again.pk == first.pk and again.audio.open("rb").read() == first_bytes
    assert wav_stats(first_bytes).rms > SILENCE_RMS
    assert first.duration == pytest.approx(wav_stats(first_bytes).duration, abs=0.01)
    assert len(first.key) == 64 and stored_files(media) == [media / "tts" / f"{first.key}.wav"]


@pytest.mark.django_db
def test_cache_keys_on_voice_length_factor_and_alias(media):
    base = render_cached(text=SHORT, voice="np_prasanna", length_factor=1.0, scope=SCOPE)
    assert render_cached(text=SHORT, voice="np_prashanna", length_factor=1.0, scope=SCOPE).pk == base.pk
    assert render_cached(text=SHORT, voice="np_prasanna", length_factor=1.5, scope=SCOPE).pk != base.pk
    assert render_cached(text=SHORT, voice="np_rija", length_factor=1.0, scope=SCOPE).pk != base.pk
    assert TtsRender.objects.count() == 3 and len(stored_files(media)) == 3


@pytest.mark.django_db
def test_engine_version_change_renders_again(media, settings):
    first = render_cached(text=SHORT, voice="np_rija", length_factor=1.0, scope=SCOPE)
    settings.TTS_SAMPLE_RATE = 16000
    second = render_cached(text=SHORT, voice="np_rija", length_factor=1.0, scope=SCOPE)
    assert second.pk != first.pk and second.engine_version.endswith("/16000")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"voice": "np_nobody"}, "voice"),
        ({"length_factor": 2.5}, "length_factor"),
        ({"length_factor": "fast"}, "length_factor"),
        ({"text": " \n "}, "text"),
    ],
)
def test_render_cached_refuses_bad_input(media, kwargs, field):
    call = {"text": SHORT, "voice": "np_rija", "length_factor": 1.0, **kwargs}
    with pytest.raises(InvalidInputError) as caught:
        render_cached(**call, scope=SCOPE)
    assert caught.value.errors[0].field == field
    assert TtsRender.objects.count() == 0


def test_spoken_digits_separates_each_digit():
    assert spoken_digits("1234") == "1, 2, 3, 4"
    assert spoken_digits(" 90-7 ") == "9, 0, 7"


@pytest.mark.django_db
def test_render_digits_speaks_slowly_and_caches(media):
    digits = render_digits("4821")
    assert digits.text == "4, 8, 2, 1" and digits.length_factor == 1.3 and digits.voice == "np_rija"
    stats = wav_stats(digits.audio.open("rb").read())
    assert stats.rms > SILENCE_RMS
    # Four digits with pauses take longer than the same digits read as a number.
    as_number = render_cached(text="4821", voice="np_rija", length_factor=1.0, scope=SCOPE)
    assert digits.duration > as_number.duration
    assert render_digits("4821").pk == digits.pk
    assert render_digits("4821", voice="np_binod").voice == "np_binod"


@pytest.mark.django_db(transaction=True)
def test_concurrent_renders_in_threads_store_one_file(media):
    def render():
        return render_cached(text=SENTENCE, voice="np_rija", length_factor=0.9, scope=SCOPE).pk

    results = race(render, render, render, render)
    errors = errors_of(results)
    assert errors == []
    assert len(set(results)) == 1 and TtsRender.objects.count() == 1
    assert len(stored_files(media)) == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_renders_in_two_worker_processes_store_one_file(media, purge_broker):
    from tingting.voice.tasks import tts_prerender_task

    texts = [f"{SENTENCE} {n}" for n in range(3)]
    with running_worker(concurrency=2, env={"MEDIA_ROOT": str(media)}) as worker:
        for _ in range(2):
            tts_prerender_task.delay(texts, "np_prasanna", 1.0, SCOPE)
        wait_until(lambda: worker.output().count("succeeded") >= 2, timeout=90, message="both renders")
    assert TtsRender.objects.count() == 3
    assert len(stored_files(media)) == 3
    for render in TtsRender.objects.all():
        assert wav_stats(render.audio.open("rb").read()).rms > SILENCE_RMS


@pytest.mark.django_db
def test_cache_hit_costs_one_query(media, django_assert_num_queries):
    render_cached(text=SENTENCE, voice="np_rija", length_factor=1.0, scope=SCOPE)
    with django_assert_num_queries(1):
        render_cached(text=SENTENCE, voice="np_rija", length_factor=1.0, scope=SCOPE)
