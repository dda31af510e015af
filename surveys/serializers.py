"""Request and response shapes of the survey endpoints (docs/api/API_CONTRACT_V1.md §5)."""

from __future__ import annotations

from django.conf import settings
from django.core.files.storage import default_storage
from rest_framework import serializers

from surveys.models import SurveyStep
from tingting.api.fields import ChoiceField


class SurveyStepOutput(serializers.ModelSerializer):
    serializer_choice_field = ChoiceField  # choice errors list the valid values
    survey = serializers.IntegerField(source="campaign_id")
    audio_file = serializers.SerializerMethodField()

    class Meta:
        model = SurveyStep
        fields = [
            "id",
            "survey",
            "order",
            "content_type",
            "text_or_url",
            "response_type",
            "input_name",
            "audio_file",
            "audio_seconds",
            "timeout",
            "max_digits",
            "max_record_seconds",
            "retries",
        ]

    def get_audio_file(self, step: SurveyStep) -> str | None:
        """The upload's URL under the ``base`` of the context (default ``PUBLIC_BASE_URL``)."""
        if not step.audio_file:
            return None
        base = self.context.get("base") or settings.PUBLIC_BASE_URL
        return f"{base.rstrip('/')}{default_storage.url(step.audio_file.name)}"


class SurveyStepsOutput(serializers.Serializer):
    results = SurveyStepOutput(many=True)


class SurveyStepsInput(serializers.Serializer):
    """For the schema only: the view reads ``steps`` with ``surveys.parsing``
    (JSON, a JSON string, or the SDK's one Python-literal dict per field)."""

    steps = serializers.ListField(child=serializers.DictField())


class SurveyMessageOutput(serializers.Serializer):
    message = serializers.CharField()


class SurveyReportOutput(serializers.Serializer):
    campaign_id = serializers.IntegerField()
    columns = serializers.ListField(child=serializers.CharField())
    count = serializers.IntegerField()
    results = serializers.ListField(child=serializers.DictField())
