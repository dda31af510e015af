"""Running a survey: the campaign engine's begin, once the survey has steps.

A SURVEY run is a voice run like any other (the same hold, attempts, claims,
guardrails, outcomes and charges); the engine asks ``tingting.providers.scripts``
for the run's script (``run:<id>``) to hold for its longest call and to place
each call with it.
"""

from __future__ import annotations

from django.utils import timezone

from accounts.models import User
from campaigns.models import Campaign, Recipient, Run
from campaigns.services.begin import run_begin
from surveys.models import SurveyStep
from surveys.services.steps import SURVEY
from tingting.errors import InvalidInputError, NotFoundError
from v1.services.runs import scheduled_message


def survey_begin(*, user: User, campaign_id: int) -> Run:
    """Begin the survey for every contact not called yet, with the campaign's voice and
    length factor, or schedule it for the campaign's ``schedule`` when that is ahead.
    Raises NotFoundError (not the owner's SURVEY campaign), InvalidInputError (no steps,
    nobody to call), InsufficientCreditsError, ConflictError (a run in progress).
    Not repeatable while the run is in progress (409)."""
    if not SurveyStep.objects.filter(campaign__owner=user, campaign__services=SURVEY, campaign_id=campaign_id).exists():
        _no_steps_or_missing(user=user, campaign_id=campaign_id)
    campaign = Campaign.objects.get(pk=campaign_id)
    schedule = getattr(campaign, "schedule", None)  # the v1 campaign object's field
    return run_begin(
        user=user,
        campaign_id=campaign_id,
        voice_input=campaign.voice_input,
        length_factor=campaign.length_factor,
        schedule_at=schedule if schedule and schedule > timezone.now() else None,
    )


def survey_test(*, user: User, contact_id: int) -> Run:
    """One survey call to one contact of the owner's survey, through the engine
    (charged as any call). Raises as ``survey_begin``."""
    contact = Recipient.objects.filter(pk=contact_id, campaign__owner=user).only("id", "campaign_id").first()
    if contact is None:
        raise NotFoundError("Contact not found.")
    if not SurveyStep.objects.filter(campaign_id=contact.campaign_id, campaign__services=SURVEY).exists():
        _no_steps_or_missing(user=user, campaign_id=contact.campaign_id)
    return run_begin(user=user, campaign_id=contact.campaign_id, individual=[contact.pk])


def survey_begin_message(run: Run) -> str:
    """What run-survey answers: begun, or scheduled in run-campaign's words (the Bikram
    Sambat date and the time in Nepal)."""
    if run.state == Run.State.SCHEDULED and run.scheduled_for:
        return scheduled_message(run.scheduled_for)
    return "Campaign Began Successfully!!"


def _no_steps_or_missing(*, user: User, campaign_id: int) -> None:
    campaign = Campaign.objects.filter(owner=user, pk=campaign_id).only("services").first()
    if campaign is None:
        raise NotFoundError("Campaign not found.")
    if campaign.services != SURVEY:
        raise InvalidInputError("This campaign is not a SURVEY.", field="services", code="not_a_survey")
    raise InvalidInputError("The survey has no steps yet.", field="steps", code="no_steps")
