"""A campaign with finished recipients, for the report tests and the isolation routes."""

from campaigns.models import Campaign, Recipient

DOWNLOAD = "/api/system/campaigns/report/download/"


def make_campaign(owner, *, name="Dashain offer", recipients=3) -> Campaign:
    campaign = Campaign.objects.create(owner=owner, name=name, services="PHONE", usable_tags=["tags_name", "tags_city"])
    rows = [
        Recipient(
            campaign=campaign,
            number="+9779843818700",
            tags={"tags_name": "Sita", "tags_city": "ललितपुर"},
            status="completed",
            duration=31,
            playback=30,
            credit_consumed=2,
            attempts=1,
        ),
        Recipient(
            campaign=campaign,
            number="+9779843818707",
            tags={"tags_name": "=1+1", "tags_city": "@x"},
            status="hungup",
            duration=12,
            playback=12,
            credit_consumed=1,
            attempts=2,
            last_error="",
        ),
        Recipient(
            campaign=campaign,
            number="+351911111119",
            tags={"tags_name": "Ram"},
            status="failed",
            attempts=1,
            last_error="simulated: call failed",
        ),
    ][:recipients]
    Recipient.objects.bulk_create(rows)
    return campaign
