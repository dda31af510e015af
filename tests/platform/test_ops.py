import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client, override_settings

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
    assert api_client.get("/metrics", HTTP_AUTHORIZATION="Bearer s3cr\u00e9t").status_code == 403  # not a 500
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


PRODUCTION_ENV = {
    "DEBUG": "0",
    "SECRET_KEY": "x" * 20 + "-production-secret-key-for-check-0123456789",
    "ALLOWED_HOSTS": "tingting.example.com",
}
TWILIO_ENV = {
    "SMS_BACKEND": "tingting.providers.twilio_sms.TwilioSmsBackend",
    "VOICE_BACKEND": "tingting.providers.twilio_voice.TwilioVoiceBackend",
    "TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
    "TWILIO_AUTH_TOKEN": "t" * 32,
    "PUBLIC_BASE_URL": "https://tingting.example.com",
}

SPARROW_ENV = {  # Sparrow has no calls: SMS through Sparrow, calls through Twilio
    **TWILIO_ENV,
    "SMS_BACKEND": "tingting.providers.sparrow.SparrowSmsBackend",
    "SPARROW_TOKEN": "s" * 32,
    "SPARROW_FROM": "TingTing",
}


def manage_check_deploy(extra: dict) -> subprocess.CompletedProcess:
    env = {**os.environ, **PRODUCTION_ENV, **extra}
    for name in ("SECURE_SSL_REDIRECT", "TINGTING_DEV", "ALLOW_SIMULATED_PROVIDERS"):
        env.pop(name, None)
    env.update(extra)
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize("providers", [TWILIO_ENV, SPARROW_ENV], ids=["twilio", "sparrow-sms"])
def test_production_settings_with_a_configured_provider_pass_check_deploy(providers):
    result = manage_check_deploy(providers)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_settings_refuse_the_simulated_providers():
    result = manage_check_deploy({})
    assert result.returncode != 0
    assert "(tingting.E010) SMS_BACKEND is the simulated backend" in result.stderr
    assert "(tingting.E010) VOICE_BACKEND is the simulated backend" in result.stderr
    allowed = manage_check_deploy({"ALLOW_SIMULATED_PROVIDERS": "1"})
    assert allowed.returncode == 0, allowed.stdout + allowed.stderr


def provider_errors() -> list[tuple[str, str]]:
    from tingting.checks import providers_check

    return [(error.id, error.msg) for error in providers_check(None)]


def test_provider_check_names_what_a_real_backend_misses(settings):
    settings.DEBUG = False
    settings.ALLOW_SIMULATED_PROVIDERS = False
    settings.SMS_BACKEND = "tingting.providers.twilio_sms.TwilioSmsBackend"
    settings.VOICE_BACKEND = "tingting.providers.twilio_voice.TwilioVoiceBackend"
    settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN, settings.PUBLIC_BASE_URL = "AC1", "token", ""
    assert provider_errors() == [
        ("tingting.E011", "SMS_BACKEND=tingting.providers.twilio_sms.TwilioSmsBackend needs PUBLIC_BASE_URL."),
        ("tingting.E011", "VOICE_BACKEND=tingting.providers.twilio_voice.TwilioVoiceBackend needs PUBLIC_BASE_URL."),
    ]
    settings.SMS_BACKEND = "tingting.providers.sparrow.SparrowSmsBackend"
    settings.SPARROW_TOKEN, settings.SPARROW_DLR_FIELD = "", "dlr_url"
    settings.PUBLIC_BASE_URL = "https://tingting.example.com"
    settings.VOICE_BACKEND_FALLBACK = "tingting.providers.simulated.SimulatedVoiceBackend"
    settings.NUMBER_BACKEND = "tingting.providers.nowhere.Backend"
    assert provider_errors() == [
        ("tingting.E011", "SMS_BACKEND=tingting.providers.sparrow.SparrowSmsBackend needs SPARROW_TOKEN."),
        (
            "tingting.E010",
            "VOICE_BACKEND_FALLBACK is the simulated backend tingting.providers.simulated.SimulatedVoiceBackend: "
            "with DEBUG off it would fake deliveries.",
        ),
        (
            "tingting.E012",
            "NUMBER_BACKEND=tingting.providers.nowhere.Backend cannot be imported: "
            "No module named 'tingting.providers.nowhere'",
        ),
    ]
    settings.SPARROW_TOKEN, settings.PUBLIC_BASE_URL = "token", ""
    settings.VOICE_BACKEND_FALLBACK, settings.NUMBER_BACKEND = "", "phonenumbers_app.backends.LocalInventoryBackend"
    assert provider_errors() == [
        ("tingting.E011", "SMS_BACKEND=tingting.providers.sparrow.SparrowSmsBackend needs PUBLIC_BASE_URL."),
        ("tingting.E011", "VOICE_BACKEND=tingting.providers.twilio_voice.TwilioVoiceBackend needs PUBLIC_BASE_URL."),
    ]


def test_debug_runs_on_the_simulated_providers(settings):
    settings.DEBUG = True
    settings.ALLOW_SIMULATED_PROVIDERS = False
    assert provider_errors() == []


@pytest.fixture
def production_client(settings) -> Client:
    """A client of the production middleware: https redirect on, one allowed host."""
    settings.ALLOWED_HOSTS = ["tingting.example.com"]
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    return Client()


def test_healthz_answers_the_containers_own_probe_under_production_settings(production_client):
    response = production_client.get("/healthz", HTTP_HOST="127.0.0.1:8000")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "broker": "ok"}}


def test_other_paths_keep_the_host_check_and_the_https_redirect(production_client):
    assert production_client.get("/api/accounts/user_details/", HTTP_HOST="127.0.0.1:8000").status_code == 400
    assert production_client.post("/healthz", HTTP_HOST="127.0.0.1:8000").status_code == 400
    redirected = production_client.get("/api/accounts/user_details/", HTTP_HOST="tingting.example.com")
    assert redirected.status_code == 301
    assert redirected["Location"] == "https://tingting.example.com/api/accounts/user_details/"
    over_tls = production_client.get(
        "/api/accounts/user_details/", HTTP_HOST="tingting.example.com", HTTP_X_FORWARDED_PROTO="https"
    )
    assert over_tls.status_code == 401


def test_root_is_a_landing_page_linking_docs_admin_and_health(client):
    response = client.get("/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    for href in ('href="/api/docs/"', 'href="/api/redoc/"', 'href="/admin/"', 'href="/healthz"'):
        assert href in response.content.decode(), href


@pytest.mark.parametrize("path", ["/api/docs/", "/api/redoc/"])
def test_api_docs_load_their_scripts_from_our_own_static_files(client, path):
    from django.contrib.staticfiles import finders

    response = client.get(path)
    assert response.status_code == 200
    page = response.content.decode()
    assets = re.findall(r'(?:src|href)="(/static/drf_spectacular_sidecar/[^"]+)"', page)
    assert any(asset.endswith(".js") for asset in assets), page
    assert "//cdn" not in page and "unpkg" not in page and "jsdelivr" not in page
    for asset in assets:
        assert finders.find(asset.removeprefix("/static/")), asset


def test_models_and_migrations_agree():
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("makemigrations", "--check", "--dry-run", stdout=out)  # exits non-zero on drift
    assert "No changes detected" in out.getvalue()
