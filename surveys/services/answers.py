"""Recording what scripted calls collect: one answer per attempt and step.

``answer_record`` is the handler ``tingting.providers.scripts`` routes every
``StepAnswer`` of an ``attempt:<id>`` reference to, from Twilio's action and
recording callbacks and from the simulated backend alike. The first answer of
a step wins; a replay (or the recording callback that follows an action
callback) only fills in what the row still lacks, so nothing is counted twice.
A recording the vendor keeps is fetched into our storage by the task
``surveys.recording_fetch`` after commit.
"""

from __future__ import annotations

import logging
import uuid

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction

from campaigns.models import Attempt
from surveys.models import SurveyAnswer, SurveyStep
from surveys.services.script import attempt_id_of
from tingting.providers import voice_backend
from tingting.providers.base import StepAnswer
from tingting.publish import task_publish_after_commit

logger = logging.getLogger(__name__)
RECORDING_FETCH = "surveys.recording_fetch"


def _save_recording(row: SurveyAnswer, audio: bytes) -> None:
    row.recording.save(f"{uuid.uuid4().hex}.wav", ContentFile(audio), save=False)
    SurveyAnswer.objects.filter(pk=row.pk, recording="").update(recording=row.recording.name)


def answer_record(answer: StepAnswer) -> SurveyAnswer | None:
    """Store ``answer`` for its attempt and step; None when it names no attempt or
    no step that collects input. Repeat-safe and race-safe (unique per attempt and
    step order): a second delivery changes only what the first left empty."""
    attempt_id = attempt_id_of(answer.reference)
    if attempt_id is None:
        return None
    rows = Attempt.objects.select_related("run").filter(pk=attempt_id).only("id", "recipient_id", "run__campaign_id")
    attempt = rows.first()
    if attempt is None:
        logger.warning("Answer for unknown attempt %s dropped", answer.reference)
        return None
    step = SurveyStep.objects.filter(campaign_id=attempt.run.campaign_id, order=answer.order).first()
    if step is None or not step.waits_for_input:
        return None
    digits = "".join(char for char in answer.digits if char in "0123456789*#")[: step.max_digits]
    is_record = step.response_type == SurveyStep.ResponseType.RAW_RECORD
    if not is_record and not digits:
        return None
    if is_record and not (answer.recording_url or answer.recording_audio):
        return None
    seconds = answer.recording_seconds if is_record else None
    try:
        with transaction.atomic():
            row, created = SurveyAnswer.objects.get_or_create(
                attempt_id=attempt.pk,
                step_order=step.order,
                defaults={
                    "campaign_id": attempt.run.campaign_id,
                    "recipient_id": attempt.recipient_id,
                    "step": step,
                    "input_name": step.input_name,
                    "response_type": step.response_type,
                    "digits": "" if is_record else digits,
                    "recording_url": answer.recording_url[:500] if is_record else "",
                    "recording_sid": answer.recording_sid[:64] if is_record else "",
                    "recording_seconds": seconds,
                    "answered_at": answer.occurred_at,
                },
            )
    except IntegrityError:  # a concurrent delivery of the same answer won
        row, created = SurveyAnswer.objects.get(attempt_id=attempt.pk, step_order=step.order), False
    if is_record and not created:
        # The recording callback after the action callback: fill what is missing only.
        filled: dict[str, object] = {}
        if answer.recording_url and not row.recording_url:
            filled.update(recording_url=answer.recording_url[:500], recording_sid=answer.recording_sid[:64])
        if seconds is not None and row.recording_seconds is None:
            filled["recording_seconds"] = seconds
        if filled:
            SurveyAnswer.objects.filter(pk=row.pk).update(**filled)
            row.refresh_from_db()
    if is_record and not row.recording:
        if answer.recording_audio:
            _save_recording(row, answer.recording_audio)
        elif row.recording_url:
            task_publish_after_commit(RECORDING_FETCH, [row.pk])
    return row


def answer_fetch_recording(*, answer_id: int) -> bool:
    """Copy a recording the vendor keeps into our storage. True when stored now;
    False when there is nothing to do (already stored, unknown, no URL). Raises the
    backend's ProviderError (the task retries temporary ones). Repeat-safe."""
    row = SurveyAnswer.objects.filter(pk=answer_id).first()
    if row is None or row.recording or not row.recording_url:
        return False
    audio = voice_backend().fetch_recording(row.recording_url)
    _save_recording(row, audio)
    return True
