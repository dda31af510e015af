"""POST /api/system/test/voice/ (docs/api/API_CONTRACT.md §2 "Test voice", §9 content negotiation)."""

from __future__ import annotations

import re

import pytest
from rest_framework.test import APIClient

from tests.support.audio import wav_stats
from tests.support.envelope import assert_envelope, assert_error
from tingting.models import TtsRender
from tingting.providers.tts_espeak import EspeakTtsBackend

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media")]

URL = "/api/system/test/voice/"
TEXT = "नमस्कार, टिङ्टिंगमा हजुरलाई स्वागत छ"
AUDIO_URL = re.compile(r"^http://testserver/audio/tts/[0-9a-f]{64}\.wav$")


def fetch_audio(url: str):
    return APIClient().get(url.removeprefix("http://testserver"))


def test_json_answer_links_an_unguessable_audio_file(auth_client):
    response = auth_client.post(URL, {"message": TEXT}, format="json")
    body = assert_envelope(response, status=200, message="Voice generated successfully")
    data = body["data"]
    assert list(data) == ["audio_url", "duration", "voice_input"]
    assert AUDIO_URL.match(data["audio_url"]) and data["voice_input"] == "np_rija"
    render = TtsRender.objects.get()
    assert data["duration"] == render.duration and 1 < data["duration"] < 10
    assert render.key not in (TEXT, "") and render.key in data["audio_url"]

    audio = fetch_audio(data["audio_url"])  # no credentials: a voice provider fetches it
    assert audio.status_code == 200
    assert audio["Content-Type"] == "audio/wav"
    assert audio["Content-Disposition"].startswith("inline")
    content = b"".join(audio.streaming_content)
    stats = wav_stats(content)
    assert (stats.channels, stats.sample_width, stats.rate) == (1, 2, 8000)
    assert stats.rms > 300 and stats.duration == pytest.approx(data["duration"], abs=0.01)


@pytest.mark.parametrize("voice", ["np_rija", "np_prasanna", "np_binod"])
def test_accept_audio_answers_the_wav_of_each_voice(auth_client, voice):
    response = auth_client.post(URL, {"message": TEXT, "voice_input": voice}, format="json", HTTP_ACCEPT="audio/*")
    assert response.status_code == 200
    assert response["Content-Type"] == "audio/wav"
    assert response["Content-Disposition"].startswith("inline")
    stats = wav_stats(b"".join(response.streaming_content))
    assert stats.channels == 1 and stats.rms > 300
    assert TtsRender.objects.get().voice == voice


def test_voices_give_different_audio_and_alias_shares_prasanna(auth_client):
    urls = {}
    for voice in ["np_rija", "np_prasanna", "np_binod", "np_prashanna"]:
        body = auth_client.post(URL, {"message": TEXT, "voice_input": voice}, format="json").json()
        urls[voice] = body["data"]["audio_url"]
        if voice == "np_prashanna":
            assert body["data"]["voice_input"] == "np_prasanna"
    assert len({urls["np_rija"], urls["np_prasanna"], urls["np_binod"]}) == 3
    assert urls["np_prashanna"] == urls["np_prasanna"]
    sounds = {b"".join(fetch_audio(u).streaming_content) for u in urls.values()}
    assert len(sounds) == 3


def test_download_query_answers_the_audio(auth_client):
    response = auth_client.post(f"{URL}?download=1", {"message": TEXT}, format="json")
    assert response.status_code == 200 and response["Content-Type"] == "audio/wav"


@pytest.mark.parametrize(
    "accept",
    [None, "*/*", "application/json", "text/html", "audio/*;q=0.5, application/json", "application/json, audio/wav"],
)
def test_other_accept_headers_get_the_json_envelope_not_406(auth_client, accept):
    extra = {"HTTP_ACCEPT": accept} if accept else {}
    response = auth_client.post(URL, {"message": TEXT}, format="json", **extra)
    assert response["Content-Type"] == "application/json"
    assert_envelope(response, status=200, message="Voice generated successfully")


@pytest.mark.parametrize("accept", ["audio/wav", "audio/*, */*;q=0.1", "application/json;q=0.2, audio/*"])
def test_accept_preferring_audio_gets_the_audio(auth_client, accept):
    response = auth_client.post(URL, {"message": TEXT}, format="json", HTTP_ACCEPT=accept)
    assert response.status_code == 200 and response["Content-Type"] == "audio/wav"


def test_same_message_is_served_from_the_cache(auth_client):
    first = auth_client.post(URL, {"message": TEXT}, format="json").json()["data"]
    calls = EspeakTtsBackend.synth_calls
    again = auth_client.post("/api/system/test/voice", {"message": f" {TEXT} "}, format="json").json()["data"]
    assert again == first and EspeakTtsBackend.synth_calls == calls


def test_another_account_never_hits_this_accounts_renders(auth_client, other_client):
    """A cache hit answers far faster than a render, so a shared cache would tell
    one account, by timing, which texts another had rendered (a campaign
    message, an OTP call). Each account renders into its own cache."""
    mine = auth_client.post(URL, {"message": TEXT}, format="json").json()["data"]
    calls = EspeakTtsBackend.synth_calls
    theirs = other_client.post(URL, {"message": TEXT}, format="json").json()["data"]
    assert EspeakTtsBackend.synth_calls == calls + 1
    assert theirs["audio_url"] != mine["audio_url"]
    assert TtsRender.objects.count() == 2


def test_an_otp_call_render_is_never_a_hit_for_test_voice(auth_client, settings):
    from tingting.voice.render import OTP_SCOPE, render_cached

    text = "Your verification code is 4, 8, 2, 1."
    voice = {"voice": settings.OTP_VOICE, "length_factor": settings.OTP_VOICE_LENGTH_FACTOR}
    render_cached(text=text, **voice, scope=OTP_SCOPE)
    calls = EspeakTtsBackend.synth_calls
    response = auth_client.post(
        URL, {"message": text, "voice_input": voice["voice"], "length_factor": voice["length_factor"]}, format="json"
    )
    assert_envelope(response, status=200)
    assert EspeakTtsBackend.synth_calls == calls + 1


def test_length_factor_string_or_number_stretches_the_audio(auth_client):
    normal = auth_client.post(URL, {"message": TEXT}, format="json").json()["data"]["duration"]
    slow = auth_client.post(URL, {"message": TEXT, "length_factor": "2.0"}, format="json").json()["data"]["duration"]
    fast = auth_client.post(URL, {"message": TEXT, "length_factor": 0.5}, format="multipart").json()["data"]["duration"]
    assert 1.7 < slow / normal < 2.4 and 0.4 < fast / normal < 0.6


def test_form_encoded_body_works(auth_client):
    response = auth_client.post(URL, {"message": TEXT, "voice_input": "np_binod", "length_factor": "1.4"})
    data = assert_envelope(response, status=200)["data"]
    assert data["voice_input"] == "np_binod"
    assert TtsRender.objects.get().length_factor == 1.4


@pytest.mark.parametrize(
    ("body", "field", "code"),
    [
        ({}, "message", "required"),
        ({"message": ""}, "message", "blank"),
        ({"message": "   \n"}, "message", "blank"),
        ({"message": None}, "message", "null"),
        ({"message": "क" * 2001}, "message", "max_length"),
        ({"message": TEXT, "voice_input": "np_nobody"}, "voice_input", "invalid_choice"),
        ({"message": TEXT, "voice_input": 7}, "voice_input", "invalid_choice"),
        ({"message": TEXT, "length_factor": "0.4"}, "length_factor", "out_of_range"),
        ({"message": TEXT, "length_factor": 2.01}, "length_factor", "out_of_range"),
        ({"message": TEXT, "length_factor": "fast"}, "length_factor", "invalid"),
        ({"message": TEXT, "length_factor": True}, "length_factor", "invalid"),
        ({"message": TEXT, "length_factor": "nan"}, "length_factor", "out_of_range"),
    ],
)
def test_bad_input_is_400_naming_the_field(auth_client, body, field, code):
    response = auth_client.post(URL, body, format="json", HTTP_ACCEPT="audio/*")
    assert response["Content-Type"] == "application/json"
    assert_error(response, status=400, field=field, code=code)
    assert TtsRender.objects.count() == 0


def test_longest_message_renders(auth_client):
    response = auth_client.post(URL, {"message": ("नमस्ते " * 300)[:2000]}, format="json")
    assert assert_envelope(response, status=200)["data"]["duration"] > 60


def test_needs_a_token(api_client):
    assert_error(api_client.post(URL, {"message": TEXT}, format="json"), status=401)


def test_throttled_after_the_configured_rate(auth_client, settings):
    settings.THROTTLE_RATES = {**settings.THROTTLE_RATES, "tts_test": "2/h"}
    for _ in range(2):
        assert auth_client.post(URL, {"message": TEXT}, format="json").status_code == 200
    response = auth_client.post(URL, {"message": TEXT}, format="json")
    assert_error(response, status=429, code="throttled")
    assert int(response["Retry-After"]) >= 1


def test_unknown_audio_key_is_404_and_serves_nothing_else(auth_client):
    data = auth_client.post(URL, {"message": TEXT}, format="json").json()["data"]
    key = data["audio_url"].rsplit("/", 1)[1].removesuffix(".wav")
    client = APIClient()
    assert_error(client.get(f"/audio/tts/{'0' * 64}.wav"), status=404)
    assert_error(client.get(f"/audio/tts/{key[:-1]}.wav"), status=404)
    assert_error(client.get("/audio/tts/..%2Fsettings.wav"), status=404)
    assert client.post(f"/audio/tts/{key}.wav").status_code == 405
    assert client.head(f"/audio/tts/{key}.wav").status_code == 200


def test_cached_test_voice_costs_two_queries(auth_client, django_assert_num_queries):
    auth_client.post(URL, {"message": TEXT}, format="json")
    with django_assert_num_queries(2):  # the token's user, the render by key
        assert auth_client.post(URL, {"message": TEXT}, format="json").status_code == 200
