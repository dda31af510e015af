"""Campaign and recipient reads, always scoped to the owner: a foreign id is simply not found."""

from __future__ import annotations

from django.db.models import OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from campaigns.models import Campaign, Run
from tingting.api.errors import NotFoundError

# Path ids beyond a bigint are nobody's (and must not reach the database as an overflow).
MAX_ID = 2**63 - 1


def campaign_list(
    *, user, search: str | None = None, services: str | None = None, status: str | None = None
) -> QuerySet[Campaign]:
    """The owner's campaigns, newest first, with caller IDs prefetched (a page of 1 or 100
    costs the same queries). ``search`` matches name or description; ``services`` is
    PHONE or SMS; ``status`` is the state of the campaign's latest run, or
    "not started" when it has none."""
    queryset = Campaign.objects.filter(owner=user).prefetch_related("user_phone").order_by("-created_at", "-id")
    if search:
        queryset = queryset.filter(Q(name__icontains=search) | Q(description__icontains=search))
    if services:
        queryset = queryset.filter(services=services)
    if status:
        latest_state = Run.objects.filter(campaign=OuterRef("pk")).order_by("-id").values("state")[:1]
        queryset = queryset.annotate(run_state=Coalesce(Subquery(latest_state), Value("not started")))
        queryset = queryset.filter(run_state=status)
    return queryset


def campaign_get(*, user, campaign_id: int) -> Campaign:
    """The owner's campaign (caller IDs prefetched); raises NotFoundError."""
    campaign = None
    if 0 < campaign_id <= MAX_ID:
        campaign = Campaign.objects.filter(owner=user, pk=campaign_id).prefetch_related("user_phone").first()
    if campaign is None:
        raise NotFoundError("Campaign not found.", code="campaign_not_found")
    return campaign
