"""Serializer fields shared by every face.

``ChoiceField`` is DRF's with an error that lists what is valid: a client that sent
``services: "VOICE"`` learns ``PHONE, SMS`` from the answer instead of the docs. Every
choice field of the faces is this one (tests/platform/test_choice_errors.py walks
the serializers and fails on a plain DRF ChoiceField).
"""

from __future__ import annotations

from rest_framework import serializers


def choices_text(choices) -> str:
    """``"PHONE, SMS"``: the values a client may send, in declaration order."""
    return ", ".join(str(value) for value in choices)


class ChoiceField(serializers.ChoiceField):
    default_error_messages = {"invalid_choice": '"{input}" is not a valid choice; use one of: {valid}.'}

    def fail(self, key, **kwargs):
        if key == "invalid_choice":
            kwargs.setdefault("valid", choices_text(self.choices))
        super().fail(key, **kwargs)
