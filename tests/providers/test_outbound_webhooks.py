"""Status webhooks to the client: outbox, signature, retries, sequence numbers, SSRF guard."""

import hashlib
import hmac
import json
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.db import connection, transaction
from django.utils import timezone

from accounts.models import AccountSettings
from accounts.services import account_settings_update
from tests.support.broker import broker_down
from tests.support.workers import running_worker, wait_until
from tingting.models import WebhookEvent
from tingting.outbound_webhooks import backoff_seconds, webhook_deliver, webhook_emit, webhook_sweep


# The recipe of docs/campaigns.md "Status webhooks to clients" (same lines): what a client writes to check our signature.
def verify_tingting_webhook(secret: str, headers: dict, body: bytes, tolerance: int = 300) -> bool:
    import hashlib
    import hmac
    import time

    parts = dict(item.split("=", 1) for item in headers["X-Tingting-Signature"].split(","))
    timestamp = int(parts["t"])
    if abs(time.time() - timestamp) > tolerance:
        return False  # too old: a replay
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, parts["v1"])


class Receiver:
    """A client's webhook endpoint on 127.0.0.1 that records requests and answers scripted statuses."""

    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.statuses: list[int] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                receiver.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(status)
                if status in (301, 302, 307):
                    self.send_header("Location", "/elsewhere")
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hooks/tingting?x=1"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.close()


@pytest.fixture
def hooked(user, receiver, settings):
    """The user's webhook points at the local receiver (private addresses allowed by the operator)."""
    settings.WEBHOOK_ALLOW_PRIVATE = True
    _, secret = account_settings_update(user=user, data={"webhook_url": receiver.url})
    return secret


def _emit(user, object_id=7, event="recipient.outcome", **payload):
    return webhook_emit(
        user=user, event=event, object_type="recipient", object_id=object_id, payload=payload or {"status": "completed"}
    )


@pytest.mark.django_db
def test_nothing_is_queued_without_a_webhook_url(user):
    assert _emit(user) is None
    assert not WebhookEvent.objects.exists()


@pytest.mark.django_db
def test_delivery_is_signed_and_verifiable_with_the_readme_recipe(user, receiver, hooked):
    row = _emit(user, status="completed", duration=12)
    assert webhook_deliver(pk=row.pk) == "delivered"
    [request] = receiver.requests
    assert request["path"] == "/hooks/tingting?x=1"
    headers = request["headers"]
    assert headers["Content-Type"] == "application/json"
    assert headers["X-Tingting-Event-Id"] == str(row.event_id)
    assert headers["X-Tingting-Event"] == "recipient.outcome"
    assert headers["X-Tingting-Sequence"] == "1"
    assert abs(int(headers["X-Tingting-Timestamp"]) - time.time()) < 5
    assert verify_tingting_webhook(hooked, headers, request["body"])
    assert not verify_tingting_webhook("another-secret-0123456789", headers, request["body"])
    assert not verify_tingting_webhook(hooked, headers, request["body"].replace(b"12", b"13"))
    body = json.loads(request["body"])
    assert list(body) == ["id", "event", "created_at", "object", "data"]
    assert body["id"] == str(row.event_id) and body["event"] == "recipient.outcome"
    assert body["object"] == {"type": "recipient", "id": "7", "sequence": 1}
    assert body["data"] == {"status": "completed", "duration": 12}
    row.refresh_from_db()
    assert (row.status, row.attempts, row.last_status_code) == ("delivered", 1, 200)
    # A repeat (a task run twice) sends nothing more.
    assert webhook_deliver(pk=row.pk) == "skipped"
    assert len(receiver.requests) == 1


def test_an_old_signature_is_refused_by_the_recipe():
    body = b'{"id":"x"}'
    old = int(time.time()) - 3600
    signature = f"t={old},v1=" + hmac.new(b"s" * 20, f"{old}.".encode() + body, hashlib.sha256).hexdigest()
    assert not verify_tingting_webhook("s" * 20, {"X-Tingting-Signature": signature}, body)


@pytest.mark.django_db
def test_500_is_retried_with_backoff_then_delivered(user, receiver, hooked):
    receiver.statuses = [500, 503]
    row = _emit(user)
    assert webhook_deliver(pk=row.pk) == "retry"
    row.refresh_from_db()
    assert (row.status, row.attempts, row.last_status_code, row.last_error) == ("pending", 1, 500, "HTTP 500")
    assert 25 <= (row.next_attempt_at - timezone.now()).total_seconds() <= 31
    assert webhook_deliver(pk=row.pk) == "skipped"  # not due yet
    WebhookEvent.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now())
    assert webhook_deliver(pk=row.pk) == "retry"
    row.refresh_from_db()
    assert row.attempts == 2 and 55 <= (row.next_attempt_at - timezone.now()).total_seconds() <= 61
    WebhookEvent.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now())
    assert webhook_deliver(pk=row.pk) == "delivered"
    bodies = {r["body"] for r in receiver.requests}
    assert len(receiver.requests) == 3 and len(bodies) == 1  # the same event, byte for byte
    assert len({r["headers"]["X-Tingting-Event-Id"] for r in receiver.requests}) == 1


def test_backoff_doubles_and_is_capped_at_an_hour():
    assert [backoff_seconds(n) for n in (1, 2, 3, 4)] == [30, 60, 120, 240]
    assert backoff_seconds(8) == 3600 and backoff_seconds(30) == 3600


@pytest.mark.django_db
def test_gives_up_after_24_hours(user, receiver, hooked):
    receiver.statuses = [500]
    row = _emit(user)
    WebhookEvent.objects.filter(pk=row.pk).update(
        created_at=timezone.now() - timedelta(hours=23, minutes=59, seconds=50)
    )
    assert webhook_deliver(pk=row.pk) == "failed"
    row.refresh_from_db()
    assert row.status == "failed" and row.last_status_code == 500


@pytest.mark.django_db
def test_redirects_are_not_followed(user, receiver, hooked):
    receiver.statuses = [302]
    row = _emit(user)
    assert webhook_deliver(pk=row.pk) == "retry"
    assert [r["path"] for r in receiver.requests] == ["/hooks/tingting?x=1"]
    row.refresh_from_db()
    assert row.last_status_code == 302


@pytest.mark.django_db
def test_private_target_is_refused_at_send_time_when_not_allowed(user, receiver, hooked, settings):
    row = _emit(user)
    settings.WEBHOOK_ALLOW_PRIVATE = False  # e.g. the name now resolves to 127.0.0.1 (DNS rebinding)
    assert webhook_deliver(pk=row.pk) == "retry"
    assert receiver.requests == []
    row.refresh_from_db()
    assert row.last_error.startswith("refused:") and "127.0.0.1" in row.last_error


@pytest.mark.django_db
def test_non_http_scheme_is_refused_at_send_time(user, hooked, receiver):
    row = _emit(user)
    AccountSettings.objects.filter(user=user).update(webhook_url="file:///etc/passwd")
    assert webhook_deliver(pk=row.pk) == "retry"
    row.refresh_from_db()
    assert "http and https" in row.last_error


@pytest.mark.django_db
def test_sequences_count_per_object(user, other_user, hooked, settings):
    account_settings_update(user=other_user, data={"webhook_url": "http://127.0.0.1:9/"})
    assert [_emit(user, object_id=1).sequence for _ in range(3)] == [1, 2, 3]
    assert _emit(user, object_id=2).sequence == 1
    assert webhook_emit(user=user, event="message.status", object_type="message", object_id=1, payload={}).sequence == 1
    assert _emit(other_user, object_id=1).sequence == 1
    assert len(set(WebhookEvent.objects.values_list("event_id", flat=True))) == 6


@pytest.mark.django_db(transaction=True)
def test_concurrent_emits_get_distinct_consecutive_sequences(user, settings):
    settings.WEBHOOK_ALLOW_PRIVATE = True
    account_settings_update(user=user, data={"webhook_url": "http://127.0.0.1:9/"})
    errors = []

    def emit_some():
        try:
            for _ in range(10):
                _emit(user, object_id=99)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=emit_some) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    sequences = sorted(WebhookEvent.objects.filter(object_id="99").values_list("sequence", flat=True))
    assert sequences == list(range(1, 61))


@pytest.mark.django_db(transaction=True)
def test_worker_delivers_after_commit_and_the_sweep_retries(user, receiver, settings, purge_broker):
    settings.WEBHOOK_ALLOW_PRIVATE = True
    _, secret = account_settings_update(user=user, data={"webhook_url": receiver.url})
    receiver.statuses = [500]
    with running_worker(env={"WEBHOOK_ALLOW_PRIVATE": "1"}):
        first = _emit(user, object_id=5, status="ringing")
        second = _emit(user, object_id=5, status="completed")
        wait_until(lambda: len(receiver.requests) >= 2, timeout=30, message="two deliveries")
        WebhookEvent.objects.filter(status="pending").update(next_attempt_at=timezone.now())
        assert webhook_sweep() == 1
        wait_until(lambda: not WebhookEvent.objects.filter(status="pending").exists(), timeout=30, message="the retry")
    assert {r.pk: r.status for r in WebhookEvent.objects.all()} == {first.pk: "delivered", second.pk: "delivered"}
    assert len(receiver.requests) == 3
    for request in receiver.requests:
        assert verify_tingting_webhook(secret, request["headers"], request["body"])
    delivered = sorted(json.loads(r["body"])["object"]["sequence"] for r in receiver.requests[-2:])
    assert set(delivered) <= {1, 2}


@pytest.mark.django_db(transaction=True)
def test_an_event_committed_while_the_broker_is_down_is_not_an_error_and_the_sweep_sends_it(
    user, receiver, hooked, purge_broker
):
    # The event is written in the caller's transaction (an outcome, a status callback):
    # a broker error after that commit must not reach the caller, whose write stands.
    with broker_down(), transaction.atomic():
        event = _emit(user, object_id=9)
    assert WebhookEvent.objects.get(pk=event.pk).status == "pending"
    with running_worker(env={"WEBHOOK_ALLOW_PRIVATE": "1"}):
        assert webhook_sweep() == 1
        wait_until(lambda: receiver.requests, timeout=30, message="the delivery")
    assert WebhookEvent.objects.get(pk=event.pk).status == "delivered"
