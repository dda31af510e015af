"""Begin a run: choose its content, find its targets, estimate and hold the credits,
create one queued attempt per target, and publish its chunks after commit (docs/api/API_CONTRACT.md §2 begin).

What the hold covers and how it is spent: see ``run``. The attempts are written with
one INSERT … SELECT per 20,000 rows; ``ATTEMPT_COLUMNS`` names every column of
``Attempt`` with what a new attempt holds (a test holds it to the model).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import TypedDict, Unpack

from django.conf import settings
from django.core.files import File
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from accounts import ledger
from accounts.models import User
from campaigns.models import Attempt, Campaign, Recipient, Run
from campaigns.models.run import run_ledger_key
from campaigns.services.personalise import check_placeholders, placeholders, render_message, tag_gaps
from campaigns.services.publish import chunks_publish_after_commit
from tingting.errors import ConflictError, FieldError, InvalidInputError, NotFoundError
from tingting.providers import scripts
from tingting.segments import segment_count
from tingting.sqlrows import rows_param, rows_table
from tingting.transactions import retry_transient
from tingting.voice.render import account_scope, render_cached

RERUN_STATUSES = ("hungup", "unanswered", "failed", "terminated", "completed")
# Distinct personalised voice texts rendered at begin for an exact estimate;
# beyond this the longest text's duration is held for every recipient.
RENDER_AT_BEGIN_LIMIT = 20
S = Attempt.Status
# Every column of a new attempt and its value in the INSERT of ``_create_attempts``:
# ``t.`` from the rows, ``r.`` from the run. The database has no defaults (Django keeps
# them), so a field added to the model needs its value here: tests/runs/test_runs_begin.py
# fails until it has one.
ATTEMPT_COLUMNS = {
    "run_id": "r.run_id",
    "recipient_id": "t.recipient_id",
    "chunk": "t.chunk",
    "status": "r.status",
    "provider_status": "''",
    "provider_id": "''",
    "text": "COALESCE(t.text, '')",
    "share": "t.share",
    "charged": "0",
    "released": "0",
    "extra_charged": "0",
    "tries": "0",
    "error": "''",
    "duration": "NULL",
    "playback": "NULL",
    "queued_at": "r.queued_at",
    "claimed_at": "NULL",
    "submitted_at": "NULL",
    "finished_at": "NULL",
    "retries": "0",
    "next_attempt_at": "NULL",
    "backend": "''",
}


@dataclass(frozen=True)
class AudioUpload:
    """A checked ``aud_file`` upload (``tingting.voice.uploads.inspect_audio_upload``)."""

    file: File
    seconds: float


def _choose_content(*, campaign: Campaign, message: str | None, audio: AudioUpload | None, priority: str | None) -> str:
    """Which content this run uses (docs/api/API_CONTRACT.md §2: message / aud_file / priority)."""
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
    distinct = list(dict.fromkeys(texts))
    if len(distinct) <= RENDER_AT_BEGIN_LIMIT:
        return {
            text: render_cached(text=text, voice=voice, length_factor=length_factor, scope=scope).duration
            for text in distinct
        }
    longest = max(distinct, key=len)
    return render_cached(text=longest, voice=voice, length_factor=length_factor, scope=scope).duration


@retry_transient
class BeginArgs(TypedDict, total=False):
    """What a begin is asked for (the begin input, parsed: ``RunBeginInput.begin_kwargs``),
    the same for ``run_begin`` and ``run_estimate``; every key may be left out (None)."""

    message: str | None  # the text sent or spoken; else the campaign's
    audio: AudioUpload | None  # a new audio file for the campaign
    voice_input: str | None
    length_factor: float | None
    schedule_at: datetime | None  # a scheduled run (begin only; the estimate is the same)
    individual: list[int] | None  # recipient ids
    statuses: list[str] | None  # a re-run of the recipients in these statuses
    priority: str | None  # "message" or "audio" when both are there


def run_begin(*, user: User, campaign_id: int, chunk_size: int | None = None, **args: Unpack[BeginArgs]) -> Run:
    """Start (or schedule) a run of the campaign: content chosen and stored on the
    campaign, one attempt per target, the estimate held, chunks published after
    commit. Raises NotFoundError (not the owner's), InvalidInputError (content,
    placeholders, targets), InsufficientCreditsError (402, nothing starts),
    ConflictError (a run is in progress). Not safe to repeat: a second call
    while the first run is active answers 409."""
    chunk_size = chunk_size or settings.RUN_CHUNK_SIZE
    try:
        # durable: an entry service; it commits when it returns (what it publishes after commit
        # relies on that), so no caller may wrap it in a transaction of its own.
        with transaction.atomic(durable=True):
            # The campaign row lock serialises two begins of one campaign; the
            # partial unique index on runs is the backstop.
            campaign = Campaign.objects.select_for_update().filter(owner=user, pk=campaign_id).first()
            if campaign is None:
                raise NotFoundError("Campaign not found.")
            if campaign.import_state in (Campaign.ImportState.PENDING, Campaign.ImportState.RUNNING):
                raise ConflictError("The campaign's recipients are still being imported.", code="import_in_progress")
            if Run.objects.filter(campaign=campaign, finished_at__isnull=True).exists():
                raise ConflictError("Campaign is already running.", code="campaign_running")
            run = _create_run(campaign=campaign, user=user, args=args, chunk_size=chunk_size)
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


def _plan_run(*, campaign: Campaign, user: User, args: BeginArgs) -> RunPlan:
    message, audio, statuses = args.get("message"), args.get("audio"), args.get("statuses")
    voice_input, length_factor = args.get("voice_input"), args.get("length_factor")
    is_sms = campaign.services == Campaign.Services.SMS
    # A survey plays its script (tingting.providers.scripts), not a message or an audio file.
    is_survey = campaign.services == Campaign.Services.SURVEY
    content: str
    if is_survey:
        content, text = Run.Content.MESSAGE, ""
    else:
        content = _choose_content(campaign=campaign, message=message, audio=audio, priority=args.get("priority"))
        text = (message if message else campaign.message) if content == Run.Content.MESSAGE else ""
        if content == Run.Content.MESSAGE:
            check_placeholders(usable_tags=campaign.usable_tags, text=text)
    voice = voice_input or campaign.voice_input or "np_rija"
    factor = length_factor if length_factor is not None else (campaign.length_factor or 1.0)
    personalised = content == Run.Content.MESSAGE and bool(placeholders(text))
    targets = _targets(campaign=campaign, individual=args.get("individual"), statuses=statuses, with_tags=personalised)
    if not targets:
        raise InvalidInputError(
            "No recipient matches: nothing to run.", field="status" if statuses else None, code="empty_target"
        )
    texts = [render_message(text, tags or {}) for _, tags in targets] if personalised else []
    plan = RunPlan(content, text, voice, factor, personalised, targets, texts, shares=[])
    # The prices a run created now would carry (Run.voice_share reads them).
    prices = Run(sms_rate=user.sms_rate, voice_rate=user.voice_rate, pulse_seconds=settings.VOICE_PULSE_SECONDS)

    if is_sms:
        if personalised:
            plan.shares = [max(1, segment_count(t)) * prices.sms_rate for t in texts]
        else:
            plan.shares = [max(1, segment_count(text)) * prices.sms_rate] * len(targets)
    elif is_survey:
        script = scripts.script_for(f"campaign:{campaign.pk}:{voice}:{factor}")
        if not script:
            raise InvalidInputError("The survey has no steps yet.", field="steps", code="no_steps")
        plan.audio_seconds = scripts.script_seconds(script)
        # Every retry and wait in full: the longest call the script can make.
        plan.shares = [prices.voice_share(scripts.script_longest_seconds(script))] * len(targets)
    else:
        if content == Run.Content.AUDIO:
            # A campaign's audio file is stored with its seconds (the same begin saves both).
            seconds = audio.seconds if audio is not None else (campaign.audio_seconds or 0.0)
            plan.audio_seconds = seconds
            plan.shares = [prices.voice_share(seconds)] * len(targets)
        elif personalised:
            durations = _voice_seconds(texts=texts, voice=voice, length_factor=factor, scope=account_scope(user.pk))
            plan.shares = [
                prices.voice_share(durations[t] if isinstance(durations, dict) else durations) for t in texts
            ]
        else:
            render = render_cached(text=text, voice=voice, length_factor=factor, scope=account_scope(user.pk))
            plan.audio_name, plan.audio_seconds = render.audio.name or "", render.duration
            plan.shares = [prices.voice_share(render.duration)] * len(targets)
    return plan


def run_most_spent(*, campaign: Campaign, user: User, plan: RunPlan) -> int:
    """The most a run of ``plan`` can spend: its hold, plus for ``SMS & PHONE`` with
    failover targets one failover SMS per target (each is held and charged apart)."""
    most = plan.hold
    if campaign.services == Campaign.Services.SMS_PHONE and campaign.failover_target and campaign.sms_message.strip():
        most += len(plan.targets) * max(1, segment_count(campaign.sms_message)) * user.sms_rate
    return most


def _check_credit_limit(*, campaign: Campaign, user: User, plan: RunPlan) -> None:
    """A campaign's ``credit_limit`` (> 0; the v1 face sets it) caps what one run may hold
    and spend: a run whose most (``run_most_spent``) is over it does not start (400
    naming ``credit_limit``), rather than being cut short halfway through the list."""
    if not campaign.credit_limit:
        return
    most = run_most_spent(campaign=campaign, user=user, plan=plan)
    if most > campaign.credit_limit:
        raise InvalidInputError(
            f"This run may use up to {most} credits, over the campaign's credit_limit of "
            f"{campaign.credit_limit}: raise credit_limit or run fewer contacts.",
            code="credit_limit_exceeded",
            field="credit_limit",
            data={"required": most, "credit_limit": campaign.credit_limit},
        )


def run_estimate(*, user: User, campaign_id: int, **args: Unpack[BeginArgs]) -> RunPlan:
    """The hold and targets ``run_begin`` would take with the same arguments (``schedule_at``
    changes neither), without
    writing anything (a voice message is rendered, as begin would, into the TTS cache).
    Raises NotFoundError and the InvalidInputErrors of begin. Safe to repeat."""
    campaign = Campaign.objects.filter(owner=user, pk=campaign_id).first()
    if campaign is None:
        raise NotFoundError("Campaign not found.")
    return _plan_run(campaign=campaign, user=user, args=args)


def _create_run(*, campaign: Campaign, user: User, args: BeginArgs, chunk_size: int) -> Run:
    is_sms = campaign.services == Campaign.Services.SMS
    plan = _plan_run(campaign=campaign, user=user, args=args)
    message, audio, schedule_at = args.get("message"), args.get("audio"), args.get("schedule_at")
    _check_credit_limit(campaign=campaign, user=user, plan=plan)
    text, voice, factor = plan.text, plan.voice, plan.factor
    personalised, targets, texts, shares = plan.personalised, plan.targets, plan.texts, plan.shares
    gaps = tag_gaps(text=text, targets=targets) if personalised else None
    run = Run(
        campaign=campaign,
        owner=user,
        kind=Run.Kind.SMS if is_sms else Run.Kind.VOICE,
        content=plan.content,
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
            idempotency_key=run_ledger_key(run.pk, "hold"),
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
        run.audio_name = campaign.audio_file.name or ""
        run.save(update_fields=["audio_name", "audio_seconds"])
    if not schedule_at:
        chunks_publish_after_commit(run.pk, range(run.chunks))
    run.tag_gaps = gaps  # not stored: the begin answer reports it
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
    sql = (
        f"INSERT INTO {Attempt._meta.db_table} ({', '.join(ATTEMPT_COLUMNS)}) "  # noqa: S608 - our names only
        f"SELECT {', '.join(ATTEMPT_COLUMNS.values())} FROM {rows_table(columns, 't')} "
        "CROSS JOIN (SELECT %s::bigint AS run_id, %s::text AS status, %s::timestamptz AS queued_at) AS r"
    )
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
            cursor.execute(sql, [rows_param(rows), run.pk, str(S.QUEUED), queued_at])
