"""Azure Speech backend against a local fake of its REST API (127.0.0.1 only)."""

from __future__ import annotations

import socket
import threading
import time
import xml.etree.ElementTree as ET
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.support.audio import wav_file, wav_stats
from tests.support.envelope import assert_envelope, assert_error
from tingting.models import TtsRender
from tingting.providers import reset_backends
from tingting.providers.base import ProviderPermanentError, ProviderTemporaryError
from tingting.providers.tts_azure import AzureTtsBackend

# Rendering reads the voice catalogue (tingting.voice.catalogue, the voices table).
pytestmark = pytest.mark.django_db

SSML_NS = "{http://www.w3.org/2001/10/synthesis}"
TEXT = 'नमस्ते <साथी> & "स्वागत"'


class FakeAzure:
    """Answers POST /cognitiveservices/v1 like Azure: a WAV whose length follows the text."""

    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.status = 200
        self.body: bytes | None = None
        self.delay = 0.0
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's naming
                length = int(self.headers.get("Content-Length", 0))
                body = self.rfile.read(length).decode()
                fake.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
                time.sleep(fake.delay)
                if fake.status != 200:
                    payload = b"error"
                elif fake.body is not None:
                    payload = fake.body
                else:
                    rate = 16000 if "16khz" in self.headers.get("X-Microsoft-OutputFormat", "") else 8000
                    payload = wav_file(0.1 * len(body) / 50, rate=rate)
                try:
                    self.send_response(fake.status)
                    self.send_header("Content-Type", "audio/x-wav" if fake.status == 200 else "text/plain")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout test)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def azure(settings, tmp_path):
    fake = FakeAzure()
    settings.AZURE_SPEECH_BASE_URL = fake.url + "/"
    settings.AZURE_SPEECH_KEY = "test-speech-key"
    settings.TTS_BACKEND = "tingting.providers.tts_azure.AzureTtsBackend"
    settings.MEDIA_ROOT = tmp_path
    settings.PROVIDER_TIMEOUT_SECONDS = 2
    reset_backends()
    yield fake
    fake.close()
    reset_backends()


def parse_ssml(body: str):
    root = ET.fromstring(body)  # noqa: S314 - our own request, parsed in a test
    voice = root.find(f"{SSML_NS}voice")
    prosody = voice.find(f"{SSML_NS}prosody")
    return root, voice, prosody


def test_request_shape_auth_and_ssml(azure):
    audio = AzureTtsBackend().render(text=TEXT, voice="np_rija", length_factor=2.0)
    request = azure.requests[0]
    assert request["path"] == "/cognitiveservices/v1"
    headers = {k.lower(): v for k, v in request["headers"].items()}
    assert headers["ocp-apim-subscription-key"] == "test-speech-key"
    assert headers["content-type"] == "application/ssml+xml"
    assert headers["x-microsoft-outputformat"] == "riff-8khz-16bit-mono-pcm"
    root, voice, prosody = parse_ssml(request["body"])
    assert root.get("{http://www.w3.org/XML/1998/namespace}lang") == "ne-NP"
    assert voice.get("name") == "ne-NP-HemkalaNeural"
    assert prosody.get("rate") == "-50.00%"
    assert prosody.text == TEXT  # escaped on the wire, the same text after parsing
    assert audio.content_type == "audio/wav"
    assert audio.duration == pytest.approx(wav_stats(audio.audio).duration, abs=0.001) and audio.duration > 0


def test_voices_and_length_factors_map_to_distinct_ssml(azure, settings):
    backend = AzureTtsBackend()
    for voice in ("np_rija", "np_prasanna", "np_binod"):
        backend.render(text="नमस्ते", voice=voice, length_factor=0.5)
    shapes = [
        (v.get("name"), p.get("pitch"), p.get("rate"))
        for _, v, p in map(parse_ssml, (r["body"] for r in azure.requests))
    ]
    assert shapes == [
        ("ne-NP-HemkalaNeural", "+0%", "+100.00%"),
        ("ne-NP-SagarNeural", "+0%", "+100.00%"),
        ("ne-NP-SagarNeural", "-12%", "+84.00%"),
    ]
    settings.TTS_SAMPLE_RATE = 16000
    audio = backend.render(text="नमस्ते", voice="np_rija", length_factor=1.0)
    assert azure.requests[-1]["headers"]["X-Microsoft-OutputFormat"] == "riff-16khz-16bit-mono-pcm"
    assert wav_stats(audio.audio).rate == 16000 and backend.version.endswith("riff-16khz-16bit-mono-pcm")


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (400, ProviderPermanentError),
        (401, ProviderPermanentError),
        (403, ProviderPermanentError),
        (429, ProviderTemporaryError),
        (500, ProviderTemporaryError),
        (503, ProviderTemporaryError),
    ],
)
def test_http_errors_map_to_temporary_or_permanent(azure, status, error):
    azure.status = status
    with pytest.raises(error) as caught:
        AzureTtsBackend().render(text="नमस्ते", voice="np_rija", length_factor=1.0)
    assert type(caught.value) is error


def test_timeout_is_temporary(azure, settings):
    settings.PROVIDER_TIMEOUT_SECONDS = 0.3
    azure.delay = 1.0
    started = time.monotonic()
    with pytest.raises(ProviderTemporaryError, match="in time"):
        AzureTtsBackend().render(text="नमस्ते", voice="np_rija", length_factor=1.0)
    assert time.monotonic() - started < 0.9


def test_unreachable_and_garbled_answers_are_temporary(azure, settings):
    azure.body = b"<html>not audio</html>"
    with pytest.raises(ProviderTemporaryError, match="not 16-bit mono WAV"):
        AzureTtsBackend().render(text="नमस्ते", voice="np_rija", length_factor=1.0)
    with socket.socket() as probe:  # a port on 127.0.0.1 that nobody listens on
        probe.bind(("127.0.0.1", 0))
        settings.AZURE_SPEECH_BASE_URL = f"http://127.0.0.1:{probe.getsockname()[1]}"
    with pytest.raises(ProviderTemporaryError, match="unreachable"):
        AzureTtsBackend().render(text="नमस्ते", voice="np_rija", length_factor=1.0)


def test_missing_key_is_permanent(azure, settings):
    settings.AZURE_SPEECH_KEY = ""
    with pytest.raises(ProviderPermanentError, match="AZURE_SPEECH_KEY"):
        AzureTtsBackend().render(text="नमस्ते", voice="np_rija", length_factor=1.0)
    assert azure.requests == []


@pytest.mark.django_db
def test_test_voice_through_azure_is_cached_and_maps_outages_to_503(azure, auth_client):
    body = {"message": "नमस्ते", "voice_input": "np_prashanna", "length_factor": "1.5"}
    data = assert_envelope(auth_client.post("/api/system/test/voice/", body, format="json"), status=200)["data"]
    render = TtsRender.objects.get()
    assert render.engine == "azure-speech" and data["voice_input"] == "np_prasanna"
    assert data["duration"] == render.duration
    assert auth_client.post("/api/system/test/voice/", body, format="json").json()["data"] == data
    assert len(azure.requests) == 1  # the second answer came from the cache

    azure.status = 503
    response = auth_client.post("/api/system/test/voice/", {"message": "फेरि"}, format="json", HTTP_ACCEPT="audio/*")
    assert_error(response, status=503, code="tts_unavailable")
    assert TtsRender.objects.count() == 1
