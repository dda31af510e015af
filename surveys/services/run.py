"""Running a survey: the campaign engine's begin, once the survey has steps.

A SURVEY run is a voice run like any other (the same hold, attempts, claims,
guardrails, outcomes and charges); the engine asks ``tingting.providers.scripts``
for the run's script (``run:<id>``) to hold for its longest call and to place
each call with it.
"""

from __future__ import annotations

from datetime import datetime

from campaigns.models import Recipient, Run
from campaigns.services.run import run_begin
from surveys.models import SurveyStep
from surveys.services.steps import SURVEY
from tingting.api.errors import InvalidInputError, NotFoundError


def survey_begin(*, user, campaign_id: int, schedule_at: datetime | None = None) -> Run:
    """Begin (or schedule) the survey for every contact not called yet. Raises
    NotFoundError (not the owner's SURVEY campaign), InvalidInputError (no steps,
    nobody to call), InsufficientCreditsError, ConflictError (a run in progress).
    Not repeatable while the run is in progress (409)."""
    if not SurveyStep.objects.filter(campaign__owner=user, campaign__services=SURVEY, campaign_id=campaign_id).exists():
        _no_steps_or_missing(user=user, campaign_id=campaign_id)
    return run_begin(user=user, campaign_id=campaign_id, schedule_at=schedule_at)


def survey_test(*, user, contact_id: int) -> Run:
    """One survey call to one contact of the owner's survey, through the engine
    (charged as any call). Raises as ``survey_begin``."""
    contact = Recipient.objects.filter(pk=contact_id, campaign__owner=user).only("id", "campaign_id").first()
    if contact is None:
        raise NotFoundError("Contact not found.")
    if not SurveyStep.objects.filter(campaign_id=contact.campaign_id, campaign__services=SURVEY).exists():
        _no_steps_or_missing(user=user, campaign_id=contact.campaign_id)
    return run_begin(user=user, campaign_id=contact.campaign_id, individual=[contact.pk])


def _no_steps_or_missing(*, user, campaign_id: int) -> None:
    from campaigns.models import Campaign

    campaign = Campaign.objects.filter(owner=user, pk=campaign_id).only("services").first()
    if campaign is None:
        raise NotFoundError("Campaign not found.")
    if campaign.services != SURVEY:
        raise InvalidInputError("This campaign is not a SURVEY.", field="services", code="not_a_survey")
    raise InvalidInputError("The survey has no steps yet.", field="steps", code="no_steps")
