"""Request and response shapes of the voice endpoints."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from tingting.errors import InvalidInputError
from tingting.voice.render import VOICES, length_factor_normalize, voice_normalize

MAX_MESSAGE_CHARACTERS = 2000


class _NormalizedField(serializers.Field):
    """Optional field whose value goes through a shared normaliser (the same one
    campaign runs use), absent/null/"" meaning its default. With
    ``keep_absent=True`` they mean "not given" instead (the field is left out,
    or None): a campaign run then keeps the voice its campaign has stored."""

    normalize = staticmethod(lambda value, field=None: value)

    def __init__(self, *, keep_absent: bool = False, **kwargs) -> None:
        self.keep_absent = keep_absent
        kwargs.setdefault("required", False)
        kwargs.setdefault("allow_null", True)
        super().__init__(**kwargs)

    def validate_empty_values(self, data):
        if data in (serializers.empty, None, ""):
            if not self.keep_absent:
                return True, self.normalize(None)
            if data is not serializers.empty:
                return True, None
        return super().validate_empty_values(data)

    def to_internal_value(self, data):
        try:
            return self.normalize(data, field=self.field_name)
        except InvalidInputError as exc:
            raise serializers.ValidationError(exc.message, code=exc.code) from None

    def to_representation(self, value):
        return value


@extend_schema_field({"type": "string", "enum": [*VOICES, "np_prashanna"], "default": "np_rija"})
class VoiceInputField(_NormalizedField):
    """``np_rija`` (default), ``np_prasanna`` (or ``np_prashanna``), ``np_binod``."""

    normalize = staticmethod(voice_normalize)


@extend_schema_field(
    {"oneOf": [{"type": "number"}, {"type": "string"}], "minimum": 0.5, "maximum": 2.0, "default": 1.0}
)
class LengthFactorField(_NormalizedField):
    """A string or a number, 0.5-2.0, default 1.0."""

    normalize = staticmethod(length_factor_normalize)


class VoiceTestInput(serializers.Serializer):
    message = serializers.CharField(max_length=MAX_MESSAGE_CHARACTERS, trim_whitespace=True)
    voice_input = VoiceInputField(
        help_text=f"One of {', '.join(VOICES)} or another voice of the catalogue (voice-models); np_prashanna is accepted too."
    )
    length_factor = LengthFactorField(help_text="0.5-2.0, default 1.0; 2.0 speaks about twice as long.")


class VoiceTestOutput(serializers.Serializer):
    audio_url = serializers.URLField()
    duration = serializers.FloatField(help_text="seconds")
    voice_input = serializers.CharField()
