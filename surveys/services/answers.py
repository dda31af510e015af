"""Recording what scripted calls collect: one answer per attempt and step.

``answer_record`` is the handler ``tingting.providers.scripts`` routes every
``StepAnswer`` of an ``attempt:<id>`` reference to, from Twilio's action and
recording callbacks and from the simulated backend alike. The first answer of
a step wins; a replay (or the recording callback that follows an action
callback) only fills in what the row still lacks, so nothing is counted twice.
A recording the vendor keeps is fetched into our storage by the task
``surveys.recording_fetch`` after commit; ``recordings_sweep`` publishes it again
for a recording still not copied (the broker was down, or every retry failed).
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime, timedelta

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.utils import timezone

from campaigns.models import Attempt
from surveys.models import SurveyAnswer, SurveyStep
from surveys.services.script import attempt_id_of
from tingting.providers import voice_backend
from tingting.providers.base import StepAnswer
from tingting.publish import task_publish, task_publish_after_commit

logger = logging.getLogger(__name__)
RECORDING_FETCH = "surveys.recording_fetch"


def _save_recording(row: SurveyAnswer, audio: bytes) -> None:
    row.recording.save(f"{uuid.uuid4().hex}.wav", ContentFile(audio), save=False)
    SurveyAnswer.objects.filter(pk=row.pk, recording="").update(recording=row.recording.name)


def _delete_files(names: list[str]) -> None:
    for name in names:
        default_storage.delete(name)


def answers_recordings_forget(*, recipient_ids: list[int]) -> int:
    """Remove the stored recordings of these recipients' answers from storage once the
    transaction that deletes the recipients (and, by cascade, the answers) commits; how
    many are due. Called through ``campaigns.extensions`` inside that transaction.
    Repeat-safe (a missing file is no error)."""
    names = list(
        SurveyAnswer.objects.filter(recipient_id__in=recipient_ids)
        .exclude(recording="")
        .values_list("recording", flat=True)
    )
    if names:
        transaction.on_commit(lambda: _delete_files(names))
    return len(names)


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
            # robust: the answer stands (the vendor's callback gets its 204); the sweep fetches later.
            task_publish_after_commit(RECORDING_FETCH, [row.pk], robust=True)
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


# A recording not copied this long after its answer is fetched again, for a day at most
# (a vendor keeps recordings for longer; the report links its URL meanwhile).
RECORDING_RETRY_AFTER = timedelta(minutes=10)
RECORDING_RETRY_FOR = timedelta(hours=24)


def recordings_sweep(*, now: datetime | None = None, limit: int = 200) -> int:
    """Publish ``surveys.recording_fetch`` again for answers whose recording is still
    only on the vendor's side, from ``RECORDING_RETRY_AFTER`` to ``RECORDING_RETRY_FOR``
    after they were stored. A duplicate is harmless (the fetch is repeat-safe).
    Returns how many it published."""
    now = now or timezone.now()
    missing = (
        SurveyAnswer.objects.filter(
            recording="",
            created_at__lt=now - RECORDING_RETRY_AFTER,
            created_at__gte=now - RECORDING_RETRY_FOR,
        )
        .exclude(recording_url="")
        .order_by("created_at")
        .values_list("pk", flat=True)
    )
    published = 0
    for answer_id in list(missing[:limit]):
        try:
            task_publish(RECORDING_FETCH, [answer_id])
        except Exception:  # noqa: BLE001 - any broker failure: the next sweep tries again
            logger.exception("Could not publish the recording fetch of answer %s", answer_id)
            break
        published += 1
    return published
