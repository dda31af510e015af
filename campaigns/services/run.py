"""Runs: begin (hold credits, create attempts), start, pause, resume, cancel, finish,
and the recording of provider outcomes (charge what was used, release the rest).

Credit flow of one run (API_CONTRACT §2 begin, §5, §9 "What is charged"):
``hold(estimate)`` in the transaction that creates the run; each attempt owns a
``share`` of that hold; its final outcome charges what it used from the hold
(``attempt:<id>:charge``) and releases the rest of its share
(``attempt:<id>:release``); cancel releases the shares of every attempt it
terminates (``run:<id>:cancel``); the run's end releases whatever is left
(``run:<id>:end``). Every movement has its idempotency key, so a repeated report
or a redelivered task never moves credits twice.
"""

from __future__ import annotations

import logging
import math
import re
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import datetime
from functools import lru_cache

from django.db import IntegrityError, connection, transaction
from django.db.models import F, Sum
from django.utils import timezone

from accounts import ledger
from campaigns.models import Attempt, Campaign, Recipient, Run
from tingting.api.errors import (
    ConflictError,
    FieldError,
    InsufficientCreditsError,
    InvalidInputError,
    NotFoundError,
)
from tingting.providers import scripts
from tingting.providers.base import StatusReport
from tingting.segments import segment_count
from tingting.sqlrows import ids_param, rows_param, rows_table
from tingting.voice.render import account_scope

logger = logging.getLogger(__name__)

# Campaign.Services.SURVEY once the v1 face's campaign object lands with it.
SURVEY = "SURVEY"
RERUN_STATUSES = ("hungup", "unanswered", "failed", "terminated", "completed")
PLACEHOLDER = re.compile(r"\{([^{}\s]*)\}")
# Distinct personalised voice texts rendered at begin for an exact estimate;
# beyond this the longest text's duration is held for every recipient.
RENDER_AT_BEGIN_LIMIT = 20

S = Attempt.Status
# Provider statuses (tingting.providers.base.StatusReport) → (our status, charged?).
SMS_FINAL = {
    "delivered": (S.COMPLETED, True),
    "undelivered": (S.FAILED, True),
    "expired": (S.FAILED, True),
    "failed": (S.FAILED, False),
    "rejected": (S.FAILED, False),
}
VOICE_FINAL = {
    "completed": (S.COMPLETED, True),
    "hungup": (S.HUNGUP, True),
    "unanswered": (S.UNANSWERED, False),
    "busy": (S.UNANSWERED, False),
    "no-answer": (S.UNANSWERED, False),
    "failed": (S.FAILED, False),
    "canceled": (S.FAILED, False),
}
FINAL_BY_KIND = {Run.Kind.SMS: SMS_FINAL, Run.Kind.VOICE: VOICE_FINAL}
IN_FLIGHT_STATUS = {
    "accepted": S.SENT,
    "sending": S.SENT,
    "sent": S.SENT,
    "initiated": S.RINGING,
    "ringing": S.RINGING,
    "in-progress": S.RINGING,
    "answered": S.RINGING,
}


# --- Begin -----------------------------------------------------------------------


@dataclass(frozen=True)
class AudioUpload:
    """A checked ``aud_file`` upload (``tingting.voice.uploads.inspect_audio_upload``)."""

    file: object
    seconds: float


def placeholders(text: str) -> list[str]:
    return PLACEHOLDER.findall(text)


def render_message(text: str, tags: dict) -> str:
    """``{tags_x}`` → the recipient's tag value (keys stored as ``tags_x`` or ``x``)."""

    def value(match: re.Match) -> str:
        name = match.group(1)
        found = tags.get(name, tags.get(name.removeprefix("tags_"), ""))
        return "" if found is None else str(found)

    return PLACEHOLDER.sub(value, text)


def _check_placeholders(campaign: Campaign, text: str) -> None:
    unknown = [name for name in placeholders(text) if name not in (campaign.usable_tags or [])]
    if unknown:
        names = ", ".join("{" + name + "}" for name in dict.fromkeys(unknown))
        raise InvalidInputError(
            f"message uses placeholders that are not usable tags of this campaign: {names}.",
            field="message",
            code="unknown_placeholder",
        )


def _choose_content(*, campaign: Campaign, message: str | None, audio: AudioUpload | None, priority: str | None) -> str:
    """Which content this run uses (API_CONTRACT §2: message / aud_file / priority)."""
    is_sms = campaign.services == Campaign.Services.SMS
    if is_sms and audio is not None:
        raise InvalidInputError("aud_file is only for PHONE campaigns.", field="aud_file", code="not_for_sms")
    if is_sms and priority == "audio":
        raise InvalidInputError(
            "An SMS campaign sends its message; priority 'audio' does not apply.",
            field="priority",
            code="invalid_choice",
        )
    has_message = bool(message) or (message is None and bool(campaign.message))
    has_audio = audio is not None or (not is_sms and bool(campaign.audio_file) and campaign.audio_seconds)
    if priority == "message":
        if not has_message:
            raise InvalidInputError(
                "priority is 'message' but no message is given or stored.", field="priority", code="no_content"
            )
        return Run.Content.MESSAGE
    if priority == "audio":
        if not has_audio:
            raise InvalidInputError(
                "priority is 'audio' but no aud_file is given or stored.", field="priority", code="no_content"
            )
        return Run.Content.AUDIO
    given_message, given_audio = bool(message), audio is not None
    if given_message != given_audio:  # exactly one given in this request: use it
        return Run.Content.MESSAGE if given_message else Run.Content.AUDIO
    if has_message and has_audio:
        raise InvalidInputError(
            "Both a message and audio are available: say which to use with priority ('message' or 'audio').",
            field="priority",
            code="priority_required",
        )
    if has_message:
        return Run.Content.MESSAGE
    if has_audio:
        return Run.Content.AUDIO
    raise InvalidInputError(
        "Give a message" + ("" if is_sms else " or an aud_file") + ": none is stored yet.",
        field="message",
        code="no_content",
    )


def _targets(
    *, campaign: Campaign, individual: list[int] | None, statuses: list[str] | None, with_tags: bool
) -> list[tuple]:
    """(id, tags or None) of the recipients the run targets, in id order. Tags
    are read only for a personalised message (decoding them costs per row)."""
    recipients = Recipient.objects.filter(campaign=campaign).order_by("id")
    columns = ("id", "tags") if with_tags else ("id",)
    if individual:
        wanted = list(dict.fromkeys(individual))
        rows = list(recipients.filter(pk__in=wanted).values_list(*columns))
        found = {row[0] for row in rows}
        missing = [
            FieldError(f"individual.{index}", "not_found", f"{value} is not a recipient of this campaign.")
            for index, value in enumerate(individual)
            if value not in found
        ]
        if missing:
            raise InvalidInputError(missing[0].message, errors=missing, code="not_found")
        return rows
    if statuses:
        return list(recipients.filter(status__in=statuses).values_list(*columns))
    return list(recipients.filter(status=Recipient.Status.NOT_STARTED).values_list(*columns))


def _voice_seconds(*, texts: list[str], voice: str, length_factor: float, scope: str) -> dict[str, float] | float:
    """Durations of the distinct texts, or one upper bound when there are too many."""
    from tingting.voice.render import render_cached

    distinct = list(dict.fromkeys(texts))
    if len(distinct) <= RENDER_AT_BEGIN_LIMIT:
        return {
            text: render_cached(text=text, voice=voice, length_factor=length_factor, scope=scope).duration
            for text in distinct
        }
    longest = max(distinct, key=len)
    return render_cached(text=longest, voice=voice, length_factor=length_factor, scope=scope).duration


def voice_share(*, seconds: float, pulse_seconds: int, rate: int) -> int:
    return max(1, math.ceil(seconds / pulse_seconds)) * rate


def run_begin(
    *,
    user,
    campaign_id: int,
    message: str | None = None,
    audio: AudioUpload | None = None,
    voice_input: str | None = None,
    length_factor: float | None = None,
    schedule_at: datetime | None = None,
    individual: list[int] | None = None,
    statuses: list[str] | None = None,
    priority: str | None = None,
    chunk_size: int | None = None,
) -> Run:
    """Start (or schedule) a run of the campaign: content chosen and stored on the
    campaign, one attempt per target, the estimate held, chunks published after
    commit. Raises NotFoundError (not the owner's), InvalidInputError (content,
    placeholders, targets), InsufficientCreditsError (402, nothing starts),
    ConflictError (a run is in progress). Not safe to repeat: a second call
    while the first run is active answers 409."""
    from django.conf import settings

    chunk_size = chunk_size or settings.RUN_CHUNK_SIZE
    try:
        with transaction.atomic():
            # The campaign row lock serialises two begins of one campaign; the
            # partial unique index on runs is the backstop.
            campaign = Campaign.objects.select_for_update().filter(owner=user, pk=campaign_id).first()
            if campaign is None:
                raise NotFoundError("Campaign not found.")
            if campaign.import_state in (Campaign.ImportState.PENDING, Campaign.ImportState.RUNNING):
                raise ConflictError("The campaign's recipients are still being imported.", code="import_in_progress")
            if Run.objects.filter(campaign=campaign, finished_at__isnull=True).exists():
                raise ConflictError("Campaign is already running.", code="campaign_running")
            run = _create_run(
                campaign=campaign,
                user=user,
                message=message,
                audio=audio,
                voice_input=voice_input,
                length_factor=length_factor,
                schedule_at=schedule_at,
                individual=individual,
                statuses=statuses,
                priority=priority,
                chunk_size=chunk_size,
            )
    except IntegrityError as exc:
        raise ConflictError("Campaign is already running.", code="campaign_running") from exc
    return run


@dataclass
class RunPlan:
    """What a begin would do, computed without writing: the content, the targets and
    each target's share of the hold (``run_estimate`` shows it, ``_create_run`` uses it)."""

    content: str
    text: str
    voice: str
    factor: float
    personalised: bool
    targets: list[tuple]
    texts: list[str]
    shares: list[int]
    audio_seconds: float | None = None
    audio_name: str = ""

    @property
    def hold(self) -> int:
        return sum(self.shares)


def _plan_run(*, campaign, user, message, audio, voice_input, length_factor, individual, statuses, priority) -> RunPlan:
    from django.conf import settings

    is_sms = campaign.services == Campaign.Services.SMS
    # A survey plays its script (tingting.providers.scripts), not a message or an audio file.
    is_survey = campaign.services == SURVEY
    if is_survey:
        content, text = Run.Content.MESSAGE, ""
    else:
        content = _choose_content(campaign=campaign, message=message, audio=audio, priority=priority)
        text = (message if message else campaign.message) if content == Run.Content.MESSAGE else ""
        if content == Run.Content.MESSAGE:
            _check_placeholders(campaign, text)
    voice = voice_input or campaign.voice_input or "np_rija"
    factor = length_factor if length_factor is not None else (campaign.length_factor or 1.0)
    personalised = content == Run.Content.MESSAGE and bool(placeholders(text))
    targets = _targets(campaign=campaign, individual=individual, statuses=statuses, with_tags=personalised)
    if not targets:
        raise InvalidInputError(
            "No recipient matches: nothing to run.", field="status" if statuses else None, code="empty_target"
        )
    texts = [render_message(text, tags or {}) for _, tags in targets] if personalised else []
    plan = RunPlan(content, text, voice, factor, personalised, targets, texts, shares=[])
    pulse_seconds, sms_rate, voice_rate = settings.VOICE_PULSE_SECONDS, user.sms_rate, user.voice_rate

    if is_sms:
        if personalised:
            plan.shares = [max(1, segment_count(t)) * sms_rate for t in texts]
        else:
            plan.shares = [max(1, segment_count(text)) * sms_rate] * len(targets)
    elif is_survey:
        script = scripts.script_for(f"campaign:{campaign.pk}:{voice}:{factor}")
        if not script:
            raise InvalidInputError("The survey has no steps yet.", field="steps", code="no_steps")
        plan.audio_seconds = scripts.script_seconds(script)
        longest = scripts.script_longest_seconds(script)  # every retry and wait in full
        plan.shares = [voice_share(seconds=longest, pulse_seconds=pulse_seconds, rate=voice_rate)] * len(targets)
    else:
        if content == Run.Content.AUDIO:
            seconds = audio.seconds if audio is not None else campaign.audio_seconds
            plan.audio_seconds = seconds
            plan.shares = [voice_share(seconds=seconds, pulse_seconds=pulse_seconds, rate=voice_rate)] * len(targets)
        elif personalised:
            durations = _voice_seconds(texts=texts, voice=voice, length_factor=factor, scope=account_scope(user.pk))
            plan.shares = [
                voice_share(
                    seconds=durations[t] if isinstance(durations, dict) else durations,
                    pulse_seconds=pulse_seconds,
                    rate=voice_rate,
                )
                for t in texts
            ]
        else:
            from tingting.voice.render import render_cached

            render = render_cached(text=text, voice=voice, length_factor=factor, scope=account_scope(user.pk))
            plan.audio_name, plan.audio_seconds = render.audio.name, render.duration
            plan.shares = [voice_share(seconds=render.duration, pulse_seconds=pulse_seconds, rate=voice_rate)] * len(
                targets
            )
    return plan


def run_estimate(
    *,
    user,
    campaign_id: int,
    message: str | None = None,
    audio: AudioUpload | None = None,
    voice_input: str | None = None,
    length_factor: float | None = None,
    individual: list[int] | None = None,
    statuses: list[str] | None = None,
    priority: str | None = None,
    schedule_at: datetime | None = None,
) -> RunPlan:
    """The hold and targets ``run_begin`` would take with the same arguments (``schedule_at``
    changes neither; it is taken so both accept the begin input's kwargs), without
    writing anything (a voice message is rendered, as begin would, into the TTS cache).
    Raises NotFoundError and the InvalidInputErrors of begin. Safe to repeat."""
    campaign = Campaign.objects.filter(owner=user, pk=campaign_id).first()
    if campaign is None:
        raise NotFoundError("Campaign not found.")
    return _plan_run(
        campaign=campaign,
        user=user,
        message=message,
        audio=audio,
        voice_input=voice_input,
        length_factor=length_factor,
        individual=individual,
        statuses=statuses,
        priority=priority,
    )


def _create_run(
    *,
    campaign,
    user,
    message,
    audio,
    voice_input,
    length_factor,
    schedule_at,
    individual,
    statuses,
    priority,
    chunk_size,
) -> Run:
    from django.conf import settings

    is_sms = campaign.services == Campaign.Services.SMS
    plan = _plan_run(
        campaign=campaign,
        user=user,
        message=message,
        audio=audio,
        voice_input=voice_input,
        length_factor=length_factor,
        individual=individual,
        statuses=statuses,
        priority=priority,
    )
    content, text, voice, factor = plan.content, plan.text, plan.voice, plan.factor
    personalised, targets, texts, shares = plan.personalised, plan.targets, plan.texts, plan.shares
    run = Run(
        campaign=campaign,
        owner=user,
        kind=Run.Kind.SMS if is_sms else Run.Kind.VOICE,
        content=content,
        message=text,
        is_personalised=personalised,
        voice_input=voice,
        length_factor=factor,
        sms_rate=user.sms_rate,
        voice_rate=user.voice_rate,
        pulse_seconds=settings.VOICE_PULSE_SECONDS,
        total=len(targets),
        chunks=math.ceil(len(targets) / chunk_size),
        scheduled_for=schedule_at,
        state=Run.State.SCHEDULED if schedule_at else Run.State.RUNNING,
        started_at=None if schedule_at else timezone.now(),
        audio_seconds=plan.audio_seconds,
        audio_name=plan.audio_name,
    )
    run.hold_amount = sum(shares)
    run.save()
    if run.hold_amount:
        # 402 here rolls back the run, its attempts and the stored content.
        ledger.hold(
            user_id=user.pk,
            amount=run.hold_amount,
            idempotency_key=f"run:{run.pk}:hold",
            reference=f"run:{run.pk}",
            note=f"campaign {campaign.pk} run",
        )

    _create_attempts(
        run=run,
        recipient_ids=[row[0] for row in targets],
        shares=shares,
        texts=texts if personalised else None,
        chunk_size=chunk_size,
        queued_at=None if schedule_at else timezone.now(),
    )
    Recipient.objects.filter(run_attempts__run=run).update(
        status=Recipient.Status.SCHEDULED if schedule_at else Recipient.Status.QUEUED
    )

    fields = ["voice_input", "length_factor", "updated_at"]
    campaign.voice_input, campaign.length_factor = voice, factor
    if message:
        campaign.message = message
        fields.append("message")
    if audio is not None:
        campaign.audio_file.save(getattr(audio.file, "name", "audio.wav"), audio.file, save=False)
        campaign.audio_seconds = audio.seconds
        fields += ["audio_file", "audio_seconds"]
    campaign.save(update_fields=fields)
    if run.content == Run.Content.AUDIO:
        run.audio_name = campaign.audio_file.name
        run.save(update_fields=["audio_name", "audio_seconds"])
    if not schedule_at:
        _publish_after_commit(run.pk, range(run.chunks))
    return run


def _create_attempts(
    *,
    run: Run,
    recipient_ids: list[int],
    shares: list[int],
    texts: list[str] | None,
    chunk_size: int,
    queued_at: datetime | None,
) -> None:
    """One queued attempt per target, chunk by chunk; on PostgreSQL one INSERT …
    SELECT per 20,000 rows, passed as one JSON parameter (tingting.sqlrows)."""
    chunks = [index // chunk_size for index in range(len(recipient_ids))]
    if connection.vendor != "postgresql":
        Attempt.objects.bulk_create(
            [
                Attempt(
                    run=run,
                    recipient_id=recipient_id,
                    chunk=chunks[index],
                    share=shares[index],
                    text=texts[index] if texts else "",
                    queued_at=queued_at,
                )
                for index, recipient_id in enumerate(recipient_ids)
            ],
            batch_size=2000,
        )
        return
    step = 20_000
    columns = [("recipient_id", "bigint"), ("chunk", "integer"), ("share", "bigint"), ("text", "text")]
    with connection.cursor() as cursor:
        for start in range(0, len(recipient_ids), step):
            end = start + step
            rows = zip(
                recipient_ids[start:end],
                chunks[start:end],
                shares[start:end],
                texts[start:end] if texts else [""] * (end - start),
                strict=False,
            )
            cursor.execute(
                f"INSERT INTO {Attempt._meta.db_table} (run_id, recipient_id, chunk, share, text, status, "  # noqa: S608 - table name only
                "provider_status, provider_id, charged, released, extra_charged, tries, error, queued_at, "
                "retries, backend) "
                "SELECT %s, t.recipient_id, t.chunk, t.share, COALESCE(t.text, ''), %s, '', '', 0, 0, 0, 0, '', %s, "
                f"0, '' FROM {rows_table(columns, 't')}",
                [run.pk, str(S.QUEUED), queued_at, rows_param(rows)],
            )


def _publish_after_commit(run_id: int, chunks) -> None:
    from campaigns.services.dispatch import chunks_publish

    chunk_list = list(chunks)
    transaction.on_commit(lambda: chunks_publish(run_id=run_id, chunks=chunk_list))


# --- State transitions -------------------------------------------------------------


def run_start(*, run: Run) -> Run:
    """Scheduled → running for a run locked by the caller (the sweeper). Publishes
    its chunks after commit."""
    now = timezone.now()
    run.state, run.started_at = Run.State.RUNNING, now
    run.save(update_fields=["state", "started_at"])
    Attempt.objects.filter(run=run, status=S.QUEUED).update(queued_at=now)
    Recipient.objects.filter(run_attempts__run=run, status=Recipient.Status.SCHEDULED).update(
        status=Recipient.Status.QUEUED
    )
    _publish_after_commit(run.pk, range(run.chunks))
    return run


def _active_run_locked(*, user, campaign_id: int) -> Run:
    if not Campaign.objects.filter(owner=user, pk=campaign_id).exists():
        raise NotFoundError("Campaign not found.")
    run = (
        Run.objects.select_for_update()
        .filter(campaign_id=campaign_id, finished_at__isnull=True)
        .order_by("-id")
        .first()
    )
    if run is None:
        raise ConflictError("The campaign has no run in progress.", code="no_active_run")
    return run


def run_pause(*, user, campaign_id: int) -> Run:
    """Running → paused: no new attempt is claimed; calls in flight finish.
    Raises NotFoundError, ConflictError (no running run). Not repeatable (409)."""
    with transaction.atomic():
        run = _active_run_locked(user=user, campaign_id=campaign_id)
        if run.state != Run.State.RUNNING:
            raise ConflictError(f"The run is {run.state}; only a running run can be paused.", code="invalid_state")
        run.state = Run.State.PAUSED
        run.save(update_fields=["state"])
    return run


def run_resume(*, user, campaign_id: int) -> Run:
    """Paused → running; re-publishes the chunks that still have queued attempts.
    Raises NotFoundError, ConflictError (not paused)."""
    with transaction.atomic():
        run = _active_run_locked(user=user, campaign_id=campaign_id)
        if run.state != Run.State.PAUSED:
            raise ConflictError(f"The run is {run.state}; only a paused run can be resumed.", code="invalid_state")
        run.state = Run.State.RUNNING
        run.save(update_fields=["state"])
        pending = Attempt.objects.filter(run=run, status=S.QUEUED)
        chunks = sorted(set(pending.values_list("chunk", flat=True)))
        pending.update(queued_at=timezone.now())
        _publish_after_commit(run.pk, chunks)
    transaction.on_commit(lambda: run_finish_if_done(run_id=run.pk))
    return run


def run_cancel(*, user, campaign_id: int) -> Run:
    """Cancel the campaign's run in progress (scheduled, running or paused): every
    attempt not yet claimed becomes ``terminated`` and its share is released now;
    attempts in flight finish and are charged as usual. Raises NotFoundError,
    ConflictError (nothing to cancel, or already cancelled)."""
    with transaction.atomic():
        run = _active_run_locked(user=user, campaign_id=campaign_id)
        return _cancel_locked(run)


def run_cancel_by_id(*, run_id: int) -> Run:
    """The admin action: cancel a run by id (same rules as ``run_cancel``)."""
    with transaction.atomic():
        run = Run.objects.select_for_update().filter(pk=run_id, finished_at__isnull=True).first()
        if run is None:
            raise ConflictError("The run has already finished.", code="invalid_state")
        return _cancel_locked(run)


def _cancel_locked(run: Run) -> Run:
    if run.state == Run.State.CANCELLED:
        raise ConflictError("The run is already cancelled.", code="invalid_state")
    now = timezone.now()
    # Only unclaimed attempts: a chunk task's claim (queued → sending) and this
    # update exclude each other on the row.
    Attempt.objects.filter(run=run, status=S.QUEUED).update(
        status=S.TERMINATED, released=F("share"), finished_at=now, error="cancelled"
    )
    Recipient.objects.filter(run_attempts__run=run, run_attempts__status=S.TERMINATED).update(
        status=Recipient.Status.TERMINATED
    )
    released = Attempt.objects.filter(run=run, status=S.TERMINATED).aggregate(n=Sum("share"))["n"] or 0
    if released:
        ledger.release(
            user_id=run.owner_id,
            amount=released,
            idempotency_key=f"run:{run.pk}:cancel",
            reference=f"run:{run.pk}",
            note="run cancelled",
        )
    run.state, run.cancelled_at = Run.State.CANCELLED, now
    run.save(update_fields=["state", "cancelled_at"])
    run_id = run.pk
    transaction.on_commit(lambda: run_finish_if_done(run_id=run_id))
    return run


def run_finish_if_done(*, run_id: int) -> bool:
    """When no attempt of the run is pending: release what is left of the hold and
    mark the run finished (completed, or cancelled). Safe to call any number of
    times, concurrently: the run row lock and ``finished_at`` make it happen once."""
    pending = Attempt.objects.filter(run_id=run_id, status__in=Attempt.PENDING)
    if pending.exists():
        return False
    with transaction.atomic():
        run = Run.objects.select_for_update().filter(pk=run_id, finished_at__isnull=True).first()
        if run is None or run.state == Run.State.SCHEDULED or pending.exists():
            return False
        sums = Attempt.objects.filter(run_id=run_id).aggregate(charged=Sum("charged"), released=Sum("released"))
        rest = run.hold_amount - (sums["charged"] or 0) - (sums["released"] or 0)
        if rest > 0:
            ledger.release(
                user_id=run.owner_id,
                amount=rest,
                idempotency_key=f"run:{run.pk}:end",
                reference=f"run:{run.pk}",
                note="run finished",
            )
        run.end_release = max(rest, 0)
        run.finished_at = timezone.now()
        if run.state != Run.State.CANCELLED:
            run.state = Run.State.COMPLETED
        run.save(update_fields=["end_release", "finished_at", "state"])
    return True


# --- Outcomes ------------------------------------------------------------------------


@lru_cache(maxsize=256)
def _run_prices(run_id: int) -> Run:
    """The fields of a run that never change after begin (owner, kind, prices)."""
    return Run.objects.only("id", "owner_id", "kind", "pulse_seconds", "voice_rate").get(pk=run_id)


def _charge_for(*, run: Run, attempt: Attempt, charged: bool, duration: int | None) -> int:
    if not charged:
        return 0
    if run.kind == Run.Kind.SMS:
        return attempt.share
    return voice_share(seconds=duration or 0, pulse_seconds=run.pulse_seconds, rate=run.voice_rate)


def attempt_record_outcome(
    *,
    attempt_id: int,
    provider_status: str,
    provider_id: str = "",
    duration: int | None = None,
    playback: int | None = None,
    error: str = "",
    reference: str | None = None,
) -> Attempt | None:
    """Record a final provider outcome: the attempt and its recipient get the
    contract status, duration and playback; what was used is charged from the
    hold and the rest of the share released. Safe to repeat and to race: the
    attempt row lock and the final-status check make the second call a no-op.
    ``reference`` (from a status report) must be the attempt's current call: a
    late report of an earlier call (before a retry) changes nothing."""
    from campaigns.services import guards

    with transaction.atomic():
        attempt = Attempt.objects.select_for_update().filter(pk=attempt_id).first()
        if attempt is None or attempt.is_final or (reference is not None and reference != attempt.reference):
            return attempt
        run = _run_prices(attempt.run_id)
        status, is_charged = FINAL_BY_KIND[run.kind].get(provider_status, (S.FAILED, False))
        # Guardrails: retries left under the owner's policy → queued again, nothing settled.
        if guards.retry_schedule(
            run=run,
            attempt=attempt,
            status=status,
            provider_status=provider_status,
            provider_id=provider_id,
            error=error,
            now=timezone.now(),
        ):
            return attempt
        if status in (S.UNANSWERED, S.FAILED) or run.kind == Run.Kind.SMS:
            duration = playback = None
        used = _charge_for(run=run, attempt=attempt, charged=is_charged, duration=duration)
        from_hold = min(used, attempt.share)
        released = attempt.share - from_hold
        extra = used - from_hold
        key = f"attempt:{attempt.pk}"
        if from_hold:
            ledger.charge(
                user_id=run.owner_id, amount=from_hold, from_held=True, idempotency_key=f"{key}:charge", reference=key
            )
        if released:
            ledger.release(user_id=run.owner_id, amount=released, idempotency_key=f"{key}:release", reference=key)
        if extra and not _charge_extra(run=run, attempt_id=attempt.pk, extra=extra):
            extra = 0
        now = timezone.now()
        attempt.status, attempt.provider_status = status, provider_status
        attempt.provider_id = attempt.provider_id or provider_id
        attempt.charged, attempt.released, attempt.extra_charged = from_hold, released, extra
        attempt.duration, attempt.playback = duration, playback
        attempt.error = (error or ("" if status in (S.COMPLETED, S.HUNGUP) else provider_status))[:255]
        attempt.finished_at = now
        attempt.submitted_at = attempt.submitted_at or now
        attempt.save(
            update_fields=[
                "status",
                "provider_status",
                "provider_id",
                "charged",
                "released",
                "extra_charged",
                "duration",
                "playback",
                "error",
                "finished_at",
                "submitted_at",
            ]
        )
        Recipient.objects.filter(pk=attempt.recipient_id).update(
            status=status,
            duration=duration,
            playback=playback,
            credit_consumed=F("credit_consumed") + from_hold + extra,
            attempts=F("attempts") + 1,
            last_attempt_at=now,
            last_error=attempt.error,
        )
        # Guardrails: status webhook in this transaction; the call's concurrency slot freed.
        guards.outcome_emit(run=run, attempt=attempt)
        guards.call_finished(run=run, reference=attempt.reference)
        run_id = run.pk
        transaction.on_commit(lambda: run_finish_if_done(run_id=run_id))
    return attempt


def attempt_mark_in_flight(
    *, attempt_id: int, status: str, provider_id: str = "", backend: str = "", retries: int | None = None
) -> bool:
    """The provider accepted the message / placed the call: ``sent`` / ``ringing``.
    Never moves a final attempt back; safe to repeat. ``retries`` (from a report's
    reference) limits it to that call; ``backend`` records who took it (failover)."""
    changes = {"status": status, "submitted_at": timezone.now()}
    if provider_id:
        changes["provider_id"] = provider_id
    if backend:
        changes["backend"] = backend[:64]
    rows = Attempt.objects.filter(pk=attempt_id, status__in=(S.QUEUED, S.SENDING))
    if retries is not None:  # guardrails: a report of an earlier call never moves a retry
        rows = rows.filter(retries=retries, claimed_at__isnull=False)
    updated = rows.update(**changes)
    if updated:
        Recipient.objects.filter(run_attempts__pk=attempt_id, status=Recipient.Status.QUEUED).update(status=status)
    return bool(updated)


def attempt_record_report(report: StatusReport) -> None:
    """Handler for status reports with references ``attempt:<id>`` (registered in
    ``CampaignsConfig.ready``). Reports may arrive twice, late, out of order, or
    before the submission was recorded; none moves a status backwards."""
    finals, marks, _ = attempt_reports_parse([report])
    for outcome in finals:
        outcome.record()
    for attempt_id, status, provider_id, _, retries in marks:
        attempt_mark_in_flight(attempt_id=attempt_id, status=status, provider_id=provider_id, retries=retries)


# --- Outcomes of a batch (a chunk task's provider calls) ------------------------------


@dataclass(frozen=True)
class Outcome:
    """A final provider outcome of one attempt, as ``attempt_record_outcome`` takes it."""

    attempt_id: int
    provider_status: str
    provider_id: str = ""
    duration: int | None = None
    playback: int | None = None
    error: str = ""
    reference: str | None = None  # of the report, when it came from one

    @classmethod
    def of_report(cls, attempt_id: int, report: StatusReport, *, reference: str | None = None) -> Outcome:
        return cls(
            attempt_id,
            report.status.lower(),
            report.provider_id,
            report.duration,
            report.playback,
            report.error,
            reference=reference,
        )

    def record(self) -> Attempt | None:
        return attempt_record_outcome(**asdict(self))


def _needs_single_path(outcomes: list[Outcome]) -> set[int]:
    """Attempts whose outcome the guardrails act on one by one (voice: retry
    policy, call slots, per-call references; accounts with a status webhook):
    they go through ``attempt_record_outcome``; the rest are recorded as a batch."""
    from accounts.models import AccountSettings

    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id, run_id FROM {Attempt._meta.db_table} WHERE id = ANY(%s::bigint[])",  # noqa: S608 - table name only
            [ids_param(o.attempt_id for o in outcomes)],
        )
        run_of = dict(cursor.fetchall())
    runs = {run_id: _run_prices(run_id) for run_id in set(run_of.values())}
    hooked = set(
        AccountSettings.objects.filter(user_id__in={r.owner_id for r in runs.values()})
        .exclude(webhook_url="")
        .values_list("user_id", flat=True)
    )
    return {
        attempt_id
        for attempt_id, run_id in run_of.items()
        if runs[run_id].kind != Run.Kind.SMS or runs[run_id].owner_id in hooked
    }


def attempts_record_outcomes(outcomes: list[Outcome]) -> int:
    """``attempt_record_outcome`` for many attempts in one transaction: the
    attempts and their recipients are written in one statement, and the credits
    move once per run of the batch: one charge from the hold and one release,
    keyed ``run:<id>:chunk:<n>:charge|release:<first attempt id>``. Each attempt
    keeps its own ``charged`` / ``released`` and each recipient its exact
    ``credit_consumed``. Attempts already final (a single report got there first)
    are skipped — the UPDATE waits for a concurrent recording's row lock and
    re-checks — and an attempt recorded here is final for every later report, so
    the per-attempt and the batch paths never charge one attempt twice. A key is
    reused only by a batch whose first attempt is the same, which is then final:
    a repeat finds nothing to record. Returns how many attempts it recorded."""
    wanted: dict[int, Outcome] = {}
    for outcome in outcomes:
        wanted.setdefault(outcome.attempt_id, outcome)
    if not wanted:
        return 0
    single = set(wanted) if connection.vendor != "postgresql" else _needs_single_path(list(wanted.values()))
    recorded_one_by_one = sum(o.record() is not None for o in wanted.values() if o.attempt_id in single)
    wanted = {attempt_id: o for attempt_id, o in wanted.items() if attempt_id not in single}
    if not wanted:
        return recorded_one_by_one
    rows = [_outcome_row(outcome) for outcome in wanted.values()]
    now = timezone.now()
    with transaction.atomic():
        recorded = _write_outcomes(rows, now)
        if not recorded:
            return recorded_one_by_one
        groups: dict[int, list[tuple]] = {}
        for row in recorded:
            groups.setdefault(row[1], []).append(row)
        for run_id, group in groups.items():
            run = _run_prices(run_id)
            group.sort()
            first, chunk = group[0][0], group[0][2]
            charged = sum(row[3] for row in group)
            released = sum(row[4] for row in group)
            # The ledger last: the account row is locked only for the end of the transaction.
            key = f"run:{run_id}:chunk:{chunk}"
            reference, note = f"{key}:batch:{first}", f"{len(group)} outcomes"
            if charged:
                _checked(
                    ledger.charge(
                        user_id=run.owner_id,
                        amount=charged,
                        from_held=True,
                        idempotency_key=f"{key}:charge:{first}",
                        reference=reference,
                        note=note,
                    ),
                    charged,
                )
            if released:
                _checked(
                    ledger.release(
                        user_id=run.owner_id,
                        amount=released,
                        idempotency_key=f"{key}:release:{first}",
                        reference=reference,
                        note=note,
                    ),
                    released,
                )
        run_ids = list(groups)
        transaction.on_commit(lambda: [run_finish_if_done(run_id=run_id) for run_id in run_ids])
    return recorded_one_by_one + len(recorded)


def _outcome_row(outcome: Outcome) -> tuple:
    """What ``attempt_record_outcome`` derives from the provider status of an SMS:
    (id, status, charged?, provider status, provider id, error)."""
    status, charged = SMS_FINAL.get(outcome.provider_status, (S.FAILED, False))
    return (outcome.attempt_id, str(status), charged, outcome.provider_status, outcome.provider_id, outcome.error)


def _charge_extra(*, run: Run, attempt_id: int, extra: int) -> bool:
    key = f"attempt:{attempt_id}"
    try:
        ledger.charge(
            user_id=run.owner_id, amount=extra, from_held=False, idempotency_key=f"{key}:extra", reference=key
        )
    except InsufficientCreditsError:
        logger.warning("attempt %s used %s credits beyond its hold; balance too low", key, extra)
        return False
    return True


def _checked(entry, amount: int) -> None:
    """A batch key is never reused for other amounts (see attempts_record_outcomes)."""
    if entry.amount != amount:
        raise RuntimeError(f"ledger key {entry.idempotency_key} already used for {entry.amount}, not {amount}")


@contextmanager
def index_joins(cursor):
    """Batch statements join a few hundred ids to big tables: by primary key, in
    nested loops. Stale statistics (a table that just grew by a run's worth of
    rows) make the planner hash whole tables instead, once per batch; this rules
    that out for the statement (PostgreSQL, inside a transaction)."""
    cursor.execute("SET LOCAL enable_hashjoin = off; SET LOCAL enable_mergejoin = off")
    try:
        yield cursor
    finally:
        cursor.execute("SET LOCAL enable_hashjoin = on; SET LOCAL enable_mergejoin = on")


def _write_outcomes(rows: list[tuple], now: datetime) -> list[tuple]:
    """One statement: the attempts not final yet take their outcome and their
    recipients follow, by the rules of ``attempt_record_outcome`` for an SMS (the
    share when charged, no duration). Only SMS attempts come here: voice outcomes
    go one by one (``_needs_single_path``). Returns (id, run, chunk, charged,
    released) of what it recorded. The rows are one JSON parameter
    (tingting.sqlrows) whatever the batch size."""
    columns = [
        ("id", "bigint"),
        ("status", "text"),
        ("charged", "boolean"),
        ("provider_status", "text"),
        ("provider_id", "text"),
        ("error", "text"),
    ]
    attempts, recipients = Attempt._meta.db_table, Recipient._meta.db_table
    final = [str(status) for status in Attempt.FINAL]
    with connection.cursor() as cursor, index_joins(cursor):
        cursor.execute(
            f"WITH v AS (SELECT * FROM {rows_table(columns)}), "  # noqa: S608 - table names only
            f"moved AS (UPDATE {attempts} AS a SET status = v.status, provider_status = v.provider_status, "
            "  provider_id = CASE WHEN a.provider_id = '' THEN v.provider_id ELSE a.provider_id END, "
            "  charged = CASE WHEN v.charged THEN a.share ELSE 0 END, "
            "  released = CASE WHEN v.charged THEN 0 ELSE a.share END, "
            "  extra_charged = 0, duration = NULL, playback = NULL, finished_at = %s, "
            "  error = LEFT(COALESCE(NULLIF(v.error, ''), CASE WHEN v.status IN ('completed', 'hungup') THEN '' "
            "               ELSE v.provider_status END), 255), "
            "  submitted_at = COALESCE(a.submitted_at, %s) "
            "  FROM v WHERE a.id = v.id AND NOT (a.status = ANY(%s::text[])) "
            "  RETURNING a.id, a.run_id, a.chunk, a.charged, a.released, a.recipient_id, a.status, a.error), "
            f"touched AS (UPDATE {recipients} AS rc SET status = moved.status, duration = NULL, playback = NULL, "
            "  credit_consumed = rc.credit_consumed + moved.charged, "
            "  attempts = rc.attempts + 1, last_attempt_at = %s, last_error = moved.error "
            "  FROM moved WHERE rc.id = moved.recipient_id) "
            "SELECT id, run_id, chunk, charged, released FROM moved",
            [rows_param(rows), now, now, final, now],
        )
        return cursor.fetchall()


def attempts_mark_in_flight(marks: list[tuple[int, str, str, str, int]]) -> int:
    """``attempt_mark_in_flight`` for many (attempt id, status, provider id,
    backend, retries), in one statement. Never moves a final attempt back, nor a
    later call of it (guardrails' retries); safe to repeat."""
    if not marks:
        return 0
    if connection.vendor != "postgresql":
        return sum(
            attempt_mark_in_flight(attempt_id=a, status=s, provider_id=p, backend=b, retries=n)
            for a, s, p, b, n in marks
        )
    columns = [
        ("id", "bigint"),
        ("status", "text"),
        ("provider_id", "text"),
        ("backend", "text"),
        ("retries", "integer"),
    ]
    with transaction.atomic(), connection.cursor() as cursor, index_joins(cursor):
        cursor.execute(
            f"WITH moved AS (UPDATE {Attempt._meta.db_table} AS a SET status = v.status, submitted_at = %s, "  # noqa: S608 - table names only
            "provider_id = CASE WHEN v.provider_id = '' THEN a.provider_id ELSE v.provider_id END, "
            "backend = CASE WHEN v.backend = '' THEN a.backend ELSE LEFT(v.backend, 64) END "
            f"FROM {rows_table(columns)} "
            "WHERE a.id = v.id AND a.status IN ('queued', 'sending') AND a.retries = v.retries "
            "  AND a.claimed_at IS NOT NULL "
            "RETURNING a.recipient_id, a.status) "
            f"UPDATE {Recipient._meta.db_table} AS r SET status = moved.status FROM moved "
            "WHERE r.id = moved.recipient_id AND r.status = 'queued'",
            [timezone.now(), rows_param((a, str(s), p, b, n) for a, s, p, b, n in marks)],
        )
        return cursor.rowcount


def attempt_reports_parse(
    reports: list[StatusReport],
) -> tuple[list[Outcome], list[tuple[int, str, str]], list[StatusReport]]:
    """Split reports into final outcomes and in-flight marks of attempts (first
    of each per attempt), and the reports that are not about attempts."""
    finals: list[Outcome] = []
    marks: dict[int, tuple[int, str, str, str, int]] = {}
    others: list[StatusReport] = []
    for report in reports:
        prefix, _, rest = report.reference.partition(":")
        if prefix != "attempt":
            others.append(report)
            continue
        try:
            # ``attempt:<id>`` or, for retry n of the guardrails' retry policy, ``attempt:<id>:<n>``.
            number, _, retry = rest.partition(":")
            attempt_id, retries = int(number), int(retry or 0)
        except ValueError:
            logger.warning("Malformed attempt reference %r", report.reference)
            continue
        status = report.status.lower()
        # The status alone says what it is: the SMS and voice vocabularies share only
        # "failed" (the same outcome for both) and "queued" (nothing to record).
        if status in SMS_FINAL or status in VOICE_FINAL:
            finals.append(Outcome.of_report(attempt_id, report, reference=report.reference))
        elif status in IN_FLIGHT_STATUS:
            marks.setdefault(attempt_id, (attempt_id, IN_FLIGHT_STATUS[status], report.provider_id, "", retries))
        elif status != "queued":
            logger.warning("Unknown status %r for attempt %s", report.status, attempt_id)
    return finals, list(marks.values()), others


def attempt_record_reports(reports: list[StatusReport]) -> None:
    """List handler for ``attempt:<id>`` reports (``reports.deliver_many``): the
    final ones are recorded as one batch, the others mark attempts in flight.
    Same rules as ``attempt_record_report``."""
    finals, marks, _ = attempt_reports_parse(reports)
    done = {outcome.attempt_id for outcome in finals}
    attempts_mark_in_flight([mark for mark in marks if mark[0] not in done])
    attempts_record_outcomes(finals)
