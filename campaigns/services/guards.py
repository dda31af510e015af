"""Guardrails inside the execution engine (docs/campaigns.md "Guardrails", docs/api/API_CONTRACT.md §7).

The dispatcher (``dispatch.py``) and the outcome recorder (``outcomes.py``) call these
through a few marked hooks; everything the guardrails decide lives here:

- **Do-not-contact**: a chunk's numbers on the owner's DNC list (one query) are
  settled ``failed`` / error ``dnc`` without a provider call: not charged, their
  share of the hold released, ``Recipient.attempts`` unchanged (no call was made).
- **Calling hours** (voice runs): outside the owner's window no attempt is
  claimed; the chunk's waiting rows get ``next_attempt_at = next_window_start``
  and the sweeper re-publishes them when it comes (no long broker ETA).
- **Rate limits** (``tingting.ratelimit``, Redis, shared by every worker): before
  each provider call a token of ``account:<id>:calls`` (voice, the account's
  ``max_calls_per_second``), ``sender:<E.164>`` and ``provider:<backend>``
  (``RATE_SENDER_*`` / ``RATE_PROVIDER_*`` settings, 0 = no limit) and, for
  calls, a slot of ``account:<id>:concurrent`` (``max_concurrent_calls``) whose
  token is the call's reference, released when the call's final outcome is
  recorded (or when its lease ends).
- **Retries** (voice runs): an ``unanswered`` / ``failed`` call with retries left
  under the owner's policy puts the attempt back to ``queued`` with
  ``next_attempt_at`` (delay, moved into calling hours) and a new reference
  ``attempt:<id>:<n>``. Those outcomes are never charged, so the attempt's share
  stays held for the retry: the hold always covers retries and only the call
  that is answered is charged.
- **Status webhooks**: ``recipient.outcome`` on every final outcome, inside the
  transaction that records it.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime
from typing import Protocol

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone

from accounts import ledger
from accounts.calling import calling_window_open, next_window_start, retry_due_at
from accounts.models import AccountSettings, DoNotContact, User
from campaigns.models import Attempt, Recipient, Run
from campaigns.models.run import attempt_ledger_key, attempt_reference
from campaigns.services.publish import chunks_publish
from campaigns.services.run import run_finish_if_done
from tingting import ratelimit
from tingting.outbound_webhooks import webhook_emit, webhook_wanted

logger = logging.getLogger(__name__)
S = Attempt.Status
DNC_ERROR = "dnc"
WAITING_FOR_HOURS = "waiting for calling hours"
# How long a worker blocks for a rate-limit token before handing the chunk back
# to the broker with a countdown.
TOKEN_BLOCK_SECONDS = 5.0
SLOT_RETRY_SECONDS = 5


def waiting_or_due(now: datetime) -> Q:
    """Queued rows that may be claimed now (not waiting for hours or a retry)."""
    return Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)


def _settings_of(owner_id: int) -> AccountSettings:
    row = AccountSettings.objects.select_related("user").filter(user_id=owner_id).first()
    if row is None:
        row = AccountSettings(user=User.objects.get(pk=owner_id))  # defaults, not stored
    return row


def _owner(owner_id: int) -> User:
    return User(pk=owner_id)


# --- Per chunk: DNC, calling hours, rate limits, concurrency ---------------------------


class Referenced(Protocol):
    """An attempt as the guards see it: its provider reference (an ``Attempt`` row, or
    the dispatch step's claimed copy of one)."""

    @property
    def reference(self) -> str: ...


class ChunkGuard:
    """What one chunk task needs to decide, read once per chunk."""

    def __init__(self, run: Run, sender: str, backend: object) -> None:
        self.run = run
        self.sender = sender
        self.backend_name = getattr(backend, "name", type(backend).__name__)
        self.settings = _settings_of(run.owner_id)
        self.is_voice = run.kind == Run.Kind.VOICE
        self.slots: set[str] = set()

    def skip_dnc(self, *, run_id: int, chunk: int) -> int:
        """Settle the chunk's queued attempts whose number is on the owner's DNC
        list; returns how many. One query that joins the list in the database,
        so a chunk whose numbers are all allowed costs no row in Python."""
        listed = DoNotContact.objects.filter(user_id=self.run.owner_id, number=OuterRef("recipient__number"))
        ids = list(
            Attempt.objects.filter(run_id=run_id, chunk=chunk, status=S.QUEUED)
            .filter(waiting_or_due(timezone.now()))
            .filter(Exists(listed))
            .values_list("id", flat=True)
        )
        return sum(attempt_fail_dnc(attempt_id=attempt_id) for attempt_id in ids)

    def admit(self, attempt: Attempt) -> int | None:
        """Before calling for ``attempt``: None = go ahead; -1 = calling hours are
        closed (the caller makes the chunk wait: ``wait_for_hours``); n >= 0 = stop and
        re-publish the chunk in n seconds (rate limit or concurrency cap)."""
        now = timezone.now()
        if self.is_voice and not calling_window_open(self.settings, now):
            return -1
        deadline = time.time() + TOKEN_BLOCK_SECONDS
        for key, rate in self._buckets():
            if not ratelimit.acquire(key, rate, block_until=deadline):
                return max(1, int(ratelimit.wait_time(key, rate)) + 1)
        if self.is_voice:
            lease = (self.run.audio_seconds or 0) + settings.RUN_CALL_SLOT_MARGIN_SECONDS
            if not ratelimit.slot_acquire(
                self._slot_key(), self.settings.concurrent_calls, attempt.reference, lease_seconds=lease
            ):
                return SLOT_RETRY_SECONDS
            self.slots.add(attempt.reference)
        return None

    @property
    def paces(self) -> bool:
        """Whether calls take rate-limit tokens or slots: then they go out one by
        one as their tokens come, not in batches (a batch would burst)."""
        return self.is_voice or bool(self._buckets())

    def wait_for_hours(self, *, run_id: int, chunk: int) -> bool:
        """Voice outside the owner's calling hours: the chunk's queued rows wait for
        the window (the sweeper re-publishes them then); True when it must wait."""
        now = timezone.now()
        if not self.is_voice or calling_window_open(self.settings, now):
            return False
        Attempt.objects.filter(run_id=run_id, chunk=chunk, status=S.QUEUED).filter(waiting_or_due(now)).update(
            next_attempt_at=next_window_start(self.settings, now), error=WAITING_FOR_HOURS
        )
        return True

    def admit_batch(self, batch: list) -> tuple[list, int | None]:
        """``admit`` for each claimed attempt of a round, in order: the admitted
        ones, and the countdown of the first refused (None when all went in)."""
        for index, attempt in enumerate(batch):
            countdown = self.admit(attempt)
            if countdown is not None:
                return batch[:index], countdown
        return batch, None

    def call_ended(self, attempt: Referenced) -> None:
        if attempt.reference in self.slots:
            ratelimit.slot_release(self._slot_key(), attempt.reference)
            self.slots.discard(attempt.reference)

    def _slot_key(self) -> str:
        return f"account:{self.run.owner_id}:concurrent"

    def _buckets(self) -> list[tuple[str, float]]:
        if self.is_voice:
            keys = [
                (f"account:{self.run.owner_id}:calls", self.settings.calls_per_second),
                (f"sender:{self.sender}", settings.RATE_SENDER_CALLS_PER_SECOND),
                (f"provider:{self.backend_name}", settings.RATE_PROVIDER_CALLS_PER_SECOND),
            ]
        else:
            keys = [
                (f"sender:{self.sender}", settings.RATE_SENDER_SMS_PER_SECOND),
                (f"provider:{self.backend_name}", settings.RATE_PROVIDER_SMS_PER_SECOND),
            ]
        return [(key, float(rate)) for key, rate in keys if rate and not key.endswith(":")]


def attempt_fail_dnc(*, attempt_id: int) -> bool:
    """A queued attempt whose number is on the DNC list: ``failed`` / ``dnc``, its
    share released, never sent. Repeat-safe (only a queued row changes)."""
    with transaction.atomic():
        attempt = (
            Attempt.objects.select_for_update().select_related("run").filter(pk=attempt_id, status=S.QUEUED).first()
        )
        if attempt is None:
            return False
        now = timezone.now()
        if attempt.share:
            ledger.release(
                user_id=attempt.run.owner_id,
                amount=attempt.share,
                idempotency_key=attempt_ledger_key(attempt.pk, "release"),
                reference=attempt_reference(attempt.pk),
                note="do-not-contact",
            )
        attempt.status, attempt.provider_status, attempt.error = S.FAILED, "", DNC_ERROR
        attempt.released, attempt.finished_at, attempt.next_attempt_at = attempt.share, now, None
        attempt.save(update_fields=["status", "provider_status", "error", "released", "finished_at", "next_attempt_at"])
        Recipient.objects.filter(pk=attempt.recipient_id).update(
            status=S.FAILED, duration=None, playback=None, last_attempt_at=now, last_error=DNC_ERROR
        )
        outcome_emit(run=attempt.run, attempt=attempt)
        run_id = attempt.run_id
        transaction.on_commit(lambda: run_finish_if_done(run_id=run_id))
    return True


# --- On outcomes (inside attempt_record_outcome's transaction) -------------------------


def retry_schedule(
    *, run: Run, attempt: Attempt, status: str, provider_status: str, provider_id: str, error: str, now: datetime
) -> bool:
    """When the owner's retry policy wants another call after this ``unanswered`` /
    ``failed`` call (voice runs only), put the attempt back in the queue for it
    and answer True; the caller then records nothing else. Nothing is charged or
    released: the share stays held for the next call."""
    if run.kind != Run.Kind.VOICE or status not in (S.UNANSWERED, S.FAILED) or error == DNC_ERROR:
        return False
    account = _settings_of(run.owner_id)
    due = retry_due_at(account, str(status), attempt.retries + 1, now)
    if due is None:
        return False
    ended = attempt.reference
    attempt.retries += 1
    attempt.status, attempt.provider_status, attempt.provider_id = S.QUEUED, provider_status, ""
    attempt.next_attempt_at, attempt.queued_at, attempt.claimed_at, attempt.tries = due, now, None, 0
    attempt.error = f"{status}: retry {attempt.retries} due {due.isoformat()}"[:255]
    attempt.save(
        update_fields=[
            "retries",
            "status",
            "provider_status",
            "provider_id",
            "next_attempt_at",
            "queued_at",
            "claimed_at",
            "tries",
            "error",
        ]
    )
    Recipient.objects.filter(pk=attempt.recipient_id).update(
        status=Recipient.Status.QUEUED, attempts=F("attempts") + 1, last_attempt_at=now, last_error=str(status)
    )
    call_finished(run=run, reference=ended)
    return True


def call_finished(*, run: Run, reference: str) -> None:
    """The call ``reference`` ended: free its concurrency slot after commit."""
    if run.kind != Run.Kind.VOICE:
        return
    key = f"account:{run.owner_id}:concurrent"
    transaction.on_commit(lambda: ratelimit.slot_release(key, reference))


def outcome_emit(*, run: Run, attempt: Attempt) -> None:
    """``recipient.outcome`` status webhook for a final attempt, in the caller's transaction."""
    if not webhook_wanted(user_id=run.owner_id):
        return
    recipient = Recipient.objects.values("id", "campaign_id", "number", "attempts", "credit_consumed").get(
        pk=attempt.recipient_id
    )
    payload = {
        "campaign_id": recipient["campaign_id"],
        "run_id": attempt.run_id,
        "recipient_id": recipient["id"],
        "number": recipient["number"],
        "status": attempt.status,
        "error": attempt.error or None,
        "duration": attempt.duration,
        "playback": attempt.playback,
        "credits_charged": attempt.charged + attempt.extra_charged,
        "credit_consumed": recipient["credit_consumed"],
        "attempts": recipient["attempts"],
        "finished_at": attempt.finished_at,
    }
    webhook_emit(
        user=_owner(run.owner_id),
        event="recipient.outcome",
        object_type="recipient",
        object_id=recipient["id"],
        payload=payload,
    )


# --- Sweeper ---------------------------------------------------------------------------


def waiting_publish(*, now: datetime | None = None, limit: int = 1000) -> int:
    """Re-publish the chunks whose waiting rows (calling hours, retry delay) are due.
    Clearing ``next_attempt_at`` first means a second sweeper publishes nothing."""
    now = now or timezone.now()
    due = (
        Attempt.objects.filter(status=S.QUEUED, next_attempt_at__lte=now, run__state=Run.State.RUNNING)
        .values_list("run_id", "chunk")
        .distinct()
        .order_by()
    )
    published = 0
    for run_id, chunk in list(due[:limit]):
        if Attempt.objects.filter(run_id=run_id, chunk=chunk, status=S.QUEUED, next_attempt_at__lte=now).update(
            next_attempt_at=None, queued_at=timezone.now()
        ):
            published += chunks_publish(run_id=run_id, chunks=[chunk])
    return published


def stale_filter() -> Q:
    """Rows the stale-queue sweep may re-publish: not waiting on purpose."""
    return Q(next_attempt_at__isnull=True)
