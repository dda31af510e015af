"""Owned routes of campaign runs (begin, pause, resume, cancel, progress), for the isolation matrix."""

from campaigns.models import Recipient, Run
from campaigns.services.begin import run_begin
from tests.support.factories_campaigns import campaign_with_recipients
from tests.support.isolation import owned_route


def _campaign(owner, *, running: bool = False, paused: bool = False):
    campaign = campaign_with_recipients(owner, 2, message="hello")
    if running or paused:
        run_begin(user=owner, campaign_id=campaign.pk)
    if paused:
        Run.objects.filter(campaign=campaign).update(state=Run.State.PAUSED)
    return campaign


@owned_route("campaign begin", "POST")
def _begin(owner):
    return f"/api/system/campaigns/{_campaign(owner).pk}/begin/", {"message": "hi"}


@owned_route("campaign pause", "POST")
def _pause(owner):
    return f"/api/system/campaigns/{_campaign(owner, running=True).pk}/pause/", {}


@owned_route("campaign resume", "POST")
def _resume(owner):
    return f"/api/system/campaigns/{_campaign(owner, paused=True).pk}/resume/", {}


@owned_route("campaign cancel", "POST")
def _cancel(owner):
    return f"/api/system/campaigns/{_campaign(owner, running=True).pk}/cancel/", {}


@owned_route("campaign progress", "GET")
def _progress(owner):
    campaign = _campaign(owner, running=True)
    assert Recipient.objects.filter(campaign=campaign, status="queued").count() == 2
    return f"/api/system/campaigns/{campaign.pk}/progress/", None
