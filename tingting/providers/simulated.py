"""Deterministic simulated SMS and voice providers (API_CONTRACT §8).

Like a vendor's test numbers, the recipient's last digit decides the outcome:
0-6 completed / delivered, 7 hungup / undelivered, 8 unanswered / expired,
9 failed (an SMS is refused at submission; a call is accepted, then fails).
A call lasts the audio length (hungup: half of it). Every request is recorded
in ``SimulatedDelivery`` and its status reports go through
``tingting.providers.reports.deliver``, the path real webhooks take.
"""

from __future__ import annotations

import math
import uuid

from celery import current_app
from django.conf import settings
from django.db import connection
from django.utils import timezone

from tingting.models import SimulatedDelivery
from tingting.providers import reports
from tingting.providers.base import (
    OutboundCall,
    OutboundSms,
    SmsBackend,
    StatusReport,
    Submission,
    VoiceBackend,
)
from tingting.sqlrows import rows_param, rows_table

REPORT_TASK = "tingting.simulated_report"
SMS_OUTCOMES = {"7": "undelivered", "8": "expired", "9": "failed"}
VOICE_OUTCOMES = {"7": "hungup", "8": "unanswered", "9": "failed"}


def sms_outcome(number: str) -> str:
    return SMS_OUTCOMES.get(number[-1:], "delivered")


def voice_outcome(number: str) -> str:
    return VOICE_OUTCOMES.get(number[-1:], "completed")


def _emit(reports_to_send: list[StatusReport], *, batch: bool = False) -> None:
    delay = getattr(settings, "SIMULATED_REPORT_DELAY_SECONDS", 0)
    if delay:
        # By task name: tingting.tasks imports the providers.
        for report in reports_to_send:
            current_app.signature(REPORT_TASK, args=[_to_json(report)]).apply_async(countdown=delay)
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
        row, emitted = self._call(call, timezone.now())
        row.save(force_insert=True)
        _emit(emitted)
        return Submission(provider_id=row.provider_id)

    @staticmethod
    def _call(call: OutboundCall, now) -> tuple[SimulatedDelivery, list[StatusReport]]:
        outcome = voice_outcome(call.to)
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
        return row, [
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
        ]

    @classmethod
    def has_batch(cls) -> bool:
        return cls.place_call is SimulatedVoiceBackend.place_call

    def place_calls(self, calls: list[OutboundCall]) -> list[Submission | Exception]:
        """One insert for the batch, then its reports in one batch."""
        if not self.has_batch():
            return super().place_calls(calls)
        now = timezone.now()
        made = [self._call(call, now) for call in calls]
        SimulatedDelivery.objects.bulk_create([row for row, _ in made], batch_size=1000)  # paced: few at once
        _emit([report for _, emitted in made for report in emitted], batch=True)
        return [Submission(provider_id=row.provider_id) for row, _ in made]

    def lookup(self, reference: str) -> StatusReport | None:
        row = SimulatedDelivery.objects.filter(reference=reference, channel="voice").order_by("-id").first()
        if row is None:
            return None
        return StatusReport(
            reference, row.provider_id, row.outcome, row.created_at, duration=row.duration, playback=row.duration
        )
