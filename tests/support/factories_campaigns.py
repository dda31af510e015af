"""Campaigns and recipients for the execution-engine tests (ORM, no API)."""

from __future__ import annotations

import factory

from campaigns.models import Campaign, Recipient


class CampaignFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Campaign

    name = factory.Sequence(lambda n: f"Campaign {n}")
    services = Campaign.Services.SMS


def add_recipients(campaign: Campaign, count: int, *, start: int = 0, tags=None) -> list[Recipient]:
    """``count`` recipients +97798000000NN; the last digit picks the simulated outcome."""
    rows = [
        Recipient(
            campaign=campaign,
            number=f"+9779800{start + index:06d}",
            tags=tags(index) if callable(tags) else dict(tags or {}),
        )
        for index in range(count)
    ]
    return Recipient.objects.bulk_create(rows)


def campaign_with_recipients(owner, count: int = 10, **kwargs) -> Campaign:
    tags = kwargs.pop("tags", None)
    campaign = CampaignFactory(owner=owner, **kwargs)
    add_recipients(campaign, count, tags=tags)
    return campaign
