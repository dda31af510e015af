"""eSpeak NG text to speech (offline, Nepali), the default TTS backend.

The library and its data (with the Nepali dictionary ``ne_dict``) come from the
``espeakng-loader`` wheel, so ``pip install`` is the whole installation. We drive
the C API through ctypes in synchronous mode: ``espeak_Synth`` returns once the
callback has received every sample, in this thread.

eSpeak keeps global state (one voice, one set of parameters) and is not
thread-safe, so every use takes ``_LOCK``. The library is loaded and initialised
lazily, on the first render in each process; a prefork Celery child that
inherits an initialised engine keeps using it (synchronous mode has no threads
to lose across ``fork``), and gets a fresh lock in case the parent held it.
"""

from __future__ import annotations

import ctypes
import functools
import io
import os
import threading
import wave
from dataclasses import dataclass
from importlib import metadata

import espeakng_loader
from django.conf import settings

from tingting.providers.base import ProviderPermanentError, RenderedAudio, TtsBackend
from tingting.voice import catalogue
from tingting.voice.resample import resample_pcm16

# espeak_AUDIO_OUTPUT, espeak_PARAMETER, espeak_POSITION_TYPE and flags (speak_lib.h).
_AUDIO_OUTPUT_SYNCHRONOUS = 2
_RATE, _VOLUME, _PITCH, _RANGE, _WORDGAP = 1, 2, 3, 4, 7
_POS_CHARACTER = 1
_CHARS_UTF8 = 1
_ENDPAUSE = 0x1000
_EE_OK = 0

# eSpeak's words per minute at length factor 1.0 is each voice's ``rate``; the
# library accepts 80-450 (faster goes through its speed-up, which we avoid).
_MIN_RATE, _MAX_RATE = 80, 450

# Bump when a voice's configuration or the output processing changes: it is part
# of the backend version, hence of every render key, so old renders are not reused.
CONFIG_REVISION = "1"


@dataclass(frozen=True)
class VoiceConfig:
    espeak_name: str  # eSpeak voice with variant, "ne+f2"
    rate: int  # words per minute at length factor 1.0
    pitch: int  # 0-100, eSpeak default 50
    pitch_range: int  # 0-100, 0 = monotone
    description: str


def _config(spec: catalogue.VoiceSpec) -> VoiceConfig:
    return VoiceConfig(spec.espeak_voice, spec.espeak_rate, spec.espeak_pitch, spec.espeak_range, spec.name)


def config_for(voice: str) -> VoiceConfig | None:
    """The eSpeak parameters of a catalogue voice (tingting.voice.catalogue), or None."""
    spec = catalogue.spec(voice)
    return None if spec is None else _config(spec)


# The built-in voices: np_rija female, bright, lively intonation; np_prasanna male,
# mid pitch, brisk; np_binod male, low and calm, slower.
VOICES: dict[str, VoiceConfig] = {name: _config(spec) for name, spec in catalogue.BUILTIN.items()}


class _Engine:
    """The loaded library of this process, created on first use."""

    def __init__(self) -> None:
        lib = ctypes.CDLL(espeakng_loader.get_library_path())
        lib.espeak_Initialize.restype = ctypes.c_int
        lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
        lib.espeak_SetVoiceByName.restype = ctypes.c_int
        lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
        lib.espeak_SetParameter.restype = ctypes.c_int
        lib.espeak_SetParameter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
        lib.espeak_Synth.restype = ctypes.c_int
        lib.espeak_Synth.argtypes = [
            ctypes.c_void_p,
            ctypes.c_size_t,
            ctypes.c_uint,
            ctypes.c_int,
            ctypes.c_uint,
            ctypes.c_uint,
            ctypes.c_void_p,
            ctypes.c_void_p,
        ]
        lib.espeak_Info.restype = ctypes.c_char_p
        lib.espeak_Info.argtypes = [ctypes.c_void_p]
        self.sample_rate = lib.espeak_Initialize(
            _AUDIO_OUTPUT_SYNCHRONOUS, 0, espeakng_loader.get_data_path().encode(), 0
        )
        if self.sample_rate <= 0:
            raise ProviderPermanentError("eSpeak NG failed to initialise (data path not found).")
        self.version = (lib.espeak_Info(None) or b"").decode()
        self._chunks: list[bytes] = []
        # Keep a reference: the library calls it for as long as the process lives.
        self._callback = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.c_void_p)(
            self._receive
        )
        lib.espeak_SetSynthCallback(self._callback)
        self.lib = lib

    def _receive(self, samples, count, _events) -> int:
        if samples and count > 0:
            self._chunks.append(ctypes.string_at(samples, count * 2))
        return 0  # 0 = go on

    def synthesize(self, text: str, voice: VoiceConfig, rate: int) -> bytes:
        """16-bit mono PCM at ``self.sample_rate``. Caller holds ``_LOCK``."""
        lib = self.lib
        if lib.espeak_SetVoiceByName(voice.espeak_name.encode()) != _EE_OK:
            raise ProviderPermanentError(f"eSpeak NG has no voice {voice.espeak_name!r}.")
        lib.espeak_SetParameter(_RATE, rate, 0)
        lib.espeak_SetParameter(_PITCH, voice.pitch, 0)
        lib.espeak_SetParameter(_RANGE, voice.pitch_range, 0)
        lib.espeak_SetParameter(_VOLUME, 100, 0)
        lib.espeak_SetParameter(_WORDGAP, 0, 0)
        data = text.encode()
        buffer = ctypes.create_string_buffer(data)
        self._chunks = []
        try:
            status = lib.espeak_Synth(buffer, len(data) + 1, 0, _POS_CHARACTER, 0, _CHARS_UTF8 | _ENDPAUSE, None, None)
            if status != _EE_OK:
                raise ProviderPermanentError(f"eSpeak NG could not synthesise (error {status}).")
            return b"".join(self._chunks)
        finally:
            self._chunks = []


_LOCK = threading.Lock()
_ENGINE: _Engine | None = None


def _after_fork_in_child() -> None:
    global _LOCK
    _LOCK = threading.Lock()


os.register_at_fork(after_in_child=_after_fork_in_child)


def _engine() -> _Engine:
    global _ENGINE
    if _ENGINE is None:
        _ENGINE = _Engine()
    return _ENGINE


@functools.cache
def _package_version() -> str:
    """The wheel's version pins the library and its data; no need to load it.
    Cached: reading package metadata costs milliseconds, and every cache lookup asks."""
    return metadata.version("espeakng-loader")


def rate_for(voice: VoiceConfig, length_factor: float) -> int:
    """Words per minute that make speech last ``length_factor`` times as long."""
    return max(_MIN_RATE, min(_MAX_RATE, round(voice.rate / length_factor)))


def wav_bytes(pcm: bytes, sample_rate: int) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(sample_rate)
        out.writeframes(pcm)
    return buffer.getvalue()


class EspeakTtsBackend(TtsBackend):
    """Nepali speech from eSpeak NG, resampled to ``TTS_SAMPLE_RATE`` (8 or 16 kHz)."""

    engine = "espeak-ng"
    voices = tuple(VOICES)
    # Engine calls made by this process (tests count them to prove cache hits).
    synth_calls = 0

    @property
    def sample_rate(self) -> int:
        return int(getattr(settings, "TTS_SAMPLE_RATE", 8000))

    @property
    def version(self) -> str:  # type: ignore[override]
        return f"{_package_version()}/{CONFIG_REVISION}/{self.sample_rate}"

    def render(self, *, text: str, voice: str, length_factor: float) -> RenderedAudio:
        config = config_for(voice)
        if config is None:
            raise ProviderPermanentError(f"Unknown voice {voice!r}.")
        rate = rate_for(config, length_factor)
        with _LOCK:
            engine = _engine()
            pcm = engine.synthesize(text, config, rate)
            EspeakTtsBackend.synth_calls += 1
        out = resample_pcm16(pcm, engine.sample_rate, self.sample_rate)
        frames = len(out) // 2
        return RenderedAudio(
            audio=wav_bytes(out, self.sample_rate),
            duration=round(frames / self.sample_rate, 3),
            extra={"engine_version": engine.version, "rate": rate},
        )
