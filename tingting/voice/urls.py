"""Paths of the voice pieces: test voice and the rendered audio it links to."""

from django.urls import path

from tingting.api.routing import both
from tingting.voice import views

urlpatterns = [
    *both("api/system/test/voice", views.VoiceTestView.as_view(), "test-voice"),
    path("audio/tts/<str:key>.wav", views.tts_audio, name="tts-audio"),
    path("audio/tts/<str:key>.mp3", views.tts_audio_mp3, name="tts-audio-mp3"),
]
