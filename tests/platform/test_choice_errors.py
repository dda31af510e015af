"""Choice errors list the valid values (issue 20): every choice field of the faces is
``tingting.api.fields.ChoiceField``, and the answers say what to send instead."""

from __future__ import annotations

import importlib
import pkgutil

import pytest
from rest_framework import serializers

from tests.support.envelope import assert_error
from tingting.api.fields import ChoiceField

APPS = ("accounts", "campaigns", "otp", "phonenumbers_app", "tling", "tingting", "v1", "surveys")


def _project_serializers() -> list[type[serializers.BaseSerializer]]:
    for app in APPS:
        package = importlib.import_module(app)
        for info in pkgutil.walk_packages(package.__path__, f"{app}."):
            if ".migrations" not in info.name and ".management" not in info.name:
                importlib.import_module(info.name)
    found, todo = [], [serializers.Serializer]
    while todo:
        cls = todo.pop()
        todo += cls.__subclasses__()
        if cls.__module__.split(".")[0] in APPS:
            found.append(cls)
    return found


def _fields(serializer, prefix=""):
    for name, field in serializer.fields.items():
        yield f"{prefix}{name}", field
        child = getattr(field, "child", None)
        if isinstance(field, serializers.BaseSerializer) and hasattr(field, "fields"):
            yield from _fields(field, f"{prefix}{name}.")
        elif isinstance(child, serializers.BaseSerializer) and hasattr(child, "fields"):
            yield from _fields(child, f"{prefix}{name}.")


def test_every_choice_field_of_the_faces_lists_its_choices():
    plain = []
    for cls in _project_serializers():
        try:
            instance = cls()
        except TypeError:  # needs arguments: its fields are declared ones
            instance = None
        fields = _fields(instance) if instance is not None else cls._declared_fields.items()
        for name, field in fields:
            if isinstance(field, serializers.ChoiceField) and not isinstance(field, ChoiceField):
                plain.append(f"{cls.__module__}.{cls.__name__}.{name}")
    assert plain == []


def test_unknown_choice_message_lists_the_valid_values():
    field = ChoiceField(choices=[("PHONE", "Phone"), ("SMS", "SMS")])
    with pytest.raises(serializers.ValidationError) as caught:
        field.run_validation("VOICE")
    [detail] = caught.value.detail
    assert str(detail) == '"VOICE" is not a valid choice; use one of: PHONE, SMS.'
    assert detail.code == "invalid_choice"


@pytest.mark.django_db
def test_campaign_services_error_lists_phone_and_sms(auth_client):
    response = auth_client.post(
        "/api/system/campaigns", {"name": "x", "services": "VOICE", "individual_number": ["9841000001"]}, format="json"
    )
    body = assert_error(response, status=400, field="services", code="invalid_choice")
    assert body["errors"][0]["message"] == '"VOICE" is not a valid choice; use one of: PHONE, SMS.'


@pytest.mark.django_db
def test_otp_send_options_error_lists_text_and_voice(auth_client):
    response = auth_client.post(
        "/api/system/send/otp/",
        {"number": "9851023212", "message": "Hi your OTP is {otp}", "sms_send_options": "sms"},
        format="json",
    )
    body = assert_error(response, status=400, field="sms_send_options", code="invalid_choice")
    assert body["errors"][0]["message"] == '"sms" is not a valid choice; use one of: text, voice.'
    response = auth_client.post(
        "/api/system/send/otp/",
        {"number": "9851023212", "message": "{otp}", "sms_send_options": "text", "otp_options": "mine"},
        format="json",
    )
    body = assert_error(response, status=400, field="otp_options", code="invalid_choice")
    assert body["errors"][0]["message"] == '"mine" is not a valid choice; use one of: generated, personnel.'
