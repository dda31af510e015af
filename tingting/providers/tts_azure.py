"""Azure AI Speech text to speech (REST), with the Nepali neural voices.

``POST {base}/cognitiveservices/v1`` with the subscription key header, an SSML
body and ``X-Microsoft-OutputFormat`` asking for RIFF 16-bit mono PCM at the
configured ``TTS_SAMPLE_RATE`` (8 or 16 kHz), the same shape eSpeak renders.
Select it with ``TTS_BACKEND=tingting.providers.tts_azure.AzureTtsBackend`` and
set ``AZURE_SPEECH_KEY`` and ``AZURE_SPEECH_REGION``.

Rendering is idempotent (the cache stores the result), so every failure that
may pass is a temporary error, including timeouts.
"""

from __future__ import annotations

import io
import wave
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

import requests
from django.conf import settings

from tingting.providers.base import (
    ProviderPermanentError,
    ProviderTemporaryError,
    RenderedAudio,
    TtsBackend,
)
from tingting.voice import catalogue

OUTPUT_FORMATS = {8000: "riff-8khz-16bit-mono-pcm", 16000: "riff-16khz-16bit-mono-pcm"}
CONFIG_REVISION = "1"


@dataclass(frozen=True)
class AzureVoice:
    name: str
    pitch: str  # SSML prosody pitch, relative
    rate: float  # speaking-rate multiplier at length factor 1.0


def config_for(voice: str) -> AzureVoice | None:
    """The Azure mapping of a catalogue voice (tingting.voice.catalogue), or None."""
    spec = catalogue.spec(voice)
    return None if spec is None else AzureVoice(spec.azure_voice, spec.azure_pitch, spec.azure_rate)


VOICES: dict[str, AzureVoice] = {
    name: AzureVoice(spec.azure_voice, spec.azure_pitch, spec.azure_rate) for name, spec in catalogue.BUILTIN.items()
}


def ssml(text: str, voice: AzureVoice, length_factor: float) -> str:
    """The SSML document; ``text`` is escaped, never interpreted as markup."""
    rate = voice.rate / length_factor  # 2.0 → half the speed → twice as long
    return (
        '<speak version="1.0" xmlns="http://www.w3.org/2001/10/synthesis" xml:lang="ne-NP">'
        f"<voice name={quoteattr(voice.name)}>"
        f"<prosody rate={quoteattr(f'{(rate - 1) * 100:+.2f}%')} pitch={quoteattr(voice.pitch)}>"
        f"{escape(text)}</prosody></voice></speak>"
    )


class AzureTtsBackend(TtsBackend):
    engine = "azure-speech"
    required_settings = ("AZURE_SPEECH_KEY",)
    voices = tuple(VOICES)

    @property
    def sample_rate(self) -> int:
        rate = int(getattr(settings, "TTS_SAMPLE_RATE", 8000))
        return rate if rate in OUTPUT_FORMATS else 8000

    @property
    def version(self) -> str:  # type: ignore[override]
        return f"{CONFIG_REVISION}/{OUTPUT_FORMATS[self.sample_rate]}"

    @property
    def endpoint(self) -> str:
        base = settings.AZURE_SPEECH_BASE_URL or f"https://{settings.AZURE_SPEECH_REGION}.tts.speech.microsoft.com"
        return base.rstrip("/") + "/cognitiveservices/v1"

    def render(self, *, text: str, voice: str, length_factor: float) -> RenderedAudio:
        config = config_for(voice)
        if config is None:
            raise ProviderPermanentError(f"Unknown voice {voice!r}.")
        if not settings.AZURE_SPEECH_KEY:
            raise ProviderPermanentError("AZURE_SPEECH_KEY is not set.")
        try:
            response = requests.post(
                self.endpoint,
                data=ssml(text, config, length_factor).encode(),
                headers={
                    "Ocp-Apim-Subscription-Key": settings.AZURE_SPEECH_KEY,
                    "Content-Type": "application/ssml+xml",
                    "X-Microsoft-OutputFormat": OUTPUT_FORMATS[self.sample_rate],
                    "User-Agent": "tingting",
                },
                timeout=settings.PROVIDER_TIMEOUT_SECONDS,
            )
        except requests.Timeout as exc:
            raise ProviderTemporaryError("Azure Speech did not answer in time.") from exc
        except requests.RequestException as exc:
            raise ProviderTemporaryError(f"Azure Speech unreachable: {exc.__class__.__name__}.") from exc
        status = response.status_code
        if status == 429 or status >= 500:
            raise ProviderTemporaryError(f"Azure Speech answered {status}.")
        if status != 200:
            raise ProviderPermanentError(f"Azure Speech refused the request ({status}): {response.text[:200]}")
        try:
            with wave.open(io.BytesIO(response.content), "rb") as reader:
                if reader.getnchannels() != 1 or reader.getsampwidth() != 2:
                    raise wave.Error("not 16-bit mono")
                # Count what arrived: a streamed RIFF header may carry a placeholder size.
                frames = len(reader.readframes(reader.getnframes())) // 2
                duration = frames / float(reader.getframerate())
        except (wave.Error, EOFError, ZeroDivisionError) as exc:
            raise ProviderTemporaryError("Azure Speech answered something that is not 16-bit mono WAV.") from exc
        return RenderedAudio(audio=response.content, duration=round(duration, 3), extra={"voice": config.name})
