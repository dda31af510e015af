"""Every write of the OTP app: send, deliver, record provider reports, verify, sweep."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urljoin

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts import ledger
from accounts.models import User
from otp import codes, selectors
from otp.errors import OtpExpiredError, OtpInvalidError
from otp.models import Otp
from tingting.api.throttling import parse_rate
from tingting.errors import InvalidInputError, RateLimitedError
from tingting.models import TtsRender
from tingting.providers import sms_backend, voice_backend
from tingting.providers.base import (
    OutboundCall,
    OutboundSms,
    ProviderPermanentError,
    ProviderTemporaryError,
    ProviderTimeoutError,
    StatusReport,
    Submission,
)
from tingting.publish import task_publish_after_commit
from tingting.segments import segment_count
from tingting.voice.render import OTP_SCOPE, render_audio_url, render_cached

logger = logging.getLogger(__name__)

Status = Otp.Status
SEND_TASK = "otp.send"

# A status only moves forward: reports arrive late, twice, or before the submission is recorded.
_RANK: dict[str, int] = {Status.QUEUED: 0, Status.SENDING: 1, Status.SENT: 2, Status.RINGING: 2}
TERMINAL = {
    Status.DELIVERED,
    Status.UNDELIVERED,
    Status.EXPIRED,
    Status.COMPLETED,
    Status.HUNGUP,
    Status.UNANSWERED,
    Status.FAILED,
}
# docs/api/API_CONTRACT.md §9 "What is charged": an SMS once the provider accepted it, a call once answered.
CHARGED_STATUSES: dict[str, set[str]] = {
    Otp.Channel.TEXT: {Status.SENT, Status.DELIVERED, Status.UNDELIVERED, Status.EXPIRED},
    Otp.Channel.VOICE: {Status.COMPLETED, Status.HUNGUP},
}


def _rank(status: str) -> int:
    return 3 if status in TERMINAL else _RANK.get(status, 0)


def reference_of(otp_id: int) -> str:
    return f"otp:{otp_id}"


def sms_body(template: str, code: str) -> str:
    """The SMS carries the code unspaced, so phones can offer to fill it in."""
    return codes.render(template, code)


def spoken_text(template: str, code: str) -> str:
    """The call speaks the message with the digits apart, ``OTP_VOICE_REPEAT`` times."""
    once = codes.render(template, codes.spaced(code)).strip()
    return " ".join([once if once.endswith((".", "।", "!", "?")) else f"{once}."] * settings.OTP_VOICE_REPEAT)


def otp_price(*, user: User, channel: str, template: str, code_length: int) -> int:
    """One SMS (segments × rate) or one call of one pulse (docs/api/API_CONTRACT.md §5)."""
    if channel == Otp.Channel.VOICE:
        return user.voice_rate
    # Digits are GSM-7 and one character each, so any code of this length counts the same.
    return segment_count(codes.render(template, "0" * code_length)) * user.sms_rate


@dataclass(frozen=True)
class OtpSent:
    otp: Otp
    code: str

    @property
    def message(self) -> str:
        return codes.render(self.otp.message_template, codes.spaced(self.code))


def otp_send(
    *,
    user: User,
    number: str,
    message: str,
    sms_send_options: str,
    otp_options: str = Otp.Option.GENERATED,
    otp: str | None = None,
    otp_length: int = 6,
    base_url: str = "",
    voice: str = "",
) -> OtpSent:
    """Create an OTP for ``number`` (E.164), hold its price and queue its delivery
    after commit. The new OTP supersedes the account's earlier ones to that number.

    Raises RateLimitedError (429) over the per-number or per-account send limit and
    InsufficientCreditsError (402). Not idempotent by itself: every call sends a new
    code (the view adds ``Idempotency-Key``)."""
    if otp_options == Otp.Option.PERSONNEL:
        if not otp:
            raise InvalidInputError("otp is required when otp_options is personnel.", field="otp", code="required")
        code = otp
    else:
        code = codes.generate_code(otp_length)
    salt = codes.new_salt()
    price = otp_price(user=user, channel=sms_send_options, template=message, code_length=len(code))
    # durable: an entry service; the delivery is queued when it commits, so no caller
    # may wrap it in a transaction of its own.
    with transaction.atomic(durable=True):
        # The account row lock serialises this account's sends, so the limits
        # below are counted exactly even when requests arrive together. NO KEY
        # UPDATE, as the ledger takes it: rows pointing at the account do not wait.
        User.objects.select_for_update(no_key=True).only("id").get(pk=user.pk)
        now = timezone.now()
        _enforce_limit(
            "otp_number",
            user_id=user.pk,
            now=now,
            number=number,
            message="Too many OTPs to this number; try again later.",
        )
        _enforce_limit(
            "otp_account", user_id=user.pk, now=now, message="Too many OTPs from this account; try again later."
        )
        row = Otp.objects.create(
            user=user,
            number=number,
            channel=sms_send_options,
            otp_options=otp_options,
            message_template=message,
            code_length=len(code),
            code_salt=salt,
            code_hmac=codes.code_hmac(code=code, salt=salt, user_id=user.pk, number=number),
            price=price,
            expires_at=now + timedelta(seconds=settings.OTP_TTL_SECONDS),
            voice=voice,
        )
        ledger.hold(
            user_id=user.pk,
            amount=price,
            idempotency_key=f"otp:{row.pk}:hold",
            reference=reference_of(row.pk),
            note="OTP",
        )
        sealed = codes.seal({"otp": row.pk, "code": code})
        base = settings.PUBLIC_BASE_URL or base_url
        # robust: the answer stands if the broker is down; the sweep settles the row.
        task_publish_after_commit(SEND_TASK, [row.pk, sealed, base], robust=True)
    return OtpSent(otp=row, code=code)


def _enforce_limit(scope: str, *, user_id: int, now: datetime, message: str, number: str | None = None) -> None:
    """Sliding window over committed OTP rows; call with the account row locked."""
    limit, window = parse_rate(settings.THROTTLE_RATES[scope])
    nth = selectors.otp_nth_recent_created_at(
        user_id=user_id, number=number, n=limit, since=now - timedelta(seconds=window)
    )
    if nth is not None:
        retry_after = (nth + timedelta(seconds=window) - now).total_seconds()
        raise RateLimitedError(message, retry_after=int(retry_after) + 1, code="otp_rate_limited")


def otp_deliver(*, otp_id: int, sealed: str, base_url: str = "") -> Otp | None:
    """Send a queued OTP through the SMS or voice provider, at most once.

    The row is claimed with a conditional UPDATE (queued → sending) before the
    provider is called, so a redelivered or concurrent task finds nothing to do and
    returns None. ProviderTemporaryError puts the row back to queued and propagates
    (the task retries); a timeout leaves it sending for the sweep to reconcile."""
    if not Otp.objects.filter(pk=otp_id, status=Status.QUEUED).update(status=Status.SENDING):
        return None
    row = Otp.objects.get(pk=otp_id)
    try:
        payload = codes.unseal(sealed, ttl=settings.OTP_TTL_SECONDS)
    except ValueError:
        payload = {}
    if not isinstance(payload, dict):
        payload = {}
    code = str(payload.get("code", ""))
    if payload.get("otp") != row.pk or not codes.code_matches(
        code=code, salt=row.code_salt, user_id=row.user_id, number=row.number, stored=row.code_hmac
    ):
        return _record_submission(row.pk, Submission("", accepted=False, error="sealed code invalid or expired"))
    if timezone.now() >= row.expires_at:
        return _record_submission(row.pk, Submission("", accepted=False, error="expired before sending"))
    reference = reference_of(row.pk)
    try:
        if row.channel == Otp.Channel.TEXT:
            submission = sms_backend().send(
                OutboundSms(to=row.number, body=sms_body(row.message_template, code), reference=reference)
            )
        else:
            audio_url, seconds, render_id = _otp_audio(
                spoken_text(row.message_template, code), base_url, voice=row.voice or settings.OTP_VOICE
            )
            Otp.objects.filter(pk=row.pk).update(audio_render_id=render_id)
            submission = voice_backend().place_call(
                OutboundCall(to=row.number, reference=reference, audio_url=audio_url, audio_seconds=seconds)
            )
    except ProviderTimeoutError:
        logger.warning("OTP %s: provider timed out; left for reconciliation", row.pk)
        return Otp.objects.get(pk=row.pk)
    except ProviderTemporaryError:
        Otp.objects.filter(pk=row.pk, status=Status.SENDING).update(status=Status.QUEUED)
        raise
    except ProviderPermanentError as exc:
        submission = Submission("", accepted=False, error=str(exc)[:255])
    return _record_submission(row.pk, submission)


def _otp_audio(text: str, base_url: str, *, voice: str) -> tuple[str, float, int]:
    """The spoken OTP: (absolute audio URL, seconds, render id to delete after the call)."""
    render = render_cached(text=text, voice=voice, length_factor=settings.OTP_VOICE_LENGTH_FACTOR, scope=OTP_SCOPE)
    # The unguessable URL the audio view serves (media files are not served).
    return urljoin(base_url or "/", render_audio_url(render)), render.duration, render.pk


def otp_fail(*, otp_id: int, error: str) -> Otp:
    """Give up on an OTP not yet sent (task out of retries): failed, hold released.
    Safe to repeat."""
    return _record_submission(otp_id, Submission("", accepted=False, error=error))


@contextmanager
def _locked(*, otp_id: int, user_id: int) -> Iterator[Otp]:
    """A transaction holding the OTP row (yielded) and its account locked."""
    with transaction.atomic():
        # Same lock order as otp_send (account, then OTP rows): no deadlock.
        User.objects.select_for_update(no_key=True).only("id").get(pk=user_id)
        yield Otp.objects.select_for_update().get(pk=otp_id)


def _record_submission(otp_id: int, submission: Submission) -> Otp:
    user_id = Otp.objects.values_list("user_id", flat=True).get(pk=otp_id)
    with _locked(otp_id=otp_id, user_id=user_id) as row:
        fields = set()
        if submission.provider_id and not row.provider_id:
            row.provider_id = submission.provider_id
            fields.add("provider_id")
        if submission.accepted and row.sent_at is None:
            row.sent_at = timezone.now()
            fields.add("sent_at")
        if submission.accepted:
            new_status = Status.SENT if row.channel == Otp.Channel.TEXT else Status.RINGING
        else:
            new_status = Status.FAILED
            row.error = submission.error[:255]
            fields.add("error")
        fields |= _advance(row, new_status)
        if fields:
            row.save(update_fields=fields)
    return row


def otp_record_report(report: StatusReport) -> None:
    """A provider's status report for ``otp:<id>`` (registered in ``OtpConfig.ready``).

    Moves the status forward only, charges the hold once the channel's charged
    status is reached and releases it on failure (docs/api/API_CONTRACT.md §9). Idempotent."""
    try:
        otp_id = int(report.reference.split(":", 1)[1])
    except (IndexError, ValueError):
        logger.warning("Malformed OTP reference %r", report.reference)
        return
    user_id = Otp.objects.filter(pk=otp_id).values_list("user_id", flat=True).first()
    if user_id is None:
        logger.warning("Status report for unknown OTP %s", otp_id)
        return
    if report.status not in Status.values:
        logger.warning("OTP %s: unknown status %r ignored", otp_id, report.status)
        return
    with _locked(otp_id=otp_id, user_id=user_id) as row:
        fields = set()
        if report.provider_id and not row.provider_id:
            row.provider_id = report.provider_id
            fields.add("provider_id")
        if report.duration is not None and row.duration is None:
            row.duration = report.duration
            fields.add("duration")
        if report.error and not row.error:
            row.error = report.error[:255]
            fields.add("error")
        fields |= _advance(row, report.status)
        if fields:
            row.save(update_fields=fields)


def _advance(row: Otp, status: str) -> set[str]:
    """Move ``row`` (locked, with its account) to ``status`` if that is forward, and
    settle its credits for the new status. Returns the changed fields."""
    if _rank(status) <= _rank(row.status):
        return set()
    row.status = status
    fields = {"status"}
    if status in CHARGED_STATUSES[row.channel]:
        fields |= _settle(row, charge=True)
    elif status in TERMINAL:
        fields |= _settle(row, charge=False)
    if status in TERMINAL and row.audio_render_id:
        _purge_audio(row.audio_render_id)
        row.audio_render_id = None
        fields.add("audio_render_id")
    return fields


def _settle(row: Otp, *, charge: bool) -> set[str]:
    reference = reference_of(row.pk)
    if charge and row.billing == Otp.Billing.HELD:
        ledger.charge(
            user_id=row.user_id,
            amount=row.price,
            from_held=True,
            idempotency_key=f"otp:{row.pk}:charge",
            reference=reference,
            note="OTP",
        )
        row.billing = Otp.Billing.CHARGED
    elif not charge and row.billing == Otp.Billing.HELD:
        ledger.release(
            user_id=row.user_id,
            amount=row.price,
            idempotency_key=f"otp:{row.pk}:release",
            reference=reference,
            note="OTP not delivered",
        )
        row.billing = Otp.Billing.RELEASED
    elif not charge and row.billing == Otp.Billing.CHARGED and row.status == Status.FAILED:
        # Failed after acceptance: a failed message or call is never charged.
        ledger.refund(
            user_id=row.user_id,
            amount=row.price,
            idempotency_key=f"otp:{row.pk}:refund",
            reference=reference,
            note="OTP failed",
        )
        row.billing = Otp.Billing.REFUNDED
    else:
        return set()
    return {"billing"}


def _purge_audio(render_id: int) -> None:
    """Delete the render that speaks a code (row and file): nobody replays an OTP call."""
    render = TtsRender.objects.filter(pk=render_id).first()
    if render is not None:
        render.audio.delete(save=False)
        render.delete()


def otp_verify(*, user: User, number: str | list[str], otp: str) -> Otp:
    """Check ``otp`` against the account's latest OTP to ``number`` (E.164, or the forms
    one number the client sent may stand for); consume it on success.

    Raises OtpInvalidError (wrong code or nothing sent; a wrong code counts one try),
    OtpExpiredError (expired or already used) and RateLimitedError (429) once
    ``OTP_MAX_ATTEMPTS`` wrong tries were made, until the OTP expires. Not repeatable:
    a second success answers OtpExpiredError."""
    failure: Exception | None = None
    with transaction.atomic():
        numbers = [number] if isinstance(number, str) else number
        row = selectors.otp_latest(user=user, numbers=numbers, for_update=True)
        now = timezone.now()
        if row is None:
            failure = OtpInvalidError("No OTP was sent to this number.")
        elif row.verified_at is not None:
            failure = OtpExpiredError("This OTP was already used; send a new one.")
        elif now >= row.expires_at:
            failure = OtpExpiredError("This OTP has expired; send a new one.")
        elif row.attempts >= settings.OTP_MAX_ATTEMPTS:
            failure = RateLimitedError(
                "Too many wrong tries for this OTP; send a new one once it expires.",
                retry_after=int((row.expires_at - now).total_seconds()) + 1,
                code="otp_locked",
            )
        elif codes.code_matches(code=otp, salt=row.code_salt, user_id=user.pk, number=row.number, stored=row.code_hmac):
            row.verified_at = now
            row.save(update_fields=["verified_at"])
            return row
        else:
            row.attempts += 1
            row.save(update_fields=["attempts"])
            left = settings.OTP_MAX_ATTEMPTS - row.attempts
            failure = OtpInvalidError(f"The OTP is not correct; {left} tries left.")
    # Raised after commit so the counted try is kept.
    raise failure


def otp_sweep(*, now: datetime | None = None) -> dict[str, int]:
    """Settle OTPs stuck in queued/sending (lost task, provider timeout) past
    ``OTP_STUCK_SECONDS``: the provider's view if it has one, else failed with the
    hold released. Also deletes the spoken audio of expired voice OTPs. Safe to run
    concurrently and repeatedly."""
    now = now or timezone.now()
    settled = purged = 0
    before = now - timedelta(seconds=settings.OTP_STUCK_SECONDS)
    with transaction.atomic():
        stuck = list(selectors.otp_stuck(before=before).values_list("id", "channel"))
    for otp_id, channel in stuck:
        backend = sms_backend() if channel == Otp.Channel.TEXT else voice_backend()
        try:
            report = backend.lookup(reference_of(otp_id))
        except ProviderTemporaryError:
            continue
        if report is not None:
            otp_record_report(report)
        row = Otp.objects.only("status").get(pk=otp_id)
        if row.status in (Status.QUEUED, Status.SENDING):
            otp_fail(otp_id=otp_id, error="not sent in time")
        settled += 1
    for otp_id, render_id in selectors.otp_audio_to_purge(now=now):
        _purge_audio(render_id)
        Otp.objects.filter(pk=otp_id).update(audio_render_id=None)
        purged += 1
    return {"settled": settled, "audio_purged": purged}
