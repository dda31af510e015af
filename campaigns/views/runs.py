"""Begin / pause / resume / cancel / progress of a campaign (docs/api/API_CONTRACT.md §2 begin, §7)."""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from drf_spectacular.utils import extend_schema
from rest_framework.views import APIView

from campaigns.schema import RunBeginEnvelope, RunProgressEnvelope
from campaigns.selectors import campaign_get, run_progress
from campaigns.serializers.runs import RunBeginInput
from campaigns.services.begin import run_begin
from campaigns.services.run import run_cancel, run_pause, run_resume
from tingting.api.envelope import ok
from tingting.api.idempotency import idempotent
from tingting.api.schema import tingting_responses


def _owner_zone(user) -> ZoneInfo:
    try:
        return ZoneInfo(user.time_zone or settings.TIME_ZONE)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(settings.TIME_ZONE)


class CampaignBeginView(APIView):
    @extend_schema(
        request=RunBeginInput,
        responses=tingting_responses({200: RunBeginEnvelope}, 402, 409, 422),
        tags=["campaign runs"],
    )
    @idempotent
    def post(self, request, campaign_id: int):
        campaign = campaign_get(user=request.user, campaign_id=campaign_id)
        payload = RunBeginInput(data=request.data, context={"user": request.user})
        payload.is_valid(raise_exception=True)
        run = run_begin(user=request.user, campaign_id=campaign.pk, **payload.begin_kwargs())
        if run.scheduled_for:
            when = run.scheduled_for.astimezone(_owner_zone(request.user)).isoformat()
            message = f"Campaign scheduled for {when}"
        else:
            message = "Campaign is running!!"
        data = {"hold amount": f"{run.hold_amount} credits on hold for {campaign.name} campaign."}
        if run.tag_gaps is not None:  # a personalised message: who gets an empty tag
            data["empty_tags"] = run.tag_gaps.as_dict()
        return ok(data, message=message)


# Pause, resume or cancel the campaign's run; answers its progress. (A comment, not
# a docstring: the views' docstrings become their schema descriptions.)
class _RunTransitionView(APIView):
    transition: staticmethod
    message: str

    @extend_schema(request=None, responses=tingting_responses({200: RunProgressEnvelope}, 409), tags=["campaign runs"])
    def post(self, request, campaign_id: int):
        self.transition(user=request.user, campaign_id=campaign_id)
        return ok({"progress": run_progress(user=request.user, campaign_id=campaign_id)}, message=self.message)


class CampaignPauseView(_RunTransitionView):
    transition, message = staticmethod(run_pause), "Campaign paused."


class CampaignResumeView(_RunTransitionView):
    transition, message = staticmethod(run_resume), "Campaign resumed."


class CampaignCancelView(_RunTransitionView):
    transition, message = staticmethod(run_cancel), "Campaign cancelled."


class CampaignProgressView(APIView):
    @extend_schema(responses=tingting_responses({200: RunProgressEnvelope}), tags=["campaign runs"])
    def get(self, request, campaign_id: int):
        return ok({"progress": run_progress(user=request.user, campaign_id=campaign_id)})
