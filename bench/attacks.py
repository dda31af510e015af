"""Replays issue 18's attacks against the running server and prints each answer.

The same processes as ``bench load`` (gunicorn with 2 workers and ``DEBUG=0``, a
Celery worker and beat, on 127.0.0.1 with this database and broker), but with the
login throttles as configured: the throttle attacks are part of the replay. Each
line names the defect, what was sent and what came back, and ``held`` when the
answer is the one issue 18 asks for. Not a test (the tests named in
docs/guardrails.md are); a check of the deployed shape. Accounts it creates are
deactivated afterwards, as ``bench load`` leaves its own.
"""

from __future__ import annotations

import io
import random
import re
import tempfile
import threading
import time
import zipfile
from collections import Counter
from functools import partial
from pathlib import Path

import requests
import xlsxwriter
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.db import connection

from accounts import ledger
from accounts.api_keys import api_key_create
from accounts.models import ApiKey, User
from bench import load
from bench._serve import free_port, stop
from campaigns.models import Campaign
from tingting.models import IdempotencyRecord
from tling.models import FINAL_RANK, Message

PASSWORD = "attack-replay-password-1"  # noqa: S105 - throwaway accounts


def _env() -> dict:
    env = load._env()
    # The per-email throttle's shipped count (10) over an hour instead of a minute: the
    # attacks are against the count, and on a loaded machine 15 admin logins (a page and
    # a post each) can outlast one minute, so the oldest would leave the window and the
    # replay would measure the machine, not the throttle. Every request comes from
    # 127.0.0.1, so the per-IP one stays raised as bench load has it.
    env["THROTTLE_LOGIN_EMAIL"] = "10/h"
    return env


def _account(stamp: int, name: str, *, is_staff: bool = False, email: str | None = None) -> dict:
    user = User.objects.create_user(email=email or f"attack-{stamp}-{name}@bench.local", password=None)
    user.password = PBKDF2PasswordHasher().encode(PASSWORD, PBKDF2PasswordHasher().salt())
    user.is_staff = user.is_superuser = is_staff
    user.save(update_fields=["password", "is_staff", "is_superuser"])
    ledger.top_up(user_id=user.pk, amount=1_000_000, idempotency_key=f"attack-{stamp}-{name}")
    _, key = api_key_create(user=user, name="attack")
    return {"user": user, "email": user.email, "key": key}


class Replay:
    def __init__(self, base: str, out) -> None:
        self.base = base
        self.out = out
        self.rows: list[tuple[str, str, bool]] = []

    def url(self, path: str) -> str:
        return self.base + path

    def login(self, email: str, password: str = PASSWORD) -> requests.Response:
        return requests.post(self.url("/api/accounts/login/"), json={"email": email, "password": password}, timeout=30)

    def jwt(self, account: dict) -> dict:
        if "jwt" not in account:
            token = self.login(account["email"]).json()["data"]["token"]["access"]
            account["jwt"] = {"Authorization": f"Bearer {token}"}
        return account["jwt"]

    def report(self, defect: str, answer: str, held: bool) -> None:
        self.rows.append((defect, answer, held))
        self.out.write(f"  {'held  ' if held else 'BROKEN'} {defect}: {answer}\n")


def _code(response: requests.Response) -> str:
    """The error code of either face's answer ("" when it has none)."""
    try:
        body = response.json()
    except ValueError:
        return ""
    if not isinstance(body, dict):
        return ""
    errors = body.get("errors") or [{}]
    return str(body.get("code") or (errors[0].get("code", "") if isinstance(errors[0], dict) else ""))


def _codes(responses) -> str:
    return ", ".join(f"{code}×{n}" for code, n in sorted(Counter(responses).items()))


def _parallel(count: int, call) -> list[int]:
    results: list[int] = []
    lock = threading.Lock()

    def run(index: int) -> None:
        try:
            status = call(index)
        except requests.RequestException as exc:
            status = f"{type(exc).__name__}"
        with lock:
            results.append(status)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def defect_1_concurrent_sends(r: Replay, account: dict, *, threads: int = 8, each: int = 40) -> None:
    key = {"X-API-Key": account["key"]}

    def sender(index: int) -> list[int]:
        session = requests.Session()
        return [
            session.post(
                r.url("/api/v0/messages"), json={"text": "hi", "to": ["+9779801234567"]}, headers=key, timeout=60
            ).status_code
            for _ in range(each)
        ]

    statuses: list[int] = []
    lock = threading.Lock()

    def run(index: int) -> None:
        got = sender(index)
        with lock:
            statuses.extend(got)

    workers = [threading.Thread(target=run, args=(i,)) for i in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    user = account["user"]
    deadline = time.monotonic() + 90
    while True:
        connection.close()
        left = Message.objects.filter(owner=user, status_rank__lt=FINAL_RANK).count()
        held = User.objects.get(pk=user.pk).credits_held
        if (not left and not held) or time.monotonic() > deadline:
            break
        time.sleep(1)
    gap = ledger.invariant_gap(user_id=user.pk)
    r.report(
        f"1 deadlock: {threads} threads x {each} POST /api/v0/messages",
        f"{_codes(statuses)}; non-final {left}, on_hold {held}, ledger gap {gap}",
        set(statuses) == {204} and not left and not held and not gap,
    )


def defect_2_look_alike(r: Replay, stamp: int) -> None:
    alice = _account(stamp, "alice", email=f"alice-{stamp}@bench.local")["email"]
    dotless = r.login(alice.replace("alice", "al\u0131ce"))  # ı: PostgreSQL's UPPER() folds it to I
    sam = _account(stamp, "sam", email=f"sam-{stamp}@bench.local")["email"]
    wrong = [r.login(sam, "wrong").status_code for _ in range(10)]
    long_s = r.login(sam.replace("sam", "\u017fam"))  # ſ casefolds to s: the same bucket
    r.report(
        "2 look-alike login: alıce@… with the right password; ſam@… after 10 wrong for sam@…",
        f"alıce → {dotless.status_code}; wrong {_codes(wrong)}; ſam right password → {long_s.status_code}",
        dotless.status_code != 200 and long_s.status_code == 429,
    )


def defect_3_admin_login(r: Replay, stamp: int) -> None:
    staff = _account(stamp, "staff", is_staff=True)
    session = requests.Session()
    https = {"X-Forwarded-Proto": "https", "Referer": r.url("/admin/login/").replace("http:", "https:")}

    def post(password: str) -> requests.Response:
        page = session.get(r.url("/admin/login/"), headers=https, timeout=30)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
        cookies = "; ".join(f"{c.name}={c.value}" for c in session.cookies)
        return session.post(
            r.url("/admin/login/"),
            data={
                "username": staff["email"],
                "password": password,
                "next": "/admin/",
                "csrfmiddlewaretoken": token.group(1) if token else "",
            },
            headers={**https, "Cookie": cookies},
            allow_redirects=False,
            timeout=30,
        )

    wrong = [post("wrong").status_code for _ in range(15)]
    right = post(PASSWORD)
    refused = right.status_code == 200 and "Too many login attempts" in right.text
    r.report(
        "3 /admin/login/: 15 wrong staff passwords, then the right one",
        f"wrong {_codes(wrong)}; right → {right.status_code}{' too many attempts' if refused else ''}",
        refused,
    )


def defect_4_shared_strings(r: Replay, account: dict) -> None:
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out)
    sheet = book.add_worksheet()
    sheet.write_string(0, 0, "number")
    sheet.write_string(1, 0, "9841000001")
    book.close()
    rnd = random.Random(7)
    block = "".join(
        "<si><t>" + "".join("a" * 90 + rnd.choice("bcdefghijk") for _ in range(10)) + "</t></si>" for _ in range(64)
    ).encode()
    head = (
        b'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    )
    strings = head + b"<si><t>number</t></si><si><t>9841000001</t></si>" + block * (40 * 1024 * 1024 // len(block))
    strings += b"</sst>"
    source = zipfile.ZipFile(io.BytesIO(out.getvalue()))
    amplified = io.BytesIO()
    with zipfile.ZipFile(amplified, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = strings if item.filename == "xl/sharedStrings.xml" else source.read(item.filename)
            target.writestr(item.filename, data)
    upload = amplified.getvalue()
    response = requests.post(
        r.url("/api/system/campaigns"),
        data={"name": "Amplified", "services": "SMS"},
        files={"send_to_number_file": ("a.xlsx", upload)},
        headers=r.jwt(account),
        timeout=120,
    )
    code = _code(response)
    r.report(
        f"4 xlsx shared strings: {len(upload) / 1e6:.1f} MB upload inflating to {len(strings) / 1e6:.0f} MB",
        f"{response.status_code} {code}",
        response.status_code == 413 and code == "too_many_strings",
    )


def defect_5_idempotent_key(r: Replay, account: dict) -> None:
    headers = {**r.jwt(account), "Idempotency-Key": f"attack-{time.time_ns()}"}
    first = requests.post(r.url("/api/accounts/api-keys/"), json={"name": "k"}, headers=headers, timeout=30)
    again = requests.post(r.url("/api/accounts/api-keys/"), json={"name": "k"}, headers=headers, timeout=30)
    raw = first.json()["data"]["key"]
    connection.close()
    stored = IdempotencyRecord.objects.filter(user=account["user"], key=headers["Idempotency-Key"]).first()
    leaked = stored is not None and raw in str(stored.response_body)
    r.report(
        "5 API key with Idempotency-Key, replayed",
        f"{first.status_code}/{again.status_code}; replay key {again.json()['data']['key']!r}; stored key {leaked}",
        again.json()["data"]["key"] is None and not leaked,
    )


def defect_6_nul_filter(r: Replay, account: dict) -> None:
    key = {"X-API-Key": account["key"]}
    statuses = []
    lists = (("contacts", "name"), ("lists", "name"), ("messages", "phoneNumber"), ("schedule/message", "name"))
    for path, field in lists:
        for op in ("eq", "ne", "like"):
            statuses.append(
                requests.get(r.url(f"/api/v0/{path}?filter[{field}][{op}]=a%00b"), headers=key, timeout=30).status_code
            )
    r.report("6 NUL in Tling filters (4 lists × eq/ne/like)", _codes(statuses), set(statuses) == {400})


def defect_7_deep_json(r: Replay, account: dict) -> None:
    body = "[" * 1000 + "]" * 1000
    paths = ["/api/accounts/login/", "/api/accounts/token/refresh/", "/api/v0/messages"]
    statuses = [
        requests.post(
            r.url(p), data=body, headers={"Content-Type": "application/json", "X-API-Key": account["key"]}, timeout=30
        ).status_code
        for p in paths
    ]
    r.report("7 JSON nested 1,000 deep (login, refresh, Tling send)", _codes(statuses), set(statuses) == {400})


def _id(response: requests.Response):
    body = response.json()
    data = body.get("data", body) if isinstance(body, dict) else {}
    return data.get("id") if isinstance(data, dict) else None


def _race(*calls) -> list:
    """Run the zero-argument request ``calls`` at once; their status codes."""
    return _parallel(len(calls), lambda index: calls[index]().status_code)


def defect_8_update_vs_delete(r: Replay, account: dict, *, rounds: int = 25) -> None:
    headers = r.jwt(account)
    key = {"X-API-Key": account["key"]}
    campaign_statuses: list = []
    contact_statuses: list = []
    for round_ in range(rounds):
        made = Campaign.objects.create(owner=account["user"], name=f"race {round_}", services=Campaign.Services.SMS)
        campaign = r.url(f"/api/system/campaigns/{made.pk}")
        campaign_statuses += _race(
            partial(requests.put, f"{campaign}/update", json={"name": "renamed"}, headers=headers, timeout=30),
            partial(requests.delete, f"{campaign}/delete/", headers=headers, timeout=30),
        )
        made = requests.post(
            r.url("/api/v0/contacts"),
            json={"name": "c", "phoneNumber": f"+97798410{round_:05d}"},
            headers=key,
            timeout=30,
        )
        if made.status_code < 300:
            contact = r.url(f"/api/v0/contacts/{_id(made)}")
            contact_statuses += _race(
                partial(requests.patch, contact, json={"name": "d"}, headers=key, timeout=30),
                partial(requests.delete, contact, headers=key, timeout=30),
            )
        elif not contact_statuses:
            contact_statuses.append(f"create {made.status_code}")
    r.report(
        f"8 update racing delete, {rounds} rounds (campaign PUT/DELETE; Tling contact PATCH/DELETE)",
        f"campaign {_codes(campaign_statuses)}; contact {_codes(contact_statuses)}",
        500 not in campaign_statuses + contact_statuses and all(isinstance(c, int) for c in contact_statuses),
    )


def defect_9_page_overflow(r: Replay, account: dict) -> None:
    response = requests.get(r.url("/api/system/dnc/?page=99999999999999999999"), headers=r.jwt(account), timeout=30)
    r.report(
        "9 GET /api/system/dnc/?page=99999999999999999999",
        f"{response.status_code} {_code(response)}",
        response.status_code == 404,
    )


def defect_10_refresh_after_password_change(r: Replay, stamp: int) -> None:
    account = _account(stamp, "refresh")
    refresh = r.login(account["email"]).json()["data"]["token"]["refresh"]
    user = User.objects.get(pk=account["user"].pk)
    user.password = PBKDF2PasswordHasher().encode("a changed password 9", PBKDF2PasswordHasher().salt())
    user.save(update_fields=["password"])
    response = requests.post(r.url("/api/accounts/token/refresh/"), json={"refresh": refresh}, timeout=30)
    r.report(
        "10 refresh after a password change",
        f"{response.status_code} {_code(response)}",
        response.status_code == 401 and _code(response) == "password_changed",
    )


def audit_twilio_signature(r: Replay) -> None:
    response = requests.post(
        r.url("/webhooks/twilio/sms/?ref=tmsg:x"),
        data={"MessageStatus": "delivered"},
        headers={"X-Twilio-Signature": "\u00e9t\u00e9".encode().decode("latin-1")},
        timeout=30,
    )
    r.report("audit: non-ASCII X-Twilio-Signature", str(response.status_code), response.status_code == 403)


def audit_webhook_port(r: Replay, account: dict) -> None:
    response = requests.put(
        r.url("/api/accounts/settings"),
        json={"webhook_url": "https://93.184.215.14:8081/hook"},
        headers=r.jwt(account),
        timeout=30,
    )
    code = _code(response)
    r.report("audit: webhook URL on port 8081", f"{response.status_code} {code}", code == "port_not_allowed")


def run(quick: bool, out) -> dict[str, bool]:
    """Replay every attack (quick: fewer sends and race rounds); each answer is
    printed, and returned as {defect: held}."""
    stamp = time.time_ns()
    accounts = [_account(stamp, name) for name in ("sender", "main")]
    sender, main = accounts
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="bench-attacks-beat-") as beat_dir:
        server, worker, beat = load._start(port, Path(beat_dir), env=_env())
        replay = Replay(f"http://127.0.0.1:{port}", out)
        out.write("attack replay: gunicorn 2 workers (DEBUG=0) + Celery worker + beat on 127.0.0.1\n")
        try:
            defect_1_concurrent_sends(replay, sender, **({"threads": 4, "each": 10} if quick else {}))
            defect_2_look_alike(replay, stamp)
            defect_3_admin_login(replay, stamp)
            defect_4_shared_strings(replay, main)
            defect_5_idempotent_key(replay, main)
            defect_6_nul_filter(replay, main)
            defect_7_deep_json(replay, main)
            defect_8_update_vs_delete(replay, main, rounds=5 if quick else 25)
            defect_9_page_overflow(replay, main)
            defect_10_refresh_after_password_change(replay, stamp)
            audit_twilio_signature(replay)
            audit_webhook_port(replay, main)
        finally:
            stop(server, worker, beat)
            connection.close()
            ids = list(User.objects.filter(email__contains=f"-{stamp}").values_list("pk", flat=True))
            User.objects.filter(pk__in=ids).update(is_active=False)
            ApiKey.objects.filter(user_id__in=ids).delete()
    held = sum(1 for *_, ok in replay.rows if ok)
    out.write(f"  {held} of {len(replay.rows)} held\n")
    return {defect: ok for defect, _, ok in replay.rows}
