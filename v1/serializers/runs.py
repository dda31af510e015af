from __future__ import annotations

from rest_framework import serializers

from v1.serializers.fields import VoiceField


class V1TestSpeakInput(serializers.Serializer):
    voice_input = VoiceField(help_text="voice id or internal name; absent: the campaign's voice")
    message = serializers.CharField(max_length=2000, required=False, allow_blank=True, allow_null=True)


class V1MessageOutput(serializers.Serializer):
    message = serializers.CharField()
