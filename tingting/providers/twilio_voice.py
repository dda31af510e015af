"""Twilio Calls API (docs/api/API_CONTRACT.md §6).

``place_call`` posts ``To``, ``From`` (the caller id), inline TwiML
``<Response><Play>audio</Play></Response>``, and a status callback for the
``initiated``/``ringing``/``answered``/``completed`` events to
``/2010-04-01/Accounts/{sid}/Calls.json``; ``MachineDetection=Enable`` when
``TWILIO_MACHINE_DETECTION`` is on, in the background (``AsyncAmd=true`` with
``AsyncAmdStatusCallback`` → ``/webhooks/twilio/voice/amd/?ref=…``) unless
``TWILIO_ASYNC_AMD`` is off. Blocking detection plays nothing until it decides
(up to its timeout) while ``CallDuration`` runs, so a person who hung up during
the audio looked ``completed``; in the background the audio starts on answer and
``AnsweredBy`` arrives on its own callback, kept on the provider record
(``amd_report``) for the final status callback.

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

**Scripted calls** (surveys, ``OutboundCall.script``). The inline TwiML plays the
script from its first step up to the first step that waits for input, which is
wrapped as ``<Gather input="dtmf" numDigits timeout actionOnEmptyResult action>``
around its ``<Play>``, or followed by ``<Record maxLength timeout action
recordingStatusCallback>`` (then a ``<Redirect>`` to the same action, which
Twilio follows when nothing was recorded). Each ``action`` URL names the
reference, the step's order and the try (``/webhooks/twilio/voice/step/?ref=…&step=N&try=K``);
Twilio signs it with the rest of the request, so the step cannot be forged
either. The action callback hands what was collected to
``tingting.providers.scripts.deliver_answer`` and answers the next part of the
script: the same step again while its ``retries`` last and nothing came, else
from the next step on; ``<Hangup/>`` after the last step, or at once when the
owner's script lookup answers nothing (its run was cancelled). Recordings are
reported again on the recording status callback and fetched with
``fetch_recording`` (only from ``TWILIO_API_BASE``, the only host our
credentials go to). The outcome follows the usual rule, with the prompts' total
length as the audio's: a call that hung up before the end is ``hungup``.
"""

from __future__ import annotations

import math
from xml.sax.saxutils import escape

from django.conf import settings
from django.utils import timezone

from tingting.models import ProviderMessage
from tingting.providers import records, scripts
from tingting.providers.base import (
    OutboundCall,
    ProviderPermanentError,
    ScriptStep,
    StatusReport,
    StepAnswer,
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


def _attr(value: str) -> str:
    return escape(value, {'"': "&quot;"})


def step_action_url(reference: str, step: ScriptStep, tries: int) -> str:
    return public_url("/webhooks/twilio/voice/step/", ref=reference, step=str(step.order), tries=str(tries))


def twiml_script(reference: str, script: tuple[ScriptStep, ...], start: int = 0, tries: int = 0) -> str:
    """TwiML playing ``script`` from index ``start`` up to and including the next
    step that waits for input (see the module docstring); ``<Hangup/>`` when the
    script ends before one."""
    parts = []
    for step in script[start:]:
        play = f"<Play>{escape(step.audio_url)}</Play>" if step.audio_url else ""
        if not step.waits:
            parts.append(play)
            continue
        action = _attr(step_action_url(reference, step, tries))
        if step.response == "dtmf":
            parts.append(
                f'<Gather input="dtmf" numDigits="{step.max_digits}" timeout="{step.timeout}" '
                f'actionOnEmptyResult="true" action="{action}" method="POST">{play}</Gather>'
            )
        else:
            recording = _attr(public_url("/webhooks/twilio/voice/recording/", ref=reference, step=str(step.order)))
            parts.append(
                f'{play}<Record maxLength="{step.max_record_seconds}" timeout="{step.timeout}" playBeep="true" '
                f'action="{action}" method="POST" recordingStatusCallback="{recording}" '
                f'recordingStatusCallbackMethod="POST" recordingStatusCallbackEvent="completed"/>'
                f'<Redirect method="POST">{action}</Redirect>'
            )
        return "<Response>" + "".join(parts) + "</Response>"
    return "<Response>" + "".join(parts) + "<Hangup/></Response>"


HANGUP = "<Response><Hangup/></Response>"


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
        twiml = twiml_script(call.reference, call.script) if call.script else twiml_play(audio_url)
        data = {"To": call.to, "From": caller_id, "Twiml": twiml}
        callback = call.callback_url or public_url("/webhooks/twilio/voice/", ref=call.reference)
        if callback:
            data.update(
                StatusCallback=callback,
                StatusCallbackMethod="POST",
                StatusCallbackEvent=["initiated", "ringing", "answered", "completed"],
            )
        if settings.TWILIO_MACHINE_DETECTION:
            data["MachineDetection"] = "Enable"
            amd_callback = public_url("/webhooks/twilio/voice/amd/", ref=call.reference)
            if settings.TWILIO_ASYNC_AMD and amd_callback:
                # Blocking detection holds the audio back for up to its timeout while
                # CallDuration runs: a person who hung up early would count as completed.
                data.update(AsyncAmd="true", AsyncAmdStatusCallback=amd_callback, AsyncAmdStatusCallbackMethod="POST")
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

    def fetch_recording(self, url: str) -> bytes:
        """The WAV of a recording Twilio made (``RecordingUrl`` + ``.wav``). Only URLs
        on ``TWILIO_API_BASE``: our credentials go nowhere else."""
        base = settings.TWILIO_API_BASE.rstrip("/") + "/"
        if not url.startswith(base) or "/Recordings/" not in url:
            raise ProviderPermanentError(f"twilio: not a recording of our account: {url[:100]}")
        response = self.client.http.request("GET", url if url.endswith(".wav") else f"{url}.wav")
        return response.content

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
                answered_by=resource.get("answered_by") or row.answered_by,
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


def amd_report(*, params, reference: str) -> None:
    """A verified AsyncAmdStatusCallback: keep ``AnsweredBy`` on our call's record,
    where the final status callback reads it. A repeat writes the same value."""
    answered_by = params.get("AnsweredBy", "")[:32]
    if answered_by and _our_call(reference, params):
        ProviderMessage.objects.filter(backend=TwilioVoiceBackend.name, reference=reference).update(
            answered_by=answered_by
        )


def callback_report(*, params, reference: str) -> StatusReport | None:
    """A verified Calls status callback → our report (None: not a status we report)."""
    sid = params.get("CallSid", "")
    row = records.provider_message_find(backend=TwilioVoiceBackend.name, reference=reference, provider_id=sid)
    duration = _int_or_none(params.get("CallDuration"))
    audio_seconds = row.audio_seconds if row else None
    answered_by = params.get("AnsweredBy", "") or (row.answered_by if row else "")
    status = call_outcome(
        call_status=params.get("CallStatus", ""),
        duration=duration,
        audio_seconds=audio_seconds,
        answered_by=answered_by,
        is_cancel_requested=bool(row and row.is_cancel_requested),
    )
    if status is None:
        return None
    final = records.STATUS_RANK[status] >= 3
    error = f"twilio {params['ErrorCode']}" if params.get("ErrorCode") else ""
    if status == "unanswered" and answered_by.startswith(MACHINE_PREFIXES):
        error = f"answered by {answered_by}"
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


def _our_call(reference: str, params) -> bool:
    """The callback's CallSid is the call we placed for ``reference`` (when we know its SID)."""
    row = records.provider_message_find(backend=TwilioVoiceBackend.name, reference=reference)
    return row is not None and (not row.provider_id or row.provider_id == params.get("CallSid", ""))


def _int_param(params, name: str) -> int | None:
    return _int_or_none(params.get(name))


def _step_index(script: tuple[ScriptStep, ...], order: int) -> int | None:
    return next((index for index, step in enumerate(script) if step.order == order), None)


def _recording_answer(params, reference: str, step: ScriptStep) -> StepAnswer | None:
    url = params.get("RecordingUrl", "")
    seconds = _int_param(params, "RecordingDuration")
    if not url or (seconds is not None and seconds <= 0):
        return None
    return StepAnswer(
        reference=reference,
        order=step.order,
        occurred_at=timezone.now(),
        recording_url=url,
        recording_sid=params.get("RecordingSid", ""),
        recording_seconds=seconds,
    )


def script_action(*, params, reference: str, order: int, tries: int) -> str:
    """A verified action callback of a scripted call → the TwiML that continues it.

    What the step collected goes to the owner's answer handler; a replay delivers
    it again (the handler keeps the first) and answers the same TwiML."""
    script = scripts.script_for(reference) if _our_call(reference, params) else ()
    index = _step_index(script, order)
    if index is None:
        return HANGUP
    step = script[index]
    answer = None
    if step.response == "dtmf" and params.get("Digits"):
        answer = StepAnswer(reference=reference, order=order, occurred_at=timezone.now(), digits=params["Digits"])
    elif step.response == "record":
        answer = _recording_answer(params, reference, step)
    if answer is not None:
        scripts.deliver_answer(answer)
    elif tries < step.retries:
        return twiml_script(reference, script, index, tries + 1)
    return twiml_script(reference, script, index + 1)


def recording_status(*, params, reference: str, order: int) -> None:
    """A verified recording status callback: a finished recording is an answer
    (or completes the one its action callback gave)."""
    if params.get("RecordingStatus", "completed") != "completed" or not _our_call(reference, params):
        return
    script = scripts.script_for(reference)
    index = _step_index(script, order)
    if index is not None and script[index].response == "record":
        answer = _recording_answer(params, reference, script[index])
        if answer is not None:
            scripts.deliver_answer(answer)
