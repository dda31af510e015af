"""Paths of the voice pieces (test voice, audio serving): filled in by the TTS issue."""

urlpatterns: list = []
