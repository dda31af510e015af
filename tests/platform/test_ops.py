import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import override_settings

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


def test_healthz_reports_database_and_broker(api_client):
    response = api_client.get("/healthz")
    assert response.status_code == 200, response.json()
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "broker": "ok"}}


@override_settings(CELERY_BROKER_URL="redis://127.0.0.1:1/0", CELERY_BROKER_TRANSPORT_OPTIONS={})
def test_healthz_is_503_when_broker_is_down(api_client):
    response = api_client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["broker"].startswith("error")


def test_metrics_need_token_and_speak_prometheus(api_client, user, settings):
    settings.METRICS_TOKEN = "s3cret"
    assert api_client.get("/metrics").status_code == 403
    assert api_client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 403
    response = api_client.get("/metrics", HTTP_AUTHORIZATION="Bearer s3cret")
    assert response.status_code == 200
    text = response.content.decode()
    assert 'tingting_credits{state="available"} 1000.0' in text
    assert "tingting_http_requests_total" in text


def test_openapi_schema_covers_both_faces(api_client):
    response = api_client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    schema = response.json() if response["Content-Type"].startswith("application/vnd.oai.openapi+json") else None
    text = response.content.decode()
    assert "/api/accounts/login/" in text and "LoginEnvelope" in text
    assert schema is None or "paths" in schema
    assert api_client.get("/api/docs/").status_code == 200


def test_production_settings_pass_check_deploy():
    env = {
        **os.environ,
        "DEBUG": "0",
        "SECRET_KEY": "x" * 20 + "-production-secret-key-for-check-0123456789",
        "ALLOWED_HOSTS": "tingting.example.com",
    }
    env.pop("SECURE_SSL_REDIRECT", None)
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_models_and_migrations_agree():
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("makemigrations", "--check", "--dry-run", stdout=out)  # exits non-zero on drift
    assert "No changes detected" in out.getvalue()
