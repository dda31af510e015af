"""The voice catalogue (docs/api/API_CONTRACT_V1.md §3): seeded, listed, admin-editable, distinct renderings."""

import pytest

from tests.support.audio import wav_stats
from tingting.providers import tts_backend
from tingting.voice.catalogue import BUILTIN
from tingting.voice.render import account_scope, render_cached, voice_normalize
from voices.models import Voice
from voices.services import voice_save

pytestmark = pytest.mark.django_db

SEEDED = ["np_rija", "np_prasanna", "np_binod", "np_shreegya", "np_rijan", "np_anita"]
TEXT = "नमस्कार, टिङ्टिंगमा स्वागत छ।"


def test_voice_models_lists_the_seeded_voices(auth_client):
    response = auth_client.get("/api/v1/voice-models/")
    assert response.status_code == 200
    body = response.json()
    assert [v["voice_internal_name"] for v in body] == SEEDED
    assert body[0] == {
        "id": Voice.objects.get(internal_name="np_rija").pk,
        "voice_display_name": "Rija",
        "voice_internal_name": "np_rija",
        "is_premium": False,
        "is_beta": False,
    }


def test_seed_voices_render_as_the_builtins():
    for name, spec in BUILTIN.items():
        row = Voice.objects.get(internal_name=name)
        assert (row.espeak_voice, row.espeak_rate, row.espeak_pitch, row.espeak_range) == (
            spec.espeak_voice,
            spec.espeak_rate,
            spec.espeak_pitch,
            spec.espeak_range,
        )


def test_every_seeded_voice_sounds_different(settings):
    backend = tts_backend()
    renders = {name: backend.render(text=TEXT, voice=name, length_factor=1.0).audio for name in SEEDED}
    assert len(set(renders.values())) == len(SEEDED)
    for audio in renders.values():
        assert wav_stats(audio).rms > 300


def test_both_faces_accept_catalogue_names_and_the_alias():
    assert voice_normalize("np_shreegya") == "np_shreegya"
    assert voice_normalize("NP_PRASHANNA") == "np_prasanna"


def test_switched_off_voice_is_refused_and_not_listed(auth_client):
    voice = Voice.objects.get(internal_name="np_anita")
    voice.is_active = False
    voice_save(voice=voice)
    assert "np_anita" not in [v["voice_internal_name"] for v in auth_client.get("/api/v1/voice-models").json()]
    response = auth_client.post(
        "/api/system/test/voice", {"message": "hello", "voice_input": "np_anita"}, format="json"
    )
    assert response.status_code == 400


def test_edited_voice_renders_again_with_its_new_parameters(media):
    first = render_cached(text=TEXT, voice="np_rijan", length_factor=1.0, scope=account_scope(1))
    voice = Voice.objects.get(internal_name="np_rijan")
    voice.espeak_pitch = 90
    voice_save(voice=voice)
    second = render_cached(text=TEXT, voice="np_rijan", length_factor=1.0, scope=account_scope(1))
    assert second.key != first.key
    assert second.audio.read() != first.audio.read()


def test_seed_face_test_voice_takes_a_new_voice(auth_client):
    response = auth_client.post(
        "/api/system/test/voice", {"message": "hello", "voice_input": "np_shreegya"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["data"]["voice_input"] == "np_shreegya"
