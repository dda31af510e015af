"""Bounded load over a realistic mix, against the bare ``/healthz`` as baseline.

gunicorn (2 sync workers, DEBUG off, the production URLs), a Celery worker and
Celery beat on 127.0.0.1 with the current database; a few seeded users, each with
an API key, campaigns and credits. 50 client threads for 60 s (quick: 10 for 10 s)
each pick a request from MIX per iteration; then the same clients hit ``/healthz``
for the same time. Prints throughput, p50/p95/p99 and errors (any status >= 400 or
a broken connection) of both, and the ratios; and, up to 60 s after the burst,
what it left (issue 18's targets, all 0): Tling messages and campaign attempts not
final, credits on hold, and the largest ledger invariant gap of its accounts. Stops
by itself; its accounts stay (the ledger is append-only), deactivated and without
API keys.

Login throttles are raised for the server (THROTTLE_LOGIN_*): the bench measures
the application, not the limiter (bench/ratelimit.py measures that).
"""

from __future__ import annotations

import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.db import connection

from accounts import ledger
from accounts.api_keys import api_key_create
from accounts.models import ApiKey, User
from bench._serve import ROOT, database_url, free_port, start_gunicorn, stop
from campaigns.models import Attempt, Campaign, Recipient
from tling.models import FINAL_RANK, Message

USERS = 4
PASSWORD = "bench-load-password-1"  # noqa: S105 - throwaway bench accounts

# (weight, name); begin takes a fresh small campaign each time.
MIX = [
    (2, "login"),
    (20, "user_details"),
    (20, "campaign list"),
    (15, "number list"),
    (5, "begin"),
    (15, "tling send"),
    (15, "tling list"),
]


def _env() -> dict:
    return {
        **os.environ,
        "DATABASE_URL": database_url(),
        "DEBUG": "0",
        "TINGTING_DEV": "1",
        "SECURE_SSL_REDIRECT": "0",
        "LOG_LEVEL": "WARNING",
        "DJANGO_SETTINGS_MODULE": "tingting.settings",
        "THROTTLE_LOGIN_EMAIL": "1000000/m",
        "THROTTLE_LOGIN_IP": "1000000/m",
    }


def _celery(*args: str, env: dict) -> subprocess.Popen:
    return subprocess.Popen(  # noqa: S603 - our interpreter, our arguments
        [sys.executable, "-m", "celery", "-A", "tingting", *args, "--loglevel", "WARNING"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def _start(port: int, beat_dir: Path, env: dict | None = None) -> tuple[subprocess.Popen, ...]:
    """gunicorn (2 workers), a worker and beat on ``env`` (this bench's by default), once
    /healthz answers."""
    env = env or _env()
    server = start_gunicorn(port, workers=2, env=env, extra=("--timeout", "60"))
    worker = _celery(
        "worker", "--concurrency", "2", "--pool", "prefork", "--without-gossip", "--without-mingle", env=env
    )
    beat = _celery("beat", "--schedule", str(beat_dir / "celerybeat-schedule"), env=env)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                return server, worker, beat
        except requests.RequestException:
            pass
        time.sleep(0.3)
    stop(server, worker, beat)
    raise RuntimeError("gunicorn did not answer /healthz")


def _seed(campaigns_each: int) -> list[dict]:
    stamp = time.time_ns()
    accounts = []
    for index in range(USERS):
        user = User.objects.create_user(email=f"bench-load-{stamp}-{index}@bench.local", password=None)
        # The server's hasher, whatever the calling process uses (tests use a fast one).
        user.password = PBKDF2PasswordHasher().encode(PASSWORD, PBKDF2PasswordHasher().salt())
        user.save(update_fields=["password"])
        ledger.top_up(user_id=user.pk, amount=10_000_000, idempotency_key=f"bench-load-{stamp}-{index}")
        _, raw_key = api_key_create(user=user, name="bench-load")
        listed = Campaign.objects.create(owner=user, name="listed", services=Campaign.Services.SMS)
        Recipient.objects.bulk_create([Recipient(campaign=listed, number=f"+9779800{i:06d}") for i in range(50)])
        fresh = []
        for c in range(campaigns_each):
            campaign = Campaign.objects.create(
                owner=user, name=f"begin {c}", services=Campaign.Services.SMS, message="hello"
            )
            fresh.append(campaign.pk)
        Recipient.objects.bulk_create(
            [Recipient(campaign_id=pk, number=f"+97798000{i:05d}") for pk in fresh for i in range(2)]
        )
        accounts.append(
            {
                "user": user,
                "email": user.email,
                "key": raw_key,
                "listed": listed.pk,
                "fresh": fresh,
                "lock": threading.Lock(),
            }
        )
    return accounts


def _login(session, base, account) -> str:
    response = session.post(
        f"{base}/api/accounts/login/", json={"email": account["email"], "password": PASSWORD}, timeout=30
    )
    response.raise_for_status()
    return response.json()["data"]["token"]["access"]


def _request(session, base, name, account, token) -> requests.Response:
    jwt = {"Authorization": f"Bearer {token}"}
    key = {"X-API-Key": account["key"]}
    if name == "login":
        return session.post(
            f"{base}/api/accounts/login/", json={"email": account["email"], "password": PASSWORD}, timeout=30
        )
    if name == "user_details":
        return session.get(f"{base}/api/accounts/user_details/", headers=jwt, timeout=30)
    if name == "campaign list":
        return session.get(f"{base}/api/system/campaigns/", headers=jwt, timeout=30)
    if name == "number list":
        return session.get(f"{base}/api/system/campaigns/number/{account['listed']}", headers=jwt, timeout=30)
    if name == "begin":
        with account["lock"]:
            campaign = account["fresh"].pop() if account["fresh"] else None
        if campaign is None:  # none left: count it as a campaign list
            return session.get(f"{base}/api/system/campaigns/", headers=jwt, timeout=30)
        return session.post(f"{base}/api/system/campaigns/{campaign}/begin/", json={}, headers=jwt, timeout=30)
    if name == "tling send":
        return session.post(
            f"{base}/api/v0/messages", json={"text": "hello", "to": ["+9779801234567"]}, headers=key, timeout=30
        )
    return session.get(f"{base}/api/v0/messages?page[size]=20", headers=key, timeout=30)


def _drive(base: str, accounts: list[dict], clients: int, seconds: float, mix) -> dict:
    samples: list[float] = []
    by_name: dict[str, list[float]] = {}
    errors: list[str] = []
    lock = threading.Lock()
    names = [name for _, name in mix]
    weights = [weight for weight, _ in mix]

    # One login per account before the clock starts (a client reuses its token, as
    # real ones do); logins in MIX are measured like any other request.
    tokens = [_login(requests.Session(), base, account) for account in accounts] if mix is not _HEALTH else []

    def client(index: int) -> None:
        rng = random.Random(index)  # noqa: S311 - a load mix, not a secret
        account = accounts[index % len(accounts)]
        session = requests.Session()
        token = tokens[index % len(accounts)] if tokens else ""
        mine, bad, named = [], [], []
        while time.monotonic() < stop_at:
            name = rng.choices(names, weights)[0]
            started = time.perf_counter()
            try:
                response = (
                    _request(session, base, name, account, token)
                    if name != "healthz"
                    else session.get(f"{base}/healthz", timeout=30)
                )
                if response.status_code >= 400:
                    bad.append(f"{name}: {response.status_code} {response.text[:200]}")
            except requests.RequestException as exc:
                bad.append(f"{name}: {exc}")
            mine.append(time.perf_counter() - started)
            named.append(name)
        with lock:
            samples.extend(mine)
            errors.extend(bad)
            for name, elapsed in zip(named, mine, strict=True):
                by_name.setdefault(name, []).append(elapsed)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    stop_at = time.monotonic() + seconds
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    quantiles = statistics.quantiles(samples, n=100, method="inclusive") if len(samples) > 1 else [0.0] * 99
    return {
        "requests": len(samples),
        "rps": len(samples) / elapsed,
        "p50": quantiles[49] * 1000,
        "p95": quantiles[94] * 1000,
        "p99": quantiles[98] * 1000,
        "errors": errors,
        "by_name": {name: (len(v), statistics.median(v) * 1000) for name, v in sorted(by_name.items())},
    }


_HEALTH = [(1, "healthz")]


def run(quick: bool, out) -> None:
    clients, seconds = (10, 10.0) if quick else (50, 60.0)
    measure(clients, seconds, out)


def _left(ids: list[int]) -> dict:
    """What the burst left: non-final messages and attempts, credits held, the
    largest ledger invariant gap."""
    connection.close()  # a fresh snapshot
    return {
        "messages": Message.objects.filter(owner_id__in=ids, status_rank__lt=FINAL_RANK).count(),
        "attempts": Attempt.objects.filter(run__owner_id__in=ids).exclude(status__in=Attempt.FINAL).count(),
        "on_hold": sum(User.objects.filter(pk__in=ids).values_list("credits_held", flat=True)),
        "ledger_gap": max(abs(ledger.invariant_gap(user_id=pk)) for pk in ids),
    }


def _settle(accounts: list[dict], wait: float) -> dict:
    """Poll what the burst left until it is all 0 or ``wait`` seconds passed."""
    ids = [account["user"].pk for account in accounts]
    started = time.monotonic()
    while True:
        left = _left(ids)
        if not any(left.values()) or time.monotonic() - started >= wait:
            return {**left, "after_s": time.monotonic() - started}
        time.sleep(1)


def measure(clients: int, seconds: float, out, *, settle: float = 60.0) -> dict:
    accounts = _seed(campaigns_each=100 if seconds <= 10 else 600)
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="bench-load-beat-") as beat_dir:
        server, worker, beat = _start(port, Path(beat_dir))
        base = f"http://127.0.0.1:{port}"
        try:
            mix = _drive(base, accounts, clients, seconds, MIX)
            left = _settle(accounts, settle)
            bare = _drive(base, accounts, clients, seconds, _HEALTH)
        finally:
            stop(server, worker, beat)
            _cleanup(accounts)
    out.write(f"load: {clients} clients x {seconds:.0f} s, gunicorn 2 workers + 1 Celery worker + beat on 127.0.0.1\n")
    for label, figures in (("mix", mix), ("/healthz baseline", bare)):
        out.write(
            f"  {label:18} {figures['requests']:6d} requests  {figures['rps']:7.1f} req/s  "
            f"p50 {figures['p50']:6.1f} ms  p95 {figures['p95']:6.1f} ms  p99 {figures['p99']:6.1f} ms  "
            f"errors {len(figures['errors'])}\n"
        )
    out.write(
        f"  ratio mix/baseline: throughput {mix['rps'] / bare['rps']:.2f}, "
        f"p50 {mix['p50'] / max(bare['p50'], 1e-6):.1f}x, p95 {mix['p95'] / max(bare['p95'], 1e-6):.1f}x\n"
    )
    out.write(
        "  mix by request (count, p50 ms): "
        + ", ".join(f"{name} {count} {p50:.0f}" for name, (count, p50) in mix["by_name"].items())
        + "\n"
    )
    out.write(
        f"  left after the burst ({left['after_s']:.0f} s, target all 0): non-final Tling messages "
        f"{left['messages']}, non-final attempts {left['attempts']}, on_hold {left['on_hold']}, "
        f"ledger invariant gap {left['ledger_gap']}\n"
    )
    for line in (mix["errors"] + bare["errors"])[:10]:
        out.write(f"  error: {line}\n")
    return {"mix": mix, "baseline": bare, "left": left}


def _cleanup(accounts: list[dict]) -> None:
    # The ledger is append-only (its rows protect the user), so the bench accounts
    # stay, deactivated, with their API keys revoked: they can no longer log in.
    connection.close()
    ids = [account["user"].pk for account in accounts]
    User.objects.filter(pk__in=ids).update(is_active=False)
    ApiKey.objects.filter(user_id__in=ids).delete()
