"""``GET /api/v0/messages`` against a bare DRF view, and API-key against JWT auth; the v1
campaign list and campaign-detail against the textbook DRF list of the same rows
(``ListAPIView`` + ``ModelSerializer`` + limit/offset paging; target ≤ 2×).

100,000 messages (quick: 2,000) with a four-entry timeline each in one account
(inserted in bulk, so the message tally is recounted once after the seed);
gunicorn (one sync worker, DEBUG off) on 127.0.0.1 serves the production URLs
plus two baseline views (bench/_api_urls.py, loaded only by this server). The
variants are requested round-robin so drift hits them alike; p50/p95 of each.
"filtered, counted" is informational (no target): a filter the message tally
cannot answer, so its total is counted.
"""

from __future__ import annotations

import http.client
import os
import socket
import statistics
import subprocess
import time
import uuid
from datetime import timedelta

from django.db import connection
from django.utils import timezone
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.api_keys import api_key_create
from accounts.models import User
from bench._serve import database_url, free_port, start_gunicorn, stop
from campaigns.models import Campaign, Recipient
from tling.models import Message, MessageEvent
from tling.services.tally import tally_rebuild

STATUSES = ["delivered"] * 7 + ["undelivered", "expired", "failed"]


def _seed(user: User, count: int) -> None:
    start = timezone.now() - timedelta(days=30)
    batch = uuid.uuid4()
    for offset in range(0, count, 5000):
        messages = []
        for i in range(offset, min(count, offset + 5000)):
            status = STATUSES[i % len(STATUSES)]
            messages.append(
                Message(
                    owner=user,
                    batch=batch,
                    phone_code="+977" if i % 4 else "+351",
                    phone_national=f"98{i:08d}",
                    text="hello",
                    segments=1,
                    credits=1,
                    billing="released" if status == "failed" else "charged",
                    status=status,
                    status_rank=4,
                    provider_id=f"SM{i}",
                )
            )
        Message.objects.bulk_create(messages)
        at = start + timedelta(days=30) * offset / count
        MessageEvent.objects.bulk_create(
            [
                MessageEvent(message=m, status=s, rank=r, occurred_at=at + timedelta(seconds=r))
                for m in messages
                for s, r in (("created", 0), ("queued", 1), ("sent", 3), (m.status, 4))
            ]
        )
    # Spread the messages evenly over the last 30 days (one UPDATE; auto_now_add
    # gave them all "now").
    step = 30 * 24 * 3600 / count
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "UPDATE tling_message SET created_at = %s + (CAST(substr(provider_id, 3) AS integer) * %s)"
                " * INTERVAL '1 second' WHERE owner_id = %s",
                [start, step, user.pk],
            )
            cursor.execute("UPDATE tling_message SET updated_at = created_at WHERE owner_id = %s", [user.pk])
            # What autovacuum does to a table in steady state: statistics for the
            # planner and the visibility map for index-only counts.
            cursor.execute("VACUUM ANALYZE tling_message")
            cursor.execute("VACUUM ANALYZE tling_messageevent")
    # Written around the services (bulk rows, then dates moved): recount the tally.
    tally_rebuild(owner_id=user.pk)


def _seed_campaigns(user: User, count: int, contacts: int) -> int:
    """``count`` campaigns of 5 recipients and one of ``contacts`` (its id is returned)."""
    campaigns = Campaign.objects.bulk_create(
        [Campaign(owner=user, name=f"Bench {i}", services="SMS", sms_message="hello") for i in range(count)]
    )
    Recipient.objects.bulk_create(
        [Recipient(campaign=c, number=f"+97798410{i:05d}") for c in campaigns for i in range(5)], batch_size=5000
    )
    big = Campaign.objects.create(owner=user, name="Bench detail", services="PHONE", message="hello")
    Recipient.objects.bulk_create(
        [
            Recipient(campaign=big, number=f"+9779{8 if i % 3 else 6}1{i:07d}", tags={"tags_name": "Ram"})
            for i in range(contacts)
        ],
        batch_size=5000,
    )
    return big.pk


def _get(port: int, path: str, headers: dict) -> float:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    started = time.perf_counter()
    conn.request("GET", path, headers=headers)
    response = conn.getresponse()
    body = response.read()
    elapsed = time.perf_counter() - started
    conn.close()
    if response.status != 200:
        raise RuntimeError(f"{path}: {response.status} {body[:300]!r}")
    return elapsed


def _start_server(port: int) -> subprocess.Popen:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench._api_settings",
        "DATABASE_URL": database_url(),
        "DEBUG": "0",
        "TINGTING_DEV": "1",
        "SECURE_SSL_REDIRECT": "0",
        "LOG_LEVEL": "WARNING",
    }
    proc = start_gunicorn(port, workers=1, env=env, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"gunicorn exited: {proc.stderr.read().decode(errors='replace')[-2000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return proc
        except OSError:
            time.sleep(0.2)
    stop(proc)
    raise RuntimeError("gunicorn did not start")


def _pct(samples: list[float], q: float) -> float:
    return statistics.quantiles(samples, n=100, method="inclusive")[int(q) - 1] * 1000


def run(quick: bool, out) -> None:
    count, rounds = (2_000, 40) if quick else (100_000, 300)
    user = User.objects.create_user(email=f"bench-api-{time.time_ns()}@bench.local", password=None)
    _, raw_key = api_key_create(user=user, name="bench")
    jwt = str(RefreshToken.for_user(user).access_token)
    seeded = time.perf_counter()
    _seed(user, count)
    detail_id = _seed_campaigns(user, *((50, 1_000) if quick else (500, 20_000)))
    seeded = time.perf_counter() - seeded
    since = (timezone.now() - timedelta(days=20)).date().isoformat()
    key = {"X-API-Key": raw_key}
    bearer = {"Authorization": f"Bearer {jwt}"}
    variants = {
        "tling sorted+filtered": (
            "/api/v0/messages?page[size]=100&sort=-createdAt&status=delivered"
            f"&filter[phoneCode]=%2B977&filter[createdAt][gte]={since}",
            key,
        ),
        "tling sorted": ("/api/v0/messages?page[size]=100&sort=-createdAt", key),
        # A createdAt with a time of day: the total is a COUNT (index-only), not the tally.
        "tling filtered, counted": (
            "/api/v0/messages?page[size]=100&sort=-createdAt&status=delivered"
            f"&filter[phoneCode]=%2B977&filter[createdAt][gte]={since}T12:00:00Z",
            key,
        ),
        "bare view (key)": ("/bench/bare-key", key),
        "bare view (jwt)": ("/bench/bare-jwt", bearer),
        "v1 campaign list": ("/api/v1/campaign/?limit=100", bearer),
        "bare campaigns (jwt)": ("/bench/bare-campaigns?limit=100", bearer),
        "v1 campaign-detail": (f"/api/v1/campaign-detail/{detail_id}/?limit=100", bearer),
        "bare recipients (jwt)": (f"/bench/bare-recipients/{detail_id}?limit=100", bearer),
    }
    # Each v1 variant against the bare view of the same rows.
    baselines = {"v1 campaign list": "bare campaigns (jwt)", "v1 campaign-detail": "bare recipients (jwt)"}
    port = free_port()
    server = _start_server(port)
    try:
        samples: dict[str, list[float]] = {name: [] for name in variants}
        for index in range(rounds + 10):
            for name, (path, headers) in variants.items():
                elapsed = _get(port, path, headers)
                if index >= 10:  # warm-up
                    samples[name].append(elapsed)
    finally:
        stop(server)
        Recipient.objects.filter(campaign__owner=user).delete()
        Campaign.objects.filter(owner=user).delete()
        MessageEvent.objects.filter(message__owner=user).delete()
        Message.objects.filter(owner=user).delete()
        user.delete()
    p50 = {name: _pct(s, 50) for name, s in samples.items()}
    p95 = {name: _pct(s, 95) for name, s in samples.items()}
    base50, base95 = p50["bare view (key)"], p95["bare view (key)"]
    out.write(f"api: {count:,} messages seeded in {seeded:.1f}s; {rounds} requests per variant via gunicorn\n")
    for name in variants:
        if name in baselines:
            bare = baselines[name]
            out.write(
                f"  {name:24s} p50 {p50[name]:7.2f} ms  p95 {p95[name]:7.2f} ms  "
                f"ratio p50 {p50[name] / p50[bare]:.2f}x  p95 {p95[name] / p95[bare]:.2f}x {bare} (target <= 2x)\n"
            )
            continue
        out.write(
            f"  {name:24s} p50 {p50[name]:7.2f} ms  p95 {p95[name]:7.2f} ms  "
            f"ratio p50 {p50[name] / base50:.2f}x  p95 {p95[name] / base95:.2f}x the bare key view\n"
        )
    out.write(
        f"  auth: API key vs JWT on the bare view, ratio p50 {base50 / p50['bare view (jwt)']:.2f}x"
        f"  p95 {base95 / p95['bare view (jwt)']:.2f}x\n"
    )
