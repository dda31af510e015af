"""The documented deployment, run as it is written, without Docker.

docker-compose.yml is parsed (PyYAML) and its ``migrate``, ``web``, ``worker``
and ``beat`` commands run unchanged, with the environment compose would give
them: the Dockerfile's ``ENV``, the shipped ``.env.example`` as ``env_file`` and
the service's ``environment``. Only what a container has and this machine has
not is rewritten: the service hostnames and ports (a fresh PostgreSQL database
and the test Redis DBs, loopback free ports) and the container paths (a
temporary directory). Debian's nginx serves the shipped ``deploy/nginx.conf``
(upstream and listen rewritten to those ports) inside an http block like the
nginx image's. Each healthcheck runs as compose would run it; then a client logs
in, creates and begins a campaign through nginx as a TLS terminator would pass
it on (``Host`` and ``X-Forwarded-Proto: https``), the worker sends it to Twilio
(a local fake speaking Twilio's API), Twilio's status callbacks come back through
nginx, and the campaign finishes.
"""

from __future__ import annotations

import contextlib
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
import requests
import yaml

from tests.support.fake_vendors import TWILIO_SID, TWILIO_TOKEN, FakeTwilio, sign
from tests.support.workers import wait_until

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]
PUBLIC_HOST = "tingting.example.com"  # ALLOWED_HOSTS and PUBLIC_BASE_URL of .env.example
OPERATOR = ("ops@example.com", "a-long-operator-password-1")


def env_file(path: Path) -> dict[str, str]:
    """compose's env_file format: KEY=VALUE lines, # comments, no quoting."""
    values = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            values[key.strip()] = value
    return values


def dockerfile_env() -> dict[str, str]:
    values = {}
    for line in (ROOT / "Dockerfile").read_text().splitlines():
        if line.startswith("ENV "):
            values.update(pair.split("=", 1) for pair in shlex.split(line[4:]))
    return values


def interpolate(value: str, variables: dict[str, str]) -> str:
    """compose's ``${NAME}`` / ``${NAME:?message}`` from the project's .env (here .env.example)."""
    return re.sub(r"\$\{(\w+)(?::?[?-][^}]*)?\}", lambda m: variables[m.group(1)], str(value))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def to_local(argv: list[str], web_port: int) -> list[str]:
    """The container's port 8000 is a free loopback port here."""
    return [arg.replace("0.0.0.0:8000", f"127.0.0.1:{web_port}").replace(":8000/", f":{web_port}/") for arg in argv]


class Deployment:
    def __init__(self, tmp: Path, database_url: str) -> None:
        self.tmp = tmp
        self.web_port, self.proxy_port = free_port(), free_port()
        self.processes: dict[str, tuple[subprocess.Popen, Path]] = {}
        self.extra: dict[str, str] = {}
        dotenv = env_file(ROOT / ".env.example")
        app = SERVICES["web"]
        assert app["env_file"] == ".env"
        # What this machine replaces: the hosts, ports and paths of the containers.
        self.overrides = {
            "DATABASE_URL": database_url,
            "CELERY_BROKER_URL": os.environ["CELERY_BROKER_URL"],
            "REDIS_URL": os.environ["REDIS_URL"],
            "TINGTING_VAR_DIR": str(tmp / "var"),
            "MEDIA_ROOT": str(tmp / "media"),
        }
        base = {name: os.environ[name] for name in ("PATH", "HOME", "LANG") if name in os.environ}
        self.env = {
            **base,
            **dockerfile_env(),
            **dotenv,
            **{key: interpolate(value, dotenv) for key, value in app["environment"].items()},
            **self.overrides,
        }

    def run(self, service: str, *, extra: dict | None = None) -> subprocess.CompletedProcess:
        return subprocess.run(
            to_local(SERVICES[service]["command"], self.web_port),
            cwd=ROOT,
            env={**self.env, **(extra or {})},
            capture_output=True,
            text=True,
            timeout=300,
        )

    def start(self, service: str, extra: dict) -> None:
        self.extra = extra
        log = self.tmp / f"{service}.log"
        proc = subprocess.Popen(
            to_local(SERVICES[service]["command"], self.web_port),
            cwd=ROOT,
            env={**self.env, **extra},
            stdout=log.open("w"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.processes[service] = (proc, log)

    def start_proxy(self) -> None:
        """Debian's nginx with deploy/nginx.conf, included where the nginx image includes conf.d/."""
        conf = (ROOT / "deploy" / "nginx.conf").read_text()
        conf = conf.replace("server web:8000;", f"server 127.0.0.1:{self.web_port};")
        conf = conf.replace("listen 80;", f"listen 127.0.0.1:{self.proxy_port};")
        conf = conf.replace("/data/media/", f"{self.overrides['MEDIA_ROOT']}/")
        assert f"127.0.0.1:{self.web_port}" in conf and f"127.0.0.1:{self.proxy_port}" in conf
        nginx = self.tmp / "nginx"
        nginx.mkdir()
        (nginx / "default.conf").write_text(conf)
        temp_paths = "".join(f"    {kind}_temp_path {nginx}/{kind};\n" for kind in ("client_body", "proxy"))
        (nginx / "nginx.conf").write_text(
            ("user root;\n" if os.geteuid() == 0 else "")
            + f"daemon off;\npid {nginx}/nginx.pid;\nerror_log {nginx}/error.log;\nevents {{}}\n"
            + f"http {{\n    access_log {nginx}/access.log;\n{temp_paths}"
            + f"    include {nginx}/default.conf;\n}}\n"
        )
        log = self.tmp / "nginx.log"
        proc = subprocess.Popen(
            [nginx_binary(), "-p", str(nginx), "-c", str(nginx / "nginx.conf"), "-e", str(nginx / "error.log")],
            stdout=log.open("w"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.processes["proxy"] = (proc, nginx / "error.log")

    def healthcheck(self, service: str) -> None:
        """Run the service's healthcheck as compose does: every interval, unhealthy after ``retries`` failures."""
        check = SERVICES[service]["healthcheck"]
        test = check["test"]
        # CMD runs the arguments, CMD-SHELL a shell; compose turns $$ into $ for the shell.
        argv = test[1:] if test[0] == "CMD" else ["sh", "-c", test[1].replace("$$", "$")]
        interval = int(str(check.get("interval", "30s")).removesuffix("s"))
        failures = []
        for _ in range(check.get("retries", 3)):
            result = subprocess.run(
                to_local(argv, self.web_port),
                cwd=ROOT,
                env={**self.env, **self.extra, "HOSTNAME": socket.gethostname()},  # as in the container
                capture_output=True,
                text=True,
                timeout=60,
            )
            if result.returncode == 0:
                return
            failures.append(result.stderr[-400:])
            self.assert_running()
            time.sleep(interval)
        raise AssertionError(f"{service} unhealthy: {failures}\n{self.logs()}")

    def assert_running(self) -> None:
        for name, (proc, _) in self.processes.items():
            assert proc.poll() is None, f"{name} exited {proc.returncode}\n{self.logs()}"

    def logs(self) -> str:
        return "\n".join(
            f"--- {name}\n{log.read_text(errors='replace')[-3000:]}" for name, (_, log) in self.processes.items()
        )

    def stop(self) -> None:
        for proc, _ in self.processes.values():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
        for proc, _ in self.processes.values():
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=30)


def nginx_binary() -> str:
    found = shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if Path(p).exists()), None)
    if not found:  # scripts/test installs Debian's nginx when root; a test cannot silently skip
        raise RuntimeError("nginx is not installed: apt-get install nginx (scripts/test does it as root)")
    return found


@contextlib.contextmanager
def fresh_database() -> str:
    """A database of its own on the test PostgreSQL server, dropped afterwards."""
    parts = urlsplit(os.environ["DATABASE_URL"])
    name = f"{parts.path.lstrip('/')}_deploy"
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield urlunsplit(parts._replace(path=f"/{name}"))
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def purge_broker() -> None:
    """The deployment shares the test broker: leave no sweep of its beat for later tests."""
    from tingting.celery import app

    app.control.purge()


@pytest.fixture(scope="module")
def twilio():
    with FakeTwilio() as fake:
        yield fake


@pytest.fixture(scope="module")
def deployment(tmp_path_factory, twilio):
    # The real provider (Twilio's API, served by the local fake): production refuses the simulated ones.
    providers = {
        "SMS_BACKEND": "tingting.providers.twilio_sms.TwilioSmsBackend",
        "VOICE_BACKEND": "tingting.providers.twilio_voice.TwilioVoiceBackend",
        "TWILIO_ACCOUNT_SID": TWILIO_SID,
        "TWILIO_AUTH_TOKEN": TWILIO_TOKEN,
        "TWILIO_API_BASE": twilio.base_url,
        "TWILIO_FROM_NUMBER": "+15005550006",
    }
    purge_broker()
    with fresh_database() as database_url:
        deployment = Deployment(tmp_path_factory.mktemp("deployment"), database_url)
        refused = deployment.run("migrate")
        deployment.refused = refused
        migrated = deployment.run("migrate", extra=providers)
        assert migrated.returncode == 0, migrated.stdout + migrated.stderr
        # The image's build step (Dockerfile RUN ... collectstatic) and the README's operator commands.
        for argv in (
            ["python", "manage.py", "collectstatic", "--noinput"],
            ["python", "manage.py", "create_account", OPERATOR[0], "--password", OPERATOR[1], "--credits", "100"],
        ):
            done = subprocess.run(
                argv, cwd=ROOT, env={**deployment.env, **providers}, capture_output=True, text=True, timeout=300
            )
            assert done.returncode == 0, done.stdout + done.stderr
        try:
            for service in ("web", "worker", "beat"):
                deployment.start(service, providers)
            deployment.start_proxy()
            yield deployment
        finally:
            deployment.stop()
            purge_broker()


def through_proxy(deployment: Deployment, *, https: bool = True, host: str = PUBLIC_HOST) -> requests.Session:
    """A client behind the TLS terminator that fronts nginx."""
    session = requests.Session()
    session.headers["Host"] = host
    if https:
        session.headers["X-Forwarded-Proto"] = "https"
    session.base = f"http://127.0.0.1:{deployment.proxy_port}"
    return session


def test_migrate_refuses_to_start_on_the_simulated_providers(deployment):
    assert deployment.refused.returncode != 0
    assert "(tingting.E010) SMS_BACKEND is the simulated backend" in deployment.refused.stderr


@pytest.mark.parametrize("service", ["web", "worker"])
def test_services_become_healthy_by_their_own_healthchecks(deployment, service):
    deployment.healthcheck(service)
    deployment.assert_running()


def test_proxy_keeps_tls_and_the_host_check_for_real_requests(deployment):
    deployment.healthcheck("web")
    plain = through_proxy(deployment, https=False)
    redirected = plain.get(plain.base + "/api/accounts/user_details/", allow_redirects=False, timeout=30)
    assert redirected.status_code == 301
    assert redirected.headers["Location"] == f"https://{PUBLIC_HOST}/api/accounts/user_details/"
    stranger = through_proxy(deployment, host="evil.example.net")
    assert stranger.get(stranger.base + "/api/accounts/user_details/", timeout=30).status_code == 400


def test_api_docs_are_served_with_their_assets_from_the_deployment(deployment):
    deployment.healthcheck("web")
    client = through_proxy(deployment)
    for path in ("/api/docs/", "/api/redoc/"):
        page = client.get(client.base + path, timeout=30)
        assert page.status_code == 200, page.text[:500]
        assets = re.findall(r'(?:src|href)="(/static/[^"]+)"', page.text)
        assert assets, page.text
        for asset in assets:
            assert client.get(client.base + asset, timeout=30).status_code == 200, asset


def test_uploaded_audio_is_public_and_pending_imports_are_not(deployment):
    media = Path(deployment.overrides["MEDIA_ROOT"])
    for name in ("campaign-audio/2026/12/offer.wav", "campaign-imports/2026/12/contacts.csv"):
        (media / name).parent.mkdir(parents=True, exist_ok=True)
        (media / name).write_bytes(b"RIFF....WAVE")
    client = through_proxy(deployment)
    audio = client.get(client.base + "/media/campaign-audio/2026/12/offer.wav", timeout=30)
    assert (audio.status_code, audio.content) == (200, b"RIFF....WAVE")
    assert client.get(client.base + "/media/campaign-imports/2026/12/contacts.csv", timeout=30).status_code == 404


def test_a_campaign_runs_end_to_end_through_nginx(deployment, twilio):
    deployment.healthcheck("web")
    client = through_proxy(deployment)
    base = client.base
    login = client.post(base + "/api/accounts/login/", json={"email": OPERATOR[0], "password": OPERATOR[1]}, timeout=30)
    assert login.status_code == 200, login.text
    client.headers["Authorization"] = f"Bearer {login.json()['data']['token']['access']}"
    numbers = ["9841000001", "9841000002"]
    created = client.post(
        base + "/api/system/campaigns",
        json={"name": "Deployment", "services": "SMS", "individual_number": numbers},
        timeout=30,
    )
    assert created.status_code == 201, created.text
    campaign_id = created.json()["data"]["details"][0]["id"]
    begun = client.post(base + f"/api/system/campaigns/{campaign_id}/begin/", json={"message": "Namaste"}, timeout=30)
    assert begun.status_code == 200, begun.text

    wait_until(lambda: len(twilio.messages) >= len(numbers), timeout=120, message="the worker's Twilio sends")
    assert sorted(m["to"] for m in twilio.messages.values()) == ["+9779841000001", "+9779841000002"]
    for request in twilio.posts():
        callback = request["form"]["StatusCallback"][0]
        assert callback.startswith(f"https://{PUBLIC_HOST}/webhooks/twilio/sms/?ref=")
        sid = next(sid for sid, m in twilio.messages.items() if m["to"] == request["form"]["To"][0])
        params = {"MessageSid": sid, "MessageStatus": "delivered", "AccountSid": TWILIO_SID}
        parts = urlsplit(callback)
        answer = requests.post(
            f"{base}{parts.path}?{parts.query}",
            data=params,
            headers={
                "Host": PUBLIC_HOST,
                "X-Forwarded-Proto": "https",
                "X-Twilio-Signature": sign(TWILIO_TOKEN, callback, params),
            },
            timeout=30,
        )
        assert answer.status_code in (200, 204), answer.text

    def progress() -> dict:
        response = client.get(base + f"/api/system/campaigns/{campaign_id}/progress/", timeout=30)
        assert response.status_code == 200, response.text
        return response.json()["data"]["progress"]

    wait_until(lambda: progress()["finished_at"], timeout=120, message="the campaign to finish")
    final = progress()
    assert final["status_counts"]["completed"] == 2, final
    assert final["credits"] == {"charged": 2, "estimate": 2, "held": 0, "released": 0}
    deployment.assert_running()


def test_compose_and_dockerfile_ship_one_tree_without_the_dev_state():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert [line for line in dockerfile.splitlines() if line.startswith("COPY")] == ["COPY . ."]
    assert "pip install . " in dockerfile  # the runtime install, no dev extras
    ignored = (ROOT / ".dockerignore").read_text().split()
    for path in (".git", ".env", ".venv", "var"):
        assert path in ignored
    proxy, web = SERVICES["proxy"], SERVICES["web"]
    assert proxy["volumes"] == ["./deploy/nginx.conf:/etc/nginx/conf.d/default.conf:ro", "media:/data/media:ro"]
    assert proxy["depends_on"]["web"]["condition"] == "service_healthy"
    assert proxy["ports"] == ["8000:80"] and "ports" not in web  # only the proxy is published
    for name in ("web", "worker", "beat"):
        assert SERVICES[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
