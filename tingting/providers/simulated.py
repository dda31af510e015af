"""Deterministic simulated SMS and voice providers (docs/api/API_CONTRACT.md §8).

Like a vendor's test numbers, the recipient's last digit decides the outcome:
0-6 completed / delivered, 7 hungup / undelivered, 8 unanswered / expired,
9 failed (an SMS is refused at submission; a call is accepted, then fails).
A call lasts the audio length (hungup: half of it). Every request is recorded
in ``SimulatedDelivery`` and its status reports go through
``tingting.providers.reports.deliver``, the path real webhooks take.

A scripted call (a survey) walks its script: every step of a completed call is
answered, a hungup one answers the first half of the steps that wait for input
and hangs up during the next one. Key presses come from the number
(``simulated_digits``: a weighted sum of its digits, the step and the key),
a recording is ``1 + order % 3`` seconds of generated tone (at most the step's
``max_record_seconds``). The answers go through
``tingting.providers.scripts.deliver_answer``, the path Twilio's action
callbacks take, before the call's reports; the duration adds up the prompts
played, a second per key-press answer and the recordings.
"""

from __future__ import annotations

import math
import uuid
from array import array

from django.conf import settings
from django.db import connection
from django.utils import timezone

from tingting.models import SimulatedDelivery
from tingting.providers import reports, scripts
from tingting.providers.base import (
    OutboundCall,
    OutboundSms,
    ScriptStep,
    SmsBackend,
    StatusReport,
    StepAnswer,
    Submission,
    VoiceBackend,
)
from tingting.providers.tts_espeak import wav_bytes
from tingting.publish import task_publish
from tingting.sqlrows import rows_param, rows_table

REPORT_TASK = "tingting.simulated_report"
SMS_OUTCOMES = {"7": "undelivered", "8": "expired", "9": "failed"}
VOICE_OUTCOMES = {"7": "hungup", "8": "unanswered", "9": "failed"}


def sms_outcome(number: str) -> str:
    return SMS_OUTCOMES.get(number[-1:], "delivered")


def voice_outcome(number: str) -> str:
    return VOICE_OUTCOMES.get(number[-1:], "completed")


def simulated_digits(number: str, step: ScriptStep) -> str:
    """``max_digits`` keys from a weighted sum of the number's digits, the step's
    order and the key's position: fixed per number, varied across numbers."""
    seed = sum((index + 1) * int(char) for index, char in enumerate(c for c in number if c.isdigit()))
    return "".join(str((seed + 3 * step.order + 7 * key) % 10) for key in range(step.max_digits))


def simulated_recording(step: ScriptStep) -> tuple[bytes, int]:
    """A short tone (8 kHz, 16-bit mono) and its whole seconds."""
    seconds = min(step.max_record_seconds, 1 + step.order % 3)
    rate = 8000
    period = [int(8000 * math.sin(2 * math.pi * 440 * n / rate)) for n in range(rate // 440 * 4)]
    samples = array("h", (period * (seconds * rate // len(period) + 1))[: seconds * rate])
    return wav_bytes(samples.tobytes(), rate), seconds


def walk_script(call: OutboundCall, outcome: str, now) -> tuple[list[StepAnswer], int | None]:
    """The answers a scripted call gives and how long it lasts (see the module docstring)."""
    if outcome not in ("completed", "hungup"):
        return [], None
    waiting = [step for step in call.script if step.waits]
    answered = len(waiting) if outcome == "completed" else len(waiting) // 2
    answers: list[StepAnswer] = []
    seconds = 0.0
    for step in call.script:
        if outcome == "hungup" and step.waits and len(answers) == answered:
            seconds += step.audio_seconds / 2  # hung up while this question played
            break
        seconds += step.audio_seconds
        if not step.waits:
            continue
        if step.response == "dtmf":
            answers.append(StepAnswer(call.reference, step.order, now, digits=simulated_digits(call.to, step)))
            seconds += 1
        else:
            audio, length = simulated_recording(step)
            answers.append(StepAnswer(call.reference, step.order, now, recording_audio=audio, recording_seconds=length))
            seconds += length
    else:
        if outcome == "hungup":  # nothing left to hang up on: half of the call
            seconds /= 2
    return answers, max(1, math.ceil(seconds))


def _emit(reports_to_send: list[StatusReport], *, batch: bool = False) -> None:
    delay = getattr(settings, "SIMULATED_REPORT_DELAY_SECONDS", 0)
    if delay:
        # By task name: tingting.tasks imports the providers.
        for report in reports_to_send:
            task_publish(REPORT_TASK, [_to_json(report)], countdown=delay)
    elif batch:
        reports.deliver_many(reports_to_send)
    else:
        for report in reports_to_send:
            reports.deliver(report)


_COLUMNS = [
    ("channel", "text"),
    ("provider_id", "text"),
    ("reference", "text"),
    ("to", "text"),
    ("sender", "text"),
    ("body", "text"),
    ("audio_url", "text"),
    ("outcome", "text"),
    ("duration", "integer"),
]


def _record_many(rows: list[dict], now) -> None:
    """Record a batch of requests: on PostgreSQL one INSERT with the rows as one
    parameter (tingting.sqlrows), about a tenth of bulk_create's cost per row,
    which matters at campaign speed; elsewhere bulk_create."""
    if connection.vendor != "postgresql":
        SimulatedDelivery.objects.bulk_create([SimulatedDelivery(**row) for row in rows], batch_size=1000)
        return
    names = [name for name, _ in _COLUMNS]
    quoted = ", ".join(connection.ops.quote_name(name) for name in names)  # "to" is an SQL keyword
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {SimulatedDelivery._meta.db_table} ({quoted}, created_at) "  # noqa: S608 - our column names
            f"SELECT {', '.join(f'v.{connection.ops.quote_name(n)}' for n in names)}, %s FROM {rows_table(_COLUMNS)}",
            [now, rows_param([row.get(name, "" if name != "duration" else None) for name in names] for row in rows)],
        )


def _to_json(report: StatusReport) -> dict:
    return {**report.__dict__, "occurred_at": report.occurred_at.isoformat()}


class SimulatedSmsBackend(SmsBackend):
    name = "simulated-sms"
    is_simulated = True

    def send(self, message: OutboundSms) -> Submission:
        row, submission, emitted = self._message(message, timezone.now())
        SimulatedDelivery.objects.create(**row)
        _emit(emitted)
        return submission

    @staticmethod
    def _message(message: OutboundSms, now) -> tuple[dict, Submission, list[StatusReport]]:
        """The request's record, the answer to it and the status reports it will get."""
        outcome = sms_outcome(message.to)
        provider_id = f"SM{uuid.uuid4().hex}"
        row = {
            "channel": "sms",
            "provider_id": provider_id,
            "reference": message.reference,
            "to": message.to,
            "sender": message.sender,
            "body": message.body,
            "outcome": outcome,
        }
        if outcome == "failed":
            return row, Submission(provider_id=provider_id, accepted=False, error="simulated: rejected by carrier"), []
        emitted = [
            StatusReport(message.reference, provider_id, "sent", now),
            StatusReport(message.reference, provider_id, outcome, now),
        ]
        return row, Submission(provider_id=provider_id), emitted

    @classmethod
    def has_batch(cls) -> bool:
        # A subclass that changes ``send`` (latency, faults) keeps it per message.
        return cls.send is SimulatedSmsBackend.send

    def send_many(self, messages: list[OutboundSms]) -> list[Submission | Exception]:
        """One insert for the batch, then its reports in one batch."""
        if not self.has_batch():
            return super().send_many(messages)
        now = timezone.now()
        made = [self._message(message, now) for message in messages]
        _record_many([row for row, _, _ in made], now)
        _emit([report for _, _, emitted in made for report in emitted], batch=True)
        return [submission for _, submission, _ in made]

    def lookup(self, reference: str) -> StatusReport | None:
        row = SimulatedDelivery.objects.filter(reference=reference, channel="sms").order_by("-id").first()
        if row is None:
            return None
        return StatusReport(reference, row.provider_id, row.outcome, row.created_at)


class SimulatedVoiceBackend(VoiceBackend):
    name = "simulated-voice"
    is_simulated = True

    def place_call(self, call: OutboundCall) -> Submission:
        row, emitted, answers = self._call(call, timezone.now())
        row.save(force_insert=True)
        for answer in answers:
            scripts.deliver_answer(answer)
        _emit(emitted)
        return Submission(provider_id=row.provider_id)

    @staticmethod
    def _call(call: OutboundCall, now) -> tuple[SimulatedDelivery, list[StatusReport], list[StepAnswer]]:
        outcome = voice_outcome(call.to)
        answers: list[StepAnswer] = []
        if call.script:
            answers, duration = walk_script(call, outcome, now)
        else:
            seconds = max(1, math.ceil(call.audio_seconds))
            duration = {"completed": seconds, "hungup": max(1, seconds // 2)}.get(outcome)
        provider_id = f"CA{uuid.uuid4().hex}"
        row = SimulatedDelivery(
            channel=SimulatedDelivery.Channel.VOICE,
            provider_id=provider_id,
            reference=call.reference,
            to=call.to,
            sender=call.caller_id,
            audio_url=call.audio_url,
            outcome=outcome,
            duration=duration,
        )
        return (
            row,
            [
                StatusReport(call.reference, provider_id, "ringing", now),
                StatusReport(
                    call.reference,
                    provider_id,
                    outcome,
                    now,
                    duration=duration,
                    playback=duration,
                    error="simulated: call failed" if outcome == "failed" else "",
                ),
            ],
            answers,
        )

    @classmethod
    def has_batch(cls) -> bool:
        return cls.place_call is SimulatedVoiceBackend.place_call

    def place_calls(self, calls: list[OutboundCall]) -> list[Submission | Exception]:
        """One insert for the batch, then its reports in one batch."""
        if not self.has_batch():
            return super().place_calls(calls)
        now = timezone.now()
        made = [self._call(call, now) for call in calls]
        SimulatedDelivery.objects.bulk_create([row for row, _, _ in made], batch_size=1000)  # paced: few at once
        for _, _, answers in made:
            for answer in answers:
                scripts.deliver_answer(answer)
        _emit([report for _, emitted, _ in made for report in emitted], batch=True)
        return [Submission(provider_id=row.provider_id) for row, _, _ in made]

    def lookup(self, reference: str) -> StatusReport | None:
        row = SimulatedDelivery.objects.filter(reference=reference, channel="voice").order_by("-id").first()
        if row is None:
            return None
        return StatusReport(
            reference, row.provider_id, row.outcome, row.created_at, duration=row.duration, playback=row.duration
        )
