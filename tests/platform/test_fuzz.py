"""Schema fuzzing of both faces with schemathesis, against our own OpenAPI schema.

Every operation in ``/api/schema/`` is called through the WSGI app with bounded,
deterministic examples (positive: data the schema allows; negative: data it
forbids), authenticated as a real user (JWT for TingTing paths, X-API-Key for
``/api/v0/``). Each response must:

- never be a 5xx;
- have a status code and a content type the schema documents;
- match the documented response schema;
- if it is an error, have the face's error shape.

Bounds: ``EXAMPLES`` per operation and mode, ``derandomize=True`` (the same
examples on every run, so CI is reproducible) and no example database.
"""

from __future__ import annotations

import json

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, Phase, given, settings
from rest_framework_simplejwt.tokens import RefreshToken
from schemathesis import GenerationMode
from schemathesis.checks import CHECKS

from accounts.api_keys import api_key_create
from tests.support.factories import UserFactory

EXAMPLES = 15
TLING_PREFIX = "/api/v0/"
V1_PREFIX = "/api/v1/"
# v1 paths that keep the seed envelope (docs/api/API_CONTRACT_V1.md §6).
V1_ENVELOPE_PATHS = ("/api/v1/auths/send/otp", "/api/v1/auths/list/send-otps", "/api/v1/auths/verify/otp")

# Operations that cannot be fuzzed meaningfully, with the reason. Empty: file
# uploads (campaign create with an xlsx/csv/audio part) are fuzzed with the small
# bodies schemathesis generates.
EXCLUDED: dict[str, str] = {}


def _load_schema():
    raw = SchemaGenerator().get_schema(request=None, public=True)
    # Round-trip through JSON: lazy strings and Decimals become plain JSON.
    raw = json.loads(json.dumps(raw, default=str))
    schema = schemathesis.openapi.from_dict(raw)
    schema.app = get_wsgi_application()
    return schema


SCHEMA = _load_schema()
OPERATIONS = {op.ok().label: op.ok() for op in SCHEMA.get_all_operations()}

CHECK_NAMES = [
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
]
_CHECKS = [CHECKS.get_one(name) for name in CHECK_NAMES]


def _assert_error_shape(label: str, response) -> None:
    if response.status_code < 400:
        return
    body = response.json()
    path = label.split(" ", 1)[1]
    if path.startswith(V1_PREFIX) and not path.startswith(V1_ENVELOPE_PATHS):
        # Plain DRF: {"detail"} / {"message"} or field errors {"<field>": [...] or {...}}.
        assert isinstance(body, dict) and body, body
        if len(body) == 1 and set(body) <= {"detail", "message"} and isinstance(next(iter(body.values())), str):
            pass  # {"detail": "..."} or {"message": "..."}
        else:  # field errors (a field may be named "message")
            assert all(isinstance(value, list | dict) for value in body.values()), body
    elif path.startswith(TLING_PREFIX):
        assert list(body) == ["errors"], body
        assert body["errors"], body
        for item in body["errors"]:
            assert item["status"] == str(response.status_code), body
            assert {"status", "code", "title", "detail"} <= set(item), body
    else:
        assert list(body) == ["status", "success", "message", "errors", "data"], body
        assert body["status"] == response.status_code and body["success"] is False, body
        assert body["errors"], body
        for item in body["errors"]:
            assert set(item) == {"field", "code", "message"}, body


@pytest.fixture
def wsgi_keeps_connection():
    """Like Django's test client: the WSGI handler must not close the test's
    connection (and with it the test transaction) at the end of each request."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def fuzz_user(db, wsgi_keeps_connection):
    return UserFactory(credits=1000)


@pytest.fixture
def auth_headers(fuzz_user):
    _, raw_key = api_key_create(user=fuzz_user, name="fuzz")
    return {
        "tingting": {"Authorization": f"Bearer {RefreshToken.for_user(fuzz_user).access_token}"},
        "tling": {"X-API-Key": raw_key},
    }


def _owned_path_parameters(owner, path: str) -> dict:
    """Real objects of the fuzzing user for an operation's path ids, so the
    "owned" runs get past the 404 and fuzz the view's own validation."""
    from datetime import timedelta

    from django.utils import timezone

    from accounts import ledger
    from tests.support.factories_campaigns import campaign_with_recipients
    from tling import services

    if "{contact_id}" in path:
        return {"contact_id": campaign_with_recipients(owner, 1, message="hello").recipients.get().pk}
    if "{key_id}" in path:
        return {"key_id": api_key_create(user=owner, name="target")[0].pk}
    if "survey" in path:  # a SURVEY campaign with steps (and its contacts)
        from surveys.services.steps import survey_steps_replace
        from tests.support.surveys import STEPS, survey_campaign

        survey = survey_campaign(owner, recipients=2)
        survey_steps_replace(user=owner, campaign_id=survey.pk, steps=[STEPS[0], STEPS[2], STEPS[3]])
        if "{contact_id}" in path:
            return {"contact_id": survey.recipients.first().pk}
        return {"campaign_id": survey.pk}
    if "{campaign_id}" in path:
        return {"campaign_id": campaign_with_recipients(owner, 3, message="hello").pk}
    if "{number_id}" in path:
        return {"number_id": campaign_with_recipients(owner, 1, message="hello").recipients.get().pk}
    if path.startswith("/api/v0/contacts/"):
        return {"id": str(services.contact_create(owner=owner, name="Fuzz", phone_number="+9779801234560").pk)}
    if path.startswith("/api/v0/lists/"):
        return {"id": str(services.list_create(owner=owner, name="Fuzz").pk)}
    if path.startswith("/api/v0/messages/"):
        ledger.top_up(user_id=owner.pk, amount=10)
        return {"id": str(services.messages_create(owner=owner, text="hi", to=["+9779801234561"])[0].pk)}
    if path.startswith("/api/v0/schedule/message/"):
        schedule = services.schedule_create(
            owner=owner, send_at=timezone.now() + timedelta(hours=1), text="hi", to=["+9779801234562"]
        )
        return {"id": str(schedule.pk)}
    raise AssertionError(f"no owned object for {path}: add one here")


OWNED_LABELS = sorted(label for label in set(OPERATIONS) - set(EXCLUDED) if "{" in label)
MODES = [GenerationMode.POSITIVE, GenerationMode.NEGATIVE]


@pytest.mark.parametrize("mode", MODES, ids=str)
@pytest.mark.parametrize("label", sorted(set(OPERATIONS) - set(EXCLUDED)))
def test_fuzz_operation(label, mode, auth_headers):
    _fuzz(label, mode, auth_headers, path_parameters=None)


@pytest.mark.parametrize("mode", MODES, ids=str)
@pytest.mark.parametrize("label", OWNED_LABELS)
def test_fuzz_operation_on_owned_object(label, mode, auth_headers, fuzz_user):
    """The same, with the path ids fixed to the user's own objects (body and query
    still generated)."""
    path_parameters = _owned_path_parameters(fuzz_user, OPERATIONS[label].path)
    _fuzz(label, mode, auth_headers, path_parameters=path_parameters)


def _fuzz(label, mode, auth_headers, *, path_parameters):
    operation = OPERATIONS[label]
    face = "tling" if operation.path.startswith(TLING_PREFIX) else "tingting"

    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode, path_parameters=path_parameters))
    def fuzz(case):
        response = case.call(headers=auth_headers[face])
        case.validate_response(response, checks=_CHECKS)
        _assert_error_shape(label, response)

    fuzz()
