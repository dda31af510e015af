"""The v1 contact object (a campaign's recipient) and its requests."""

from __future__ import annotations

from rest_framework import serializers

from campaigns.models import Recipient
from tingting.api.fields import ChoiceField
from tingting.phones import carrier_of
from v1.serializers.fields import VariablesField

# Core statuses in flight, named as the SDK's ContactStatus names them.
STATUS_NAMES = {
    Recipient.Status.SCHEDULED: "not started",
    Recipient.Status.QUEUED: "dialing",
    Recipient.Status.SENT: "dialing",
}
CONTACT_STATUSES = ["not started", "ringing", "dialing", "answered", *Recipient.FINAL]


def variables_of(tags: dict) -> dict:
    """Stored tags (``tags_name``) → the client's names (``name``)."""
    return {key.removeprefix("tags_"): value for key, value in (tags or {}).items()}


def contact_output(recipient: Recipient) -> dict:
    """The contact object; a plain function, called per row."""
    variables = variables_of(recipient.tags)
    moment = recipient.last_attempt_at or recipient.created_at
    return {
        "id": recipient.pk,
        "number": recipient.number,
        "status": STATUS_NAMES.get(recipient.status, recipient.status),
        "updated_at": moment.isoformat() if moment else None,
        "call_duration": f"{recipient.duration}s" if recipient.duration is not None else None,
        "playback": recipient.playback,
        "credit_consumed": recipient.credit_consumed,
        "credit_consumed_SMS": recipient.sms_credit_consumed,
        "carrier": carrier_of(recipient.number),
        "attributes": variables,
        "other_variables": variables,
    }


class V1ContactOutput(serializers.Serializer):
    """Schema of the contact object (``contact_output`` builds it)."""

    id = serializers.IntegerField()
    number = serializers.CharField()
    status = ChoiceField(choices=CONTACT_STATUSES)
    updated_at = serializers.DateTimeField(allow_null=True)
    call_duration = serializers.CharField(allow_null=True)
    playback = serializers.IntegerField(allow_null=True)
    credit_consumed = serializers.IntegerField()
    credit_consumed_SMS = serializers.IntegerField()  # noqa: N815 - the contract's name
    carrier = ChoiceField(choices=["NTC", "Ncell", "Smart", "other"])
    attributes = serializers.DictField()
    other_variables = serializers.DictField()

    def to_representation(self, recipient) -> dict:
        return contact_output(recipient)


class V1ContactInput(serializers.Serializer):
    number = serializers.JSONField(help_text="national number of the default region, or +E.164")
    other_variables = VariablesField()

    def validate_number(self, value):
        if isinstance(value, bool) or not isinstance(value, str | int):
            raise serializers.ValidationError("Must be a string or an integer.", code="invalid")
        return value


class V1ContactsInput(serializers.Serializer):
    contacts = serializers.ListField(child=serializers.DictField(), min_length=1, max_length=1000)


class V1ContactUpdateInput(serializers.Serializer):
    number = serializers.JSONField(required=False)
    other_variables = VariablesField()

    validate_number = V1ContactInput.validate_number


class V1BulkFileInput(serializers.Serializer):
    bulk_file = serializers.FileField(allow_empty_file=False)


class V1AttributesInput(serializers.Serializer):
    """The variables to merge: the body itself, or ``{"other_variables": {...}}``."""

    def to_internal_value(self, data):
        if hasattr(data, "dict"):
            data = data.dict()
        if isinstance(data, dict) and isinstance(data.get("other_variables"), dict):
            data = data["other_variables"]
        if not isinstance(data, dict):
            raise serializers.ValidationError({"non_field_errors": ["Send an object of variables."]})
        field = VariablesField()
        field.bind("other_variables", self)
        return {"values": field.run_validation(data) or {}}
