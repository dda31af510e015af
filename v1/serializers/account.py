from __future__ import annotations

from rest_framework import serializers


class V1VoiceOutput(serializers.Serializer):
    id = serializers.IntegerField()
    voice_display_name = serializers.CharField(source="display_name")
    voice_internal_name = serializers.CharField(source="internal_name")
    is_premium = serializers.BooleanField()
    is_beta = serializers.BooleanField()


def voice_output(voice) -> dict | None:
    """The campaign object's ``voice`` (no ``is_beta``, as the SDK reads it)."""
    if voice is None:
        return None
    return {
        "id": voice.pk,
        "voice_display_name": voice.display_name,
        "voice_internal_name": voice.internal_name,
        "is_premium": voice.is_premium,
    }


class V1DialerOutput(serializers.Serializer):
    id = serializers.IntegerField()
    phone_number = serializers.CharField()
