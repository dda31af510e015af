"""docker-compose.yml cannot be run here (no Docker engine); check what can be checked."""

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def test_compose_defines_the_deployment():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert set(services) == {"postgres", "redis", "migrate", "web", "worker", "beat"}
    assert services["migrate"]["command"][-2:] == ["migrate", "--noinput"]
    assert services["web"]["command"][:2] == ["gunicorn", "tingting.wsgi:application"]
    assert services["worker"]["command"][:4] == ["celery", "-A", "tingting", "worker"]
    assert services["beat"]["command"][:4] == ["celery", "-A", "tingting", "beat"]
    for name in ("web", "worker", "beat"):
        assert services[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
        assert services[name]["environment"]["DATABASE_URL"].startswith("postgres://")
        assert services[name]["environment"]["CELERY_BROKER_URL"].startswith("redis://")


def test_dockerfile_copies_every_app():
    dockerfile = (ROOT / "Dockerfile").read_text()
    for app in ("tingting", "accounts", "phonenumbers_app", "campaigns", "otp", "tling", "bench"):
        assert f"COPY {app} ./{app}" in dockerfile
