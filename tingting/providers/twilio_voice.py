"""Twilio Calls API (API_CONTRACT §6).

``place_call`` posts ``To``, ``From`` (the caller id), inline TwiML
``<Response><Play>audio</Play></Response>``, and a status callback for the
``initiated``/``ringing``/``answered``/``completed`` events to
``/2010-04-01/Accounts/{sid}/Calls.json``; ``MachineDetection=Enable`` when
``TWILIO_MACHINE_DETECTION`` is on.

Outcomes from Twilio's ``CallStatus``:

- ``queued``/``initiated``/``ringing`` → ``ringing``; ``in-progress`` → ``answered``
- ``completed`` → ``completed`` when the call lasted the whole audio
  (``CallDuration`` ≥ the audio's whole seconds), else ``hungup``; answered by a
  machine or fax (``AnsweredBy``, with detection on) → ``unanswered``
- ``busy``, ``no-answer`` → ``unanswered``; ``failed`` → ``failed``
- ``canceled`` → ``terminated`` when we cancelled it (``cancel``), else ``failed``;
  a call we hung up on while it played is ``terminated`` too.

``duration`` is ``CallDuration``; ``playback`` is min(duration, audio seconds
rounded up). Reconciliation works as for SMS (see ``twilio_sms``): by Call SID
when known, else the oldest recent call to the number from our caller id that
no other row claimed.
"""

from __future__ import annotations

import math
from xml.sax.saxutils import escape

from django.conf import settings
from django.utils import timezone

from tingting.models import ProviderMessage
from tingting.providers import records
from tingting.providers.base import (
    OutboundCall,
    StatusReport,
    Submission,
    VoiceBackend,
)
from tingting.providers.twilio_common import (
    TwilioClient,
    TwilioSubmitMixin,
    public_url,
    recent_candidates,
)

PROGRESS = {"queued": "ringing", "initiated": "ringing", "ringing": "ringing", "in-progress": "answered"}
MACHINE_PREFIXES = ("machine", "fax")
RINGING = ("queued", "initiated", "ringing")  # what Status=canceled can stop


def call_outcome(
    *,
    call_status: str,
    duration: int | None,
    audio_seconds: float | None,
    answered_by: str = "",
    is_cancel_requested: bool = False,
) -> str | None:
    """Our status for a Twilio call status (None: not one we know)."""
    if call_status in PROGRESS:
        return PROGRESS[call_status]
    if call_status in ("busy", "no-answer"):
        return "unanswered"
    if call_status == "failed":
        return "failed"
    if call_status == "canceled":
        return "terminated" if is_cancel_requested else "failed"
    if call_status != "completed":
        return None
    if answered_by.startswith(MACHINE_PREFIXES):
        return "unanswered"
    if is_cancel_requested:
        return "terminated"
    if audio_seconds is None or (duration or 0) >= math.floor(audio_seconds):
        return "completed"
    return "hungup"


def _int_or_none(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def playback_of(duration: int | None, audio_seconds: float | None) -> int | None:
    if duration is None:
        return None
    if audio_seconds is None:
        return duration
    return min(duration, math.ceil(audio_seconds))


def twiml_play(audio_url: str) -> str:
    return f"<Response><Play>{escape(audio_url)}</Play></Response>"


class TwilioVoiceBackend(TwilioSubmitMixin, VoiceBackend):
    name = "twilio-voice"
    # Credentials for the REST API; PUBLIC_BASE_URL for the status callbacks (and audio) Twilio fetches.
    required_settings = ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "PUBLIC_BASE_URL")

    def __init__(self) -> None:
        self.client = TwilioClient()

    def place_call(self, call: OutboundCall) -> Submission:
        caller_id = call.caller_id or settings.TWILIO_FROM_NUMBER
        row, created = records.provider_message_begin(
            backend=self.name,
            reference=call.reference,
            to=call.to,
            sender=caller_id,
            body=call.audio_url,
            audio_seconds=call.audio_seconds,
        )
        if not created:
            previous = self._previous(row)
            if previous is not None:
                return previous
            records.provider_message_retry(row=row)
        audio_url = call.audio_url if "://" in call.audio_url else public_url(call.audio_url)
        data = {"To": call.to, "From": caller_id, "Twiml": twiml_play(audio_url)}
        callback = call.callback_url or public_url("/webhooks/twilio/voice/", ref=call.reference)
        if callback:
            data.update(
                StatusCallback=callback,
                StatusCallbackMethod="POST",
                StatusCallbackEvent=["initiated", "ringing", "answered", "completed"],
            )
        if settings.TWILIO_MACHINE_DETECTION:
            data["MachineDetection"] = "Enable"
        return self._submit(row, "Calls.json", data)

    def cancel(self, reference: str) -> bool:
        """Stop our call: cancel it while it rings, hang up once answered. Its
        final report is then ``terminated``. False when there is nothing to stop.

        The choice follows the call's live status at Twilio, not our record of it
        (a callback may be in flight): ``canceled`` only touches a queued or
        ringing call, so a call answered meanwhile is hung up with ``completed``.
        The cancel flag is set once Twilio took the request, so a refused cancel
        never turns a real outcome into ``terminated``."""
        row = records.provider_message_find(backend=self.name, reference=reference)
        if row is None or not row.provider_id or records.STATUS_RANK.get(row.status, 0) >= 3:
            return False
        resource = f"Calls/{row.provider_id}.json"
        live = self.client.get(resource).get("status", "")
        if live not in RINGING and live != "in-progress":
            return False  # already over at Twilio: its final report is on its way
        answer = self.client.post(resource, {"Status": "canceled" if live in RINGING else "completed"})
        if answer.get("status") == "in-progress":  # answered between our read and the cancel
            answer = self.client.post(resource, {"Status": "completed"})
        ProviderMessage.objects.filter(pk=row.pk).update(is_cancel_requested=True)
        return True

    def lookup(self, reference: str) -> StatusReport | None:
        """Twilio's view of our call, by Call SID or among recent calls to the number."""
        row = records.provider_message_find(backend=self.name, reference=reference)
        if row is None or row.state == ProviderMessage.State.REJECTED:
            return None
        if row.provider_id:
            resource = self.client.get(f"Calls/{row.provider_id}.json")
        else:
            page = self.client.get("Calls.json", params={"To": row.to, "From": row.sender, "PageSize": 50})
            claimed = set(
                ProviderMessage.objects.filter(backend=self.name, to=row.to)
                .exclude(provider_id="")
                .values_list("provider_id", flat=True)
            )
            candidates = recent_candidates(page.get("calls", []), since=row.created_at, claimed=claimed)
            if not candidates:
                return None
            resource = candidates[0]
            row = records.provider_message_reconciled(row=row, provider_id=resource["sid"])
        return self._report(row, resource)

    def _report(self, row: ProviderMessage, resource: dict) -> StatusReport:
        duration = _int_or_none(resource.get("duration"))
        status = (
            call_outcome(
                call_status=resource.get("status", ""),
                duration=duration,
                audio_seconds=row.audio_seconds,
                answered_by=resource.get("answered_by") or "",
                is_cancel_requested=row.is_cancel_requested,
            )
            or "ringing"
        )
        records.provider_message_status(row=row, status=status)
        final = records.STATUS_RANK[status] >= 3
        return StatusReport(
            reference=row.reference,
            provider_id=resource["sid"],
            status=status,
            occurred_at=timezone.now(),
            duration=duration if final else None,
            playback=playback_of(duration, row.audio_seconds) if final else None,
        )


def callback_report(*, params, reference: str) -> StatusReport | None:
    """A verified Calls status callback → our report (None: not a status we report)."""
    sid = params.get("CallSid", "")
    row = records.provider_message_find(backend=TwilioVoiceBackend.name, reference=reference, provider_id=sid)
    duration = _int_or_none(params.get("CallDuration"))
    audio_seconds = row.audio_seconds if row else None
    status = call_outcome(
        call_status=params.get("CallStatus", ""),
        duration=duration,
        audio_seconds=audio_seconds,
        answered_by=params.get("AnsweredBy", ""),
        is_cancel_requested=bool(row and row.is_cancel_requested),
    )
    if status is None:
        return None
    final = records.STATUS_RANK[status] >= 3
    error = f"twilio {params['ErrorCode']}" if params.get("ErrorCode") else ""
    if status == "unanswered" and params.get("AnsweredBy", "").startswith(MACHINE_PREFIXES):
        error = f"answered by {params['AnsweredBy']}"
    return records.provider_message_report(
        backend=TwilioVoiceBackend.name,
        reference=reference,
        provider_id=sid,
        status=status,
        row=row,
        duration=duration if final else None,
        playback=playback_of(duration, audio_seconds) if final else None,
        error=error,
    )
