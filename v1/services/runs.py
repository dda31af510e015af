"""v1 run-campaign, demo call and emergency stop: the campaigns app's begin and cancel,
fed with what the v1 campaign object stores (content, voice, length factor, schedule)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import nepali_datetime
from django.utils import timezone

from accounts.models import User
from campaigns.models import Campaign, Run
from campaigns.selectors import campaign_get, recipient_get
from campaigns.services.begin import run_begin
from campaigns.services.run import run_cancel

NEPAL = ZoneInfo("Asia/Kathmandu")


def _content(campaign: Campaign) -> dict:
    """The begin arguments for the campaign's stored content: an SMS campaign sends
    ``sms_message`` (or ``message``); a call speaks ``message``, or plays the stored
    audio when the category is Audio."""
    if campaign.services == Campaign.Services.SMS:
        text = campaign.sms_message or campaign.message
    elif campaign.category == Campaign.Category.AUDIO:
        return {"priority": "audio"}
    else:
        text = campaign.message
    # Without text the seed begin explains what is missing (400 naming message).
    return {"message": text, "priority": "message"} if text else {}


def campaign_run(*, user: User, campaign_id: int) -> Run:
    """Begin the campaign (or schedule it for its ``schedule`` when that is ahead) as the
    seed begin does: hold, 402, 409 when a run is in progress, 400 without content."""
    campaign = campaign_get(user=user, campaign_id=campaign_id)
    schedule = campaign.schedule if campaign.schedule and campaign.schedule > timezone.now() else None
    return run_begin(
        user=user,
        campaign_id=campaign.pk,
        voice_input=campaign.voice_input,
        length_factor=campaign.length_factor,
        schedule_at=schedule,
        **_content(campaign),
    )


def demo_call(*, user: User, contact_id: int) -> Run:
    """One call (or SMS) to one contact with the campaign's content: a run of that contact
    alone through the normal engine, charged like any run; 409 while another run is in progress."""
    recipient = recipient_get(user=user, recipient_id=contact_id)
    campaign = recipient.campaign
    return run_begin(
        user=user,
        campaign_id=campaign.pk,
        voice_input=campaign.voice_input,
        length_factor=campaign.length_factor,
        individual=[recipient.pk],
        **_content(campaign),
    )


def emergency_stop(*, user: User, campaign_id: int) -> Run:
    """Cancel the campaign's running or scheduled run at once (seed cancel)."""
    return run_cancel(user=user, campaign_id=campaign_id)


def scheduled_message(moment: datetime) -> str:
    """ "Campaign Scheduled successfully for 2083-08-21 at 10:00:00": the Bikram Sambat
    date and the time in Nepal."""
    local = moment.astimezone(NEPAL)
    bs = nepali_datetime.date.from_datetime_date(local.date())
    return f"Campaign Scheduled successfully for {bs.strftime('%Y-%m-%d')} at {local.strftime('%H:%M:%S')}"
