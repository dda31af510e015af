"""Replacing and deleting a survey's steps, with every step checked first.

Each problem is reported against the field the client sent, ``steps.<index>.<field>``
(the index in the list as sent, which is also how uploaded files are keyed), and
all of them at once. Nothing is written unless every step is valid. Uploaded audio
goes through the same checks as a campaign's ``aud_file``
(``tingting.voice.uploads.inspect_audio_upload``: sniffed format, size, length),
whose 413 / 415 / 400 name ``steps.<index>.audio_file``.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction

from accounts.models import User
from campaigns.models import Campaign, Run
from surveys.models import SurveyStep
from tingting.errors import ConflictError, FieldError, InvalidInputError, NotFoundError
from tingting.voice.uploads import inspect_audio_upload

SURVEY = Campaign.Services.SURVEY
MAX_STEPS = 50
MAX_TEXT = 1000
INPUT_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
# Columns every survey report row has; an input name may not shadow one.
RESERVED_NAMES = frozenset({"number", "status", "duration", "recording_url", "recording_seconds", "attempts"})
# (field, lowest, highest, default); max_digits / max_record_seconds apply to their response type.
LIMITS = {
    "timeout": (1, 60, 5),
    "max_digits": (1, 20, 1),
    "max_record_seconds": (1, 300, 30),
    "retries": (0, 5, 0),
}
CT, RT = SurveyStep.ContentType, SurveyStep.ResponseType


@dataclass
class CheckedStep:
    index: int  # position in the list as sent
    order: int | None
    values: dict
    upload: Any = None  # an UploadedFile
    audio_seconds: float | None = None


def _text(value: object) -> str:
    return value.strip() if isinstance(value, str) else ""


def _int_or_none(value):
    """An int from an int or a digit string; None for anything else (bools too)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    return None


def _is_url(value: str) -> bool:
    return value.lower().startswith(("http://", "https://")) and len(value) <= 500 and " " not in value


def _check_step(index: int, raw: object, upload: UploadedFile | None, errors: list[FieldError]) -> CheckedStep | None:
    at = f"steps.{index}"
    if not isinstance(raw, dict):
        errors.append(FieldError(at, "invalid", "Each step must be an object."))
        return None
    found: list[FieldError] = []

    def bad(field: str, code: str, message: str) -> None:
        found.append(FieldError(f"{at}.{field}", code, message))

    content_type = _text(raw.get("content_type")).lower()
    if content_type not in CT.values:
        bad("content_type", "invalid_choice", "content_type must be one of say, play, info.")
    response_type = _text(raw.get("response_type")).lower() or RT.NONE
    if content_type == CT.INFO:
        # An info step never waits (the SDK sends its default "dtmf" / "field_1" for every step).
        response_type = RT.NONE
    elif response_type not in RT.values:
        bad("response_type", "invalid_choice", "response_type must be one of dtmf, raw_record, none.")
    text = _text(raw.get("text_or_url"))
    linked = _text(raw.get("audio_file")) if isinstance(raw.get("audio_file"), str) else ""
    if len(text) > MAX_TEXT:
        bad("text_or_url", "too_long", f"text_or_url is longer than {MAX_TEXT} characters.")
    if content_type in (CT.SAY, CT.INFO) and not text:
        bad("text_or_url", "required", f"A {content_type} step needs the text to speak in text_or_url.")
    if content_type in (CT.SAY, CT.INFO) and upload is not None:
        bad("audio_file", "not_allowed", f"Only play steps take audio; this step is {content_type}.")
    if content_type == CT.PLAY and upload is None:
        link = linked if _is_url(linked) else text
        if not _is_url(link):
            bad(
                "audio_file",
                "required",
                f"A play step needs audio: upload a file keyed {index!r} or give its http(s) URL in text_or_url.",
            )
        else:
            text = link
    input_name = _text(raw.get("input_name"))
    if response_type in (RT.DTMF, RT.RAW_RECORD):
        if not input_name:
            bad("input_name", "required", "A step that collects an answer needs an input_name.")
        elif not INPUT_NAME.match(input_name):
            bad("input_name", "invalid", "input_name is letters, digits and _ (not first), at most 64.")
        elif input_name.lower() in RESERVED_NAMES:
            bad("input_name", "reserved", f"input_name {input_name!r} is a report column; choose another.")
    else:
        input_name = ""  # nothing is collected, so nothing is named
    values = {}
    for field, (low, high, default) in LIMITS.items():
        value = raw.get(field)
        if value is None or value == "":
            values[field] = default
            continue
        number = _int_or_none(value)
        if number is None or not low <= number <= high:
            bad(field, "out_of_range", f"{field} must be a whole number from {low} to {high}.")
        else:
            values[field] = number
    order = raw.get("order")
    order_value = None
    if order is not None and order != "":
        order_value = _int_or_none(order)
        if order_value is None or not 0 <= order_value <= 10_000:
            bad("order", "invalid", "order must be a whole number from 0 to 10000.")
    checked = CheckedStep(index=index, order=order_value, values={}, upload=upload)
    if upload is not None and content_type == CT.PLAY:
        # 413 / 415 / 400 naming the field; raised at once (another status than 400).
        checked.audio_seconds = inspect_audio_upload(upload, field=f"{at}.audio_file").duration
    errors.extend(found)
    if found:
        return None
    checked.values = {
        "content_type": content_type,
        "response_type": response_type,
        "text_or_url": text,
        "input_name": input_name,
        **values,
    }
    return checked


def steps_check(*, steps: object, files: dict) -> list[CheckedStep]:
    """Every step checked (InvalidInputError naming each ``steps.N.field``), in play order:
    by ``order`` when given, else as sent. ``files`` maps "N" to an upload."""
    if not isinstance(steps, list):
        raise InvalidInputError("steps must be a list of step objects.", field="steps", code="invalid")
    if len(steps) > MAX_STEPS:
        raise InvalidInputError(f"A survey has at most {MAX_STEPS} steps.", field="steps", code="too_many")
    errors: list[FieldError] = []
    for key in files:
        index = _int_or_none(key)
        if index is None or not 0 <= index < len(steps):
            errors.append(FieldError(str(key)[:40], "unknown_step", "Uploaded files are keyed by step index."))
    checked = [_check_step(index, raw, files.get(str(index)), errors) for index, raw in enumerate(steps)]
    names: dict[str, int] = {}
    orders: dict[int, int] = {}
    for step in checked:
        if step is None:
            continue
        name = step.values["input_name"].lower()
        if name and name in names:
            errors.append(
                FieldError(f"steps.{step.index}.input_name", "duplicate", f"steps.{names[name]} uses this name too.")
            )
        if name:
            names.setdefault(name, step.index)
        if step.order is not None and step.order in orders:
            errors.append(
                FieldError(f"steps.{step.index}.order", "duplicate", f"steps.{orders[step.order]} has this order.")
            )
        if step.order is not None:
            orders.setdefault(step.order, step.index)
    if errors:
        raise InvalidInputError(errors[0].message, errors=errors, code=errors[0].code)
    valid = [step for step in checked if step is not None]  # all of them: no error was found
    return sorted(valid, key=lambda s: (s.order if s.order is not None else s.index, s.index))


def _survey_locked(*, user: User, campaign_id: int) -> Campaign:
    campaign = Campaign.objects.select_for_update().filter(owner=user, pk=campaign_id).first()
    if campaign is None:
        raise NotFoundError("Campaign not found.")
    if campaign.services != SURVEY:
        raise InvalidInputError(
            "Only SURVEY campaigns have steps; set services to SURVEY first.", field="services", code="not_a_survey"
        )
    if Run.objects.filter(campaign=campaign, finished_at__isnull=True).exists():
        raise ConflictError("The survey is running; its steps cannot change now.", code="campaign_running")
    return campaign


def survey_steps_replace(*, user: User, campaign_id: int, steps: object, files: dict | None = None) -> list[SurveyStep]:
    """Replace the survey's steps with ``steps`` (dicts as the client sent them) and
    ``files`` (uploads keyed by step index). Raises NotFoundError (not the owner's),
    InvalidInputError (a bad step, not a survey), ConflictError (a run in progress),
    PayloadTooLargeError / UnsupportedMediaTypeError (audio). Repeat-safe: the same
    request leaves the same steps. Answers already given keep their input names."""
    checked = steps_check(steps=steps, files=files or {})
    with transaction.atomic():
        campaign = _survey_locked(user=user, campaign_id=campaign_id)
        SurveyStep.objects.filter(campaign=campaign).delete()
        made = []
        for order, step in enumerate(checked):
            row = SurveyStep(campaign=campaign, order=order, **step.values)
            if step.upload is not None:
                extension = (getattr(step.upload, "name", "") or "").rpartition(".")[2].lower()[:4] or "audio"
                row.audio_file.save(f"{uuid.uuid4().hex}.{extension}", step.upload, save=False)
                row.audio_seconds = step.audio_seconds
            made.append(row)
        SurveyStep.objects.bulk_create(made)
        campaign.save(update_fields=["updated_at"])
    return made


def survey_steps_delete(*, user: User, campaign_id: int) -> int:
    """Remove every step of the survey; returns how many. Same errors as replace.
    Repeat-safe (a second call removes nothing)."""
    with transaction.atomic():
        campaign = _survey_locked(user=user, campaign_id=campaign_id)
        deleted, _ = SurveyStep.objects.filter(campaign=campaign).delete()
    return deleted
