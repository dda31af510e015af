"""SMS failover of ``SMS & PHONE`` campaigns: a call that ends in one of the campaign's
``failover_target`` statuses is followed by ``sms_message``, exactly once.

- ``failover_queue`` runs inside ``attempt_record_outcome``'s transaction: it inserts the
  one ``FailoverSms`` of the attempt (unique: a repeated outcome finds it) and publishes
  ``campaigns.failover_send`` after commit.
- ``failover_send`` (the task's service) claims the row with a conditional UPDATE
  (queued → sending; a second run finds nothing), holds its price in the same
  transaction (``failover:<id>:hold``; 402 → failed, nothing sent), then calls the SMS
  provider outside any transaction, as the chunk dispatch does.
- ``failover_record_report`` settles it like a campaign SMS (``SMS_FINAL``): what is
  charged comes from the hold (``failover:<id>:charge``), the rest is released
  (``failover:<id>:release``), and the recipient's ``sms_credit_consumed`` / ``sms_status``
  record it. Every movement has its idempotency key; statuses never move back.
- The runs sweep (``campaigns.services.sweep``, jobs ``failover_republished`` and
  ``failover_reconciled``) recovers what a dead worker or a lost task left: a queued row
  is published again, a row left in ``sending`` is settled from the provider's record
  (re-queued only when the provider says it never received it; the re-claim finds its
  hold by key), a ``sent`` row with no final report is given up as failed in the end.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from accounts import ledger
from campaigns.models import Attempt, Campaign, FailoverSms, Recipient, Run
from campaigns.services import outcomes as outcome_rules  # read at call time: outcomes imports this module
from tingting.errors import InsufficientCreditsError
from tingting.providers import sms_backend
from tingting.providers.base import OutboundSms, ProviderPermanentError, StatusReport
from tingting.publish import task_publish
from tingting.segments import segment_count

logger = logging.getLogger(__name__)

SEND_TASK = "campaigns.failover_send"
S = FailoverSms.Status


@lru_cache(maxsize=256)
def _settings_of_run(run_id: int) -> Mapping[str, Any] | None:
    """The failover settings of a run's campaign, or None when it has none. Cached: a run
    cannot change them (the v1 face refuses edits of run fields while a run is in progress)."""
    row = (
        Run.objects.filter(pk=run_id, campaign__services=Campaign.Services.SMS_PHONE)
        .values("campaign_id", "campaign__failover_target", "campaign__sms_message", "sms_rate")
        .first()
    )
    if row is None or not row["campaign__failover_target"] or not row["campaign__sms_message"].strip():
        return None
    return row


def failover_queue(*, run: Run, attempt: Attempt, status: str) -> FailoverSms | None:
    """In the caller's transaction: the attempt's failover SMS when ``status`` is one of the
    campaign's targets (the existing one on a repeat), published after commit."""
    found = _settings_of_run(run.pk)
    if found is None or status not in found["campaign__failover_target"]:
        return None
    recipient = Recipient.objects.only("id", "number").get(pk=attempt.recipient_id)
    sender = (
        Campaign.objects.get(pk=found["campaign_id"])
        .user_phone.filter(has_sms=True)
        .values_list("phone_number", flat=True)
        .first()
        or ""
    )
    text = found["campaign__sms_message"]
    sms, created = FailoverSms.objects.get_or_create(
        attempt_id=attempt.pk,
        defaults={
            "recipient_id": recipient.pk,
            "owner_id": run.owner_id,
            "to": recipient.number,
            "sender": sender,
            "text": text,
            "share": max(1, segment_count(text)) * found["sms_rate"],
        },
    )
    if created:
        sms_id = sms.pk
        transaction.on_commit(lambda: failover_publish(sms_id))
    return sms


def failover_publish(sms_id: int) -> None:
    """The send task, by name; a broker error is logged (the row stays queued)."""
    try:
        task_publish(SEND_TASK, [sms_id])
    except Exception:  # noqa: BLE001 - any broker failure: the row stays queued for a re-publish
        logger.exception("Could not publish failover SMS %s", sms_id)


def _claim(sms_id: int) -> FailoverSms | None:
    """queued → sending with the hold taken, in one transaction; None when another run has it."""
    with transaction.atomic():
        claimed = FailoverSms.objects.filter(pk=sms_id, status=S.QUEUED).update(
            status=S.SENDING, claimed_at=timezone.now(), tries=F("tries") + 1
        )
        if not claimed:
            return None
        sms = FailoverSms.objects.get(pk=sms_id)
        try:
            ledger.hold(
                user_id=sms.owner_id,
                amount=sms.share,
                idempotency_key=f"{sms.reference}:hold",
                reference=sms.reference,
                note=f"failover SMS of attempt {sms.attempt_id}",
            )
        except InsufficientCreditsError:
            sms.share = 0
            _finish(sms, status=S.FAILED, provider_status="", error="insufficient credits", charged=False)
            return None
    return sms


def failover_send(*, sms_id: int) -> str:
    """Send one failover SMS (task entry point). Safe to repeat and to run concurrently:
    only the run that claims the row calls the provider. Temporary provider errors are
    raised for the task to retry (the row goes back to queued); permanent ones settle it
    as failed with the hold released. One still queued when its run was cancelled is
    settled as failed ("cancelled"), unsent and uncharged. Returns the row's status."""
    if FailoverSms.objects.filter(pk=sms_id, status=S.QUEUED, attempt__run__state=Run.State.CANCELLED).exists():
        # Stopped (cancel, emergency stop) before it went out: nothing more reaches the contact.
        failover_give_up(sms_id=sms_id, error="cancelled")
    sms = _claim(sms_id)
    if sms is None:
        return FailoverSms.objects.filter(pk=sms_id).values_list("status", flat=True).first() or "missing"
    message = OutboundSms(to=sms.to, body=sms.text, reference=sms.reference, sender=sms.sender)
    try:
        submission = sms_backend().send(message)
    except ProviderPermanentError as exc:
        failover_settle(sms_id=sms.pk, provider_status="failed", error=str(exc)[:255])
        return S.FAILED
    except Exception:
        # Temporary (or unknown): give the claim back; the task retries with backoff.
        with transaction.atomic():
            FailoverSms.objects.filter(pk=sms.pk, status=S.SENDING).update(status=S.QUEUED, queued_at=timezone.now())
        raise
    if not submission.accepted:
        failover_settle(sms_id=sms.pk, provider_status="rejected", error=submission.error)
        return S.FAILED
    FailoverSms.objects.filter(pk=sms.pk, status=S.SENDING).update(status=S.SENT, provider_id=submission.provider_id)
    return FailoverSms.objects.values_list("status", flat=True).get(pk=sms.pk)


def _finish(sms: FailoverSms, *, status: str, provider_status: str, error: str, charged: bool) -> None:
    """Charge what was used from the hold, release the rest, record it (caller's transaction, row locked)."""
    used = sms.share if charged else 0
    released = sms.share - used
    if used:
        ledger.charge(
            user_id=sms.owner_id,
            amount=used,
            from_held=True,
            idempotency_key=f"{sms.reference}:charge",
            reference=sms.reference,
        )
    if released:
        ledger.release(
            user_id=sms.owner_id, amount=released, idempotency_key=f"{sms.reference}:release", reference=sms.reference
        )
    sms.status, sms.provider_status, sms.error = status, provider_status, error[:255]
    sms.charged, sms.released, sms.finished_at = used, released, timezone.now()
    sms.save(update_fields=["status", "provider_status", "error", "charged", "released", "finished_at", "share"])
    Recipient.objects.filter(pk=sms.recipient_id).update(
        sms_status=status, sms_credit_consumed=F("sms_credit_consumed") + used
    )


def failover_settle(*, sms_id: int, provider_status: str, provider_id: str = "", error: str = "") -> None:
    """A final provider outcome of a failover SMS (as a campaign SMS: SMS_FINAL). Safe to
    repeat: a final row changes nothing."""
    with transaction.atomic():
        sms = FailoverSms.objects.select_for_update().filter(pk=sms_id).first()
        if sms is None or sms.status in FailoverSms.FINAL or sms.status == S.QUEUED:
            return
        status, is_charged = outcome_rules.SMS_FINAL.get(provider_status, (Attempt.Status.FAILED, False))
        if provider_id and not sms.provider_id:
            sms.provider_id = provider_id
            sms.save(update_fields=["provider_id"])
        final = S.COMPLETED if status == Attempt.Status.COMPLETED else S.FAILED
        _finish(sms, status=final, provider_status=provider_status, error=error, charged=is_charged)


def failover_give_up(*, sms_id: int, error: str) -> bool:
    """Settle a queued failover SMS as failed without sending it (the sweep, after
    ``RUN_GIVE_UP_IN_FLIGHT_SECONDS`` of temporary errors or lost tasks): nothing is
    charged, a hold taken by an earlier claim is released. Returns whether it changed
    the row; a repeat (or a row claimed meanwhile) changes nothing."""
    with transaction.atomic():
        sms = FailoverSms.objects.select_for_update().filter(pk=sms_id, status=S.QUEUED).first()
        if sms is None:
            return False
        if not sms.tries:  # never claimed: no hold was taken
            sms.share = 0
        _finish(sms, status=S.FAILED, provider_status="", error=error, charged=False)
    return True


def failover_record_report(report: StatusReport) -> None:
    """Status reports with references ``failover:<id>`` (registered in ``CampaignsConfig.ready``)."""
    try:
        sms_id = int(report.reference.split(":", 1)[1])
    except (IndexError, ValueError):
        logger.warning("Malformed failover reference %r", report.reference)
        return
    if report.status in outcome_rules.IN_FLIGHT_STATUS:
        FailoverSms.objects.filter(pk=sms_id, status=S.SENDING).update(status=S.SENT)
        return
    failover_settle(sms_id=sms_id, provider_status=report.status, provider_id=report.provider_id)
