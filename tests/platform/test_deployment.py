"""docker-compose.yml cannot be run here (no Docker engine); check what can be checked."""

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def test_compose_defines_the_deployment():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert set(services) == {"postgres", "redis", "migrate", "web", "worker", "beat", "proxy"}
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


def test_proxy_fronts_web_with_the_upload_limit_and_timeouts():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    proxy, web = compose["services"]["proxy"], compose["services"]["web"]
    assert proxy["image"].startswith("nginx:")
    assert proxy["volumes"] == ["./deploy/nginx.conf:/etc/nginx/conf.d/default.conf:ro"]
    assert proxy["depends_on"]["web"]["condition"] == "service_healthy"
    assert proxy["ports"] == ["8000:80"] and "ports" not in web  # only the proxy is published
    conf = (ROOT / "deploy" / "nginx.conf").read_text()
    for directive in (
        "client_max_body_size 25m;",
        "server web:8000;",
        "proxy_read_timeout 65s;",
        "proxy_send_timeout 65s;",
        "client_body_timeout 60s;",
        "proxy_set_header X-Forwarded-Proto $http_x_forwarded_proto;",
    ):
        assert directive in conf, directive
    # gunicorn's own timeout stays below nginx's read timeout.
    command = web["command"]
    assert int(command[command.index("--timeout") + 1]) < 65
