"""Regression tests for what schema fuzzing found, and production response headers."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client

from tests.support.clients import client_for, key_client_for
from tests.support.envelope import assert_error, assert_tling_error

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_unsafe_method_on_unknown_api_route_is_json_404_not_csrf_403(method, user):
    # `<int:>` takes no sign: /campaigns/-5/update/ matches no route. It used to
    # answer Django's HTML CSRF page (403); now the face's 404.
    response = getattr(client_for(user), method)("/api/system/campaigns/-5/update/", {}, format="json")
    assert_error(response, status=404, code="not_found")


def test_unsafe_method_on_unknown_tling_route_is_tling_404(user):
    response = key_client_for(user).delete("/api/v0/contacts/-1/extra")
    assert_tling_error(response, status=404)


def test_csrf_failure_on_api_is_the_face_shape(user):
    # A session-authenticated unsafe request without a CSRF token: JSON 403, not HTML.
    from rest_framework.test import APIClient

    client = APIClient(enforce_csrf_checks=True)
    client.force_login(user)
    response = client.post("/api/system/campaigns/-5/update/", {}, format="json")
    assert response.status_code == 404  # the unknown route is exempt
    from django.test import Client

    django_client = Client(enforce_csrf_checks=True)
    django_client.force_login(user)
    response = django_client.post("/admin/logout/")
    assert response.status_code == 403
    assert response["Content-Type"].startswith("text/html")  # the admin keeps Django's page


def test_tling_list_create_schema_matches_the_answer(user):
    # The schema promised `contactsCount` on create; the contract (and the answer) omit it.
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    ref = schema["paths"]["/api/v0/lists/"]["post"]["responses"]["200"]["content"]["application/json"]["schema"]
    component = schema["components"]["schemas"][ref["$ref"].rsplit("/", 1)[1]]
    response = key_client_for(user).post("/api/v0/lists", {"name": "Mine"}, format="json")
    assert response.status_code == 200
    assert sorted(response.json()) == sorted(component["required"]) == ["createdAt", "id", "name", "updatedAt"]


def test_malformed_multipart_body_is_documented_415(user):
    response = client_for(user).generic(
        "PATCH",
        "/api/system/number/415/",
        b"--b\r\n\xc3\xb6\xc3\xb6--b--\r\n",
        content_type="multipart/form-data; boundary=b",
    )
    assert response.status_code in (404, 415)
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    documented = schema["paths"]["/api/system/number/{number_id}/"]["patch"]["responses"]
    assert {"413", "415"} <= set(documented)
    assert "415" in schema["paths"]["/api/v0/lists/"]["post"]["responses"]
    assert "415" not in schema["paths"]["/api/system/campaigns/"]["get"]["responses"]


PRODUCTION_PROBE = """
import json, django
django.setup()
from django.conf import settings
from django.test import Client
headers = {"HTTP_X_FORWARDED_PROTO": "https", "HTTP_HOST": "tingting.example.com"}
response = Client().get("/api/accounts/user_details/", HTTP_ACCEPT="text/html", **headers)
print(json.dumps({
    "status": response.status_code,
    "content_type": response["Content-Type"],
    "headers": {k: response.get(k) for k in (
        "Strict-Transport-Security", "X-Content-Type-Options", "Referrer-Policy", "X-Frame-Options")},
    "renderers": settings.REST_FRAMEWORK["DEFAULT_RENDERER_CLASSES"],
}))
"""


def test_production_settings_send_security_headers_and_no_browsable_api():
    env = {
        **os.environ,
        "DEBUG": "0",
        "SECRET_KEY": "x" * 20 + "-production-secret-key-for-check-0123456789",
        "ALLOWED_HOSTS": "tingting.example.com",
        "TINGTING_DEV": "0",
    }
    env.pop("SECURE_SSL_REDIRECT", None)
    result = subprocess.run(
        [sys.executable, "-c", PRODUCTION_PROBE],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={**env, "DJANGO_SETTINGS_MODULE": "tingting.settings"},
    )
    assert result.returncode == 0, result.stderr[-2000:]
    out = json.loads(result.stdout.strip().splitlines()[-1])
    # An API answer (401: no token, so no database needed) — JSON even when a
    # browser asks for HTML: the browsable renderer is off with DEBUG off.
    assert out["status"] == 401
    assert out["content_type"] == "application/json"
    assert out["renderers"] == ["rest_framework.renderers.JSONRenderer"]
    assert out["headers"] == {
        "Strict-Transport-Security": "max-age=31536000; includeSubDomains; preload",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
        "X-Frame-Options": "DENY",
    }


# --- Datetimes PostgreSQL cannot store or compare (found by fuzzing owned objects) ---
# Python accepts UTC offsets up to ±23:59 and years 1–9999; PostgreSQL rejects
# offsets beyond ±15:59, and shifting 9999-12-31 or 0001-01-01 to UTC overflows.

FAR_FUTURE = ["2210-09-06T23:14:34+20:24", "9999-12-31T23:59:59-05:00"]


@pytest.mark.parametrize("value", FAR_FUTURE)
def test_tling_schedule_date_with_an_extreme_offset_is_400_or_stored_in_utc(user, value):
    from datetime import UTC, datetime

    from django.utils.dateparse import parse_datetime

    from tling.models import ScheduledMessage

    client = key_client_for(user)
    response = client.post(
        "/api/v0/schedule/message",
        {"date": "2030-01-01T00:00:00Z", "text": "hi", "to": ["+9779801234562"]},
        format="json",
    )
    assert response.status_code == 204, response.content
    schedule = ScheduledMessage.objects.get(owner=user)
    response = client.patch(f"/api/v0/schedule/message/{schedule.pk}", {"date": value}, format="json")
    if value.startswith("9999"):
        assert_tling_error(response, status=400, pointer="/date")
        schedule.refresh_from_db()
        assert schedule.send_at == datetime(2030, 1, 1, tzinfo=UTC)
    else:
        assert response.status_code == 200, response.content
        schedule.refresh_from_db()
        assert schedule.send_at == parse_datetime(value)


@pytest.mark.parametrize(
    "value", ["2024-01-01T00:00:00+20:00", "9999-12-31", "0001-01-01T00:00:00+05:00", "9999-12-31T23:59:59-05:00"]
)
def test_tling_filter_with_an_extreme_datetime_is_400_or_answers(user, value):
    response = key_client_for(user).get("/api/v0/messages", {"filter[createdAt][gte]": value})
    assert response.status_code in (200, 400), response.content
    if response.status_code == 400:
        assert_tling_error(response, status=400)
    response = key_client_for(user).get("/api/v0/messages", {"filter[createdAt][lte]": value})
    assert response.status_code in (200, 400), response.content


@pytest.mark.parametrize("value", FAR_FUTURE)
def test_campaign_schedule_date_with_an_extreme_offset_is_400_or_scheduled(user, value):
    from campaigns.models import Run
    from tests.support.factories_campaigns import campaign_with_recipients

    campaign = campaign_with_recipients(user, 2, message="hello")
    response = client_for(user).post(
        f"/api/system/campaigns/{campaign.pk}/begin/", {"schedule_date": value}, format="json"
    )
    if value.startswith("9999"):
        assert_error(response, status=400, field="schedule_date")
        assert not Run.objects.filter(campaign=campaign).exists()
    else:
        assert response.status_code == 200, response.content


def test_run_state_conflicts_are_documented():
    # Fuzzing owned campaigns: begin twice / pause a paused run answer 409, undocumented.
    from drf_spectacular.generators import SchemaGenerator

    paths = SchemaGenerator().get_schema(request=None, public=True)["paths"]
    assert {"402", "409", "422"} <= set(paths["/api/system/campaigns/{campaign_id}/begin/"]["post"]["responses"])
    for verb in ("pause", "resume", "cancel"):
        assert "409" in paths[f"/api/system/campaigns/{{campaign_id}}/{verb}/"]["post"]["responses"]


def test_a_form_body_with_too_many_fields_is_400_in_each_face(user, settings):
    """Found by the schema fuzzer: Django refuses a form body of more than
    DATA_UPLOAD_MAX_NUMBER_FIELDS fields while DRF parses it; that is the
    client's error (400), not a 500."""
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 50
    body = "&".join(["numbers=true"] * 60)
    form = "application/x-www-form-urlencoded"
    response = client_for(user).post("/api/system/dnc/", body, content_type=form)
    assert_error(response, status=400, code="too_many_fields")
    response = key_client_for(user).post("/api/v0/contacts", body, content_type=form)
    assert assert_tling_error(response, status=400)["errors"][0]["code"] == "too_many_fields"


@pytest.mark.django_db
def test_json_nested_a_thousand_levels_is_400_not_500(user):
    """Attack: a body of 1,000 nested lists made json.loads raise RecursionError,
    a 500 on every JSON endpoint, unauthenticated login included."""
    deep = "[" * 1000 + "]" * 1000
    response = Client().post("/api/accounts/login/", deep, content_type="application/json")
    assert_error(response, status=400)
    response = client_for(user).post("/api/system/campaigns", deep, content_type="application/json")
    assert_error(response, status=400)
    response = key_client_for(user).post("/api/v0/contacts", deep, content_type="application/json")
    assert_tling_error(response, status=400)
