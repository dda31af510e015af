"""Test voice (docs/api/API_CONTRACT.md §2) and the audio files behind its ``audio_url``."""

from __future__ import annotations

from django.core.files.storage import default_storage
from django.http import FileResponse
from django.views.decorators.http import require_safe
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.views import APIView

from tingting.api import throttling
from tingting.api.envelope import ok
from tingting.api.exceptions import handler404
from tingting.api.schema import envelope_of, tingting_responses
from tingting.errors import NotFoundError
from tingting.voice import mp3
from tingting.voice.render import render_audio_url
from tingting.voice.selectors import render_get_by_key
from tingting.voice.serializers import VoiceTestInput, VoiceTestOutput
from tingting.voice.services import voice_test_render

AUDIO_TYPES = ("audio/*", "audio/wav", "audio/x-wav", "audio/wave", "audio/vnd.wave")
JSON_TYPES = ("application/json", "application/*")


def wants_audio(request) -> bool:
    """``?download=1``, or an ``Accept`` that ranks audio above JSON.

    docs/api/API_CONTRACT.md §9: ``*/*``, no ``Accept`` and ``application/json`` get JSON;
    ``audio/*`` (or ``audio/wav``) gets the file. When both are named with the
    same quality, JSON wins (existing JSON clients stay unsurprised)."""
    if request.query_params.get("download", "").lower() in ("1", "true", "yes"):
        return True
    audio_q = json_q = 0.0
    for part in request.META.get("HTTP_ACCEPT", "").split(","):
        media, *params = [piece.strip() for piece in part.split(";")]
        quality = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        media = media.lower()
        if media in AUDIO_TYPES:
            audio_q = max(audio_q, quality)
        elif media in JSON_TYPES:
            json_q = max(json_q, quality)
    return audio_q > 0 and audio_q > json_q


def audio_response(render, *, disposition: str = "inline") -> FileResponse:
    response = FileResponse(render.audio.open("rb"), content_type=render.content_type)
    response["Content-Disposition"] = f'{disposition}; filename="{render.key[:16]}.wav"'
    response["Cache-Control"] = "private, max-age=86400"
    return response


class VoiceTestView(APIView):
    @extend_schema(
        request=VoiceTestInput,
        parameters=[OpenApiParameter("download", OpenApiTypes.BOOL, description="Answer the WAV itself.")],
        responses={
            **tingting_responses({200: envelope_of("VoiceTestEnvelope", VoiceTestOutput())}),
            (200, "audio/wav"): OpenApiResponse(OpenApiTypes.BINARY, description="With Accept: audio/* or ?download=1"),
        },
        tags=["voice"],
    )
    def post(self, request):
        throttling.enforce("tts_test", str(request.user.pk))
        payload = VoiceTestInput(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        render = voice_test_render(
            user=request.user, message=data["message"], voice=data["voice_input"], length_factor=data["length_factor"]
        )
        if wants_audio(request):
            return audio_response(render)
        return ok(
            VoiceTestOutput(
                {
                    "audio_url": render_audio_url(render, request=request),
                    "duration": render.duration,
                    "voice_input": render.voice,
                }
            ).data,
            message="Voice generated successfully",
        )


@require_safe
def tts_audio(request, key: str):
    """The WAV of one render, by its unguessable key; no login (voice providers fetch it)."""
    try:
        render = render_get_by_key(key=key)
    except NotFoundError:
        return handler404(request)
    return audio_response(render)


@require_safe
def tts_audio_mp3(request, key: str):
    """The MP3 copy of one render (tingting.voice.mp3), by the same key; no login."""
    try:
        render = render_get_by_key(key=key)
    except NotFoundError:
        return handler404(request)
    if not mp3.is_available():
        return handler404(request)
    response = FileResponse(default_storage.open(mp3.render_mp3(render), "rb"), content_type="audio/mpeg")
    response["Content-Disposition"] = f'inline; filename="{render.key[:16]}.mp3"'
    response["Cache-Control"] = "private, max-age=86400"
    return response
