"""Reads of surveys, owner-scoped: a foreign campaign is simply not found (404)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.files.storage import default_storage
from django.db.models import Count, Sum

from accounts.models import User
from campaigns.models import Campaign
from surveys.models import SurveyAnswer, SurveyStep
from surveys.services.steps import SURVEY
from tingting.errors import NotFoundError


def survey_get(*, user: User, campaign_id: int) -> Campaign:
    """The owner's SURVEY campaign (NotFoundError otherwise: another account's,
    unknown, or not a survey)."""
    campaign = Campaign.objects.filter(owner=user, pk=campaign_id, services=SURVEY).first()
    if campaign is None:
        raise NotFoundError("Survey campaign not found.")
    return campaign


def survey_steps(*, campaign: Campaign) -> list[SurveyStep]:
    """The steps in play order (one query)."""
    return list(SurveyStep.objects.filter(campaign=campaign).order_by("order"))


def recording_url(answer: SurveyAnswer, *, base: str = "") -> str:
    """Where a client fetches a recording: our stored copy (unguessable name) under
    ``base`` (default ``PUBLIC_BASE_URL``), else the vendor's URL."""
    if answer.recording:
        root = (base or settings.PUBLIC_BASE_URL).rstrip("/")
        return f"{root}{default_storage.url(answer.recording.name)}"
    return answer.recording_url


def latest_answers(*, recipient_ids: Iterable[int]) -> dict[int, dict[str, SurveyAnswer]]:
    """Per recipient, per input name, the answer of its latest attempt that gave one
    (one query for the whole batch)."""
    found: dict[int, dict[str, SurveyAnswer]] = {}
    rows = (
        SurveyAnswer.objects.filter(recipient_id__in=list(recipient_ids))
        .order_by("recipient_id", "attempt_id", "step_order")
        .only(
            "recipient_id",
            "attempt_id",
            "input_name",
            "response_type",
            "digits",
            "recording",
            "recording_url",
            "recording_seconds",
        )
    )
    for answer in rows:
        found.setdefault(answer.recipient_id, {})[answer.input_name] = answer  # later attempts win
    return found


def step_summaries(*, campaign: Campaign) -> list[dict]:
    """Per step: its answers counted, by digits for key presses, with the recordings'
    count and total seconds (two queries)."""
    steps = survey_steps(campaign=campaign)
    counts: dict[int, dict[str, int]] = {}
    for order, digits, n in (
        SurveyAnswer.objects.filter(campaign=campaign, response_type=SurveyStep.ResponseType.DTMF)
        .values_list("step_order", "digits")
        .annotate(n=Count("id"))
        .order_by("step_order", "digits")
    ):
        counts.setdefault(order, {})[digits] = n
    recordings: dict[int, Any] = {
        row["step_order"]: row
        for row in SurveyAnswer.objects.filter(campaign=campaign, response_type=SurveyStep.ResponseType.RAW_RECORD)
        .values("step_order")
        .annotate(n=Count("id"), seconds=Sum("recording_seconds"))
        .order_by()
    }
    summaries = []
    for step in steps:
        by_digit = counts.get(step.order, {})
        recorded = recordings.get(step.order, {})
        summaries.append(
            {
                "order": step.order,
                "input_name": step.input_name,
                "content_type": step.content_type,
                "response_type": step.response_type,
                "answers": sum(by_digit.values()) + recorded.get("n", 0),
                "by_digits": by_digit,
                "recording_seconds": recorded.get("seconds") or 0,
            }
        )
    return summaries
