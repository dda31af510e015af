"""Status webhooks to clients (docs/api/API_CONTRACT.md §7): outbox, signature, delivery, retries.

``webhook_emit`` writes a ``WebhookEvent`` row in the caller's transaction and
publishes its delivery after commit. The delivery task claims the row with a
conditional UPDATE (a second run finds nothing to do), POSTs the stored body
and records the answer: 2xx is delivered; anything else (including a redirect,
which is never followed, a timeout or a refused address) is retried with
exponential backoff (30 s, 1 min, 2 min ... capped at 1 h per step) until
``WEBHOOK_RETRY_HOURS`` (24) after the event, then marked failed. The database
holds the schedule; the ``tingting.webhook_sweep`` beat task publishes what is
due, so nothing waits in a long countdown.

Signature (docs/campaigns.md "Status webhooks to clients" has the client's recipe)::

    X-Tingting-Timestamp: 1718000000
    X-Tingting-Signature: t=1718000000,v1=<hex HMAC-SHA256(secret, "1718000000." + raw body)>

The timestamp is part of the signed material, so a captured request cannot be
replayed later with a new timestamp; clients reject timestamps older than a few
minutes and de-duplicate on ``X-Tingting-Event-Id``.

SSRF: the URL is checked when the client sets it and again at every attempt
(``tingting.netguard``); the connection goes to the address that was checked.

The account's URL and secret live in ``accounts``; the kernel imports no app, so
``accounts`` registers the lookup (``register_target_resolver``, in its
``ready()``), as apps register report handlers with ``tingting.providers.reports``.
``webhook_subscribers`` / ``webhook_wanted`` are the one answer to "does this
account want status webhooks" for every app that emits them.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import ssl
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta

import urllib3
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from tingting import netguard
from tingting.models import WebhookEvent, WebhookSequence
from tingting.publish import task_publish, task_publish_after_commit

logger = logging.getLogger(__name__)

BACKOFF_FIRST_SECONDS = 30
BACKOFF_MAX_SECONDS = 3600
SWEEP_BATCH = 500
MAX_RESPONSE_BYTES = 64 * 1024
USER_AGENT = "tingting-webhooks/1"
DELIVER_TASK = "tingting.webhook_deliver"


@dataclass(frozen=True)
class WebhookTarget:
    """Where and how one account's status webhooks go. ``secret`` may still be
    empty (the account set a URL, the secret is generated with it)."""

    url: str
    secret: str


# user ids → the targets of those that set a webhook URL (one query). Registered by accounts.
TargetResolver = Callable[[Iterable[int]], dict[int, WebhookTarget]]
_resolver: TargetResolver | None = None


def register_target_resolver(resolver: TargetResolver) -> None:
    global _resolver
    _resolver = resolver


def _targets(user_ids: Iterable[int]) -> dict[int, WebhookTarget]:
    if _resolver is None:
        raise RuntimeError("No webhook target resolver registered (accounts registers it in ready()).")
    ids = {user_id for user_id in user_ids if user_id}
    return _resolver(ids) if ids else {}


def webhook_subscribers(user_ids: Iterable[int]) -> set[int]:
    """The accounts among ``user_ids`` that want status webhooks (they set a URL). One query."""
    return set(_targets(user_ids))


def webhook_wanted(*, user_id: int | None) -> bool:
    """Whether the account wants status webhooks; False for no account."""
    return bool(user_id) and user_id in webhook_subscribers([user_id])


def webhook_sign(*, secret: str, timestamp: int, body: bytes) -> str:
    """The ``X-Tingting-Signature`` value for ``body`` sent at ``timestamp``."""
    digest = hmac.new(secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def _next_sequence(*, user_id: int, object_type: str, object_id: str) -> int:
    """Increment and return the object's counter. The upsert locks the counter row
    until the caller's transaction ends, so numbers follow commit order."""
    table = connection.ops.quote_name(WebhookSequence._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (user_id, object_type, object_id, value) VALUES (%s, %s, %s, 1) "  # noqa: S608
            f"ON CONFLICT (user_id, object_type, object_id) DO UPDATE SET value = {table}.value + 1 "
            "RETURNING value",
            [user_id, object_type, object_id],
        )
        return int(cursor.fetchone()[0])


def webhook_emit(*, user, event: str, object_type: str, object_id: object, payload: dict) -> WebhookEvent | None:
    """Queue one status webhook for ``user``; None when the account has no webhook URL.

    Call it inside the transaction that makes the change it reports: the row
    commits with it and the delivery is published after commit. Each call is a
    new event (its own event id and the object's next sequence number)."""
    if not webhook_wanted(user_id=user.pk):
        return None
    object_id = str(object_id)
    now = timezone.now()
    with transaction.atomic():
        sequence = _next_sequence(user_id=user.pk, object_type=object_type, object_id=object_id)
        event_id = uuid.uuid4()
        body = json.dumps(
            {
                "id": str(event_id),
                "event": event,
                "created_at": now.isoformat(),
                "object": {"type": object_type, "id": object_id, "sequence": sequence},
                "data": payload,
            },
            cls=DjangoJSONEncoder,
            separators=(",", ":"),
            ensure_ascii=False,
        )
        row = WebhookEvent.objects.create(
            event_id=event_id,
            user_id=user.pk,
            event=event,
            object_type=object_type,
            object_id=object_id,
            sequence=sequence,
            body=body,
            next_attempt_at=now,
        )
        # robust: the caller's write stands; webhook_sweep publishes what the broker missed.
        task_publish_after_commit(DELIVER_TASK, [row.pk], robust=True)
    return row


def backoff_seconds(attempts: int) -> int:
    """Wait after the ``attempts``-th failed attempt: 30 s, 60 s, 120 s ... at most 1 h."""
    return min(BACKOFF_MAX_SECONDS, BACKOFF_FIRST_SECONDS * 2 ** max(0, attempts - 1))


def _claim(pk: int) -> WebhookEvent | None:
    now = timezone.now()
    lease = timedelta(seconds=2 * settings.WEBHOOK_TIMEOUT_SECONDS + 30)
    claimed = WebhookEvent.objects.filter(
        pk=pk,
        status=WebhookEvent.Status.PENDING,
        next_attempt_at__lte=now,
    ).update(attempts=F("attempts") + 1, next_attempt_at=now + lease)
    if not claimed:
        return None
    return WebhookEvent.objects.get(pk=pk)


def _post(url: str, body: bytes, headers: dict[str, str]) -> int:
    """POST to the checked address of ``url``; returns the HTTP status. Raises
    netguard.UrlRefusedError or urllib3 errors."""
    target = netguard.resolve_url(url)
    address = target.addresses[0]
    timeout = urllib3.Timeout(connect=settings.WEBHOOK_TIMEOUT_SECONDS, read=settings.WEBHOOK_TIMEOUT_SECONDS)
    if target.scheme == "https":
        pool = urllib3.HTTPSConnectionPool(
            address,
            target.port,
            timeout=timeout,
            retries=False,
            ssl_context=ssl.create_default_context(),
            server_hostname=target.host,
            assert_hostname=target.host,
        )
    else:
        pool = urllib3.HTTPConnectionPool(address, target.port, timeout=timeout, retries=False)
    host = f"[{target.host}]" if ":" in target.host else target.host
    default_port = 443 if target.scheme == "https" else 80
    try:
        response = pool.urlopen(
            "POST",
            target.target,
            body=body,
            redirect=False,
            retries=False,
            preload_content=False,
            headers={**headers, "Host": host if target.port == default_port else f"{host}:{target.port}"},
        )
        response.read(MAX_RESPONSE_BYTES)  # drain a little; never the whole of a huge answer
        response.release_conn()
        return response.status
    finally:
        pool.close()


def webhook_deliver(*, pk: int) -> str:
    """Attempt the delivery of event ``pk`` if it is due; returns ``delivered``,
    ``retry``, ``failed`` or ``skipped`` (not due, or claimed by another run).
    Safe to run twice and concurrently: only one run claims a due attempt."""
    row = _claim(pk)
    if row is None:
        return "skipped"
    account = _targets([row.user_id]).get(row.user_id)
    if account is None or not account.secret:
        return _record(row, status_code=None, error="no webhook URL or secret configured", give_up=True)
    timestamp = int(time.time())
    body = row.body.encode()
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-Tingting-Event-Id": str(row.event_id),
        "X-Tingting-Event": row.event,
        "X-Tingting-Sequence": str(row.sequence),
        "X-Tingting-Timestamp": str(timestamp),
        "X-Tingting-Signature": webhook_sign(secret=account.secret, timestamp=timestamp, body=body),
    }
    try:
        status = _post(account.url, body, headers)
    except netguard.UrlRefusedError as exc:
        logger.warning("Webhook %s refused: %s", row.event_id, exc)
        return _record(row, status_code=None, error=f"refused: {exc}")
    except (urllib3.exceptions.HTTPError, OSError) as exc:
        return _record(row, status_code=None, error=f"{exc.__class__.__name__}: {exc}"[:500])
    if 200 <= status < 300:
        return _record(row, status_code=status, error="", delivered=True)
    return _record(row, status_code=status, error=f"HTTP {status}")


def _record(
    row: WebhookEvent, *, status_code: int | None, error: str, delivered: bool = False, give_up: bool = False
) -> str:
    now = timezone.now()
    fields = {"last_status_code": status_code, "last_error": error[:500]}
    if delivered:
        fields.update(status=WebhookEvent.Status.DELIVERED, delivered_at=now)
        outcome = "delivered"
    else:
        due = now + timedelta(seconds=backoff_seconds(row.attempts))
        deadline = row.created_at + timedelta(hours=settings.WEBHOOK_RETRY_HOURS)
        if give_up or due > deadline:
            fields.update(status=WebhookEvent.Status.FAILED)
            outcome = "failed"
        else:
            fields.update(next_attempt_at=due)
            outcome = "retry"
    WebhookEvent.objects.filter(pk=row.pk, status=WebhookEvent.Status.PENDING).update(**fields)
    return outcome


def webhook_sweep(*, limit: int = SWEEP_BATCH) -> int:
    """Publish the delivery of every pending event that is due (retries, and
    deliveries whose first publication was lost). Returns how many were published;
    a repeat only publishes duplicates the claim turns into no-ops."""
    due = list(
        WebhookEvent.objects.filter(
            status=WebhookEvent.Status.PENDING,
            next_attempt_at__lte=timezone.now(),
        )
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
    for pk in due:
        task_publish(DELIVER_TASK, [pk])
    return len(due)
