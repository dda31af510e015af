"""Recipient reads, always scoped to the owner: a foreign id is simply not found."""

from __future__ import annotations

from django.db.models import QuerySet

from campaigns.models import Campaign, Recipient
from campaigns.selectors.campaigns import MAX_ID
from tingting.api.errors import NotFoundError


def recipient_list(*, campaign: Campaign, status: str | None = None) -> QuerySet[Recipient]:
    """Recipients of an already owner-checked campaign, in id order."""
    queryset = Recipient.objects.filter(campaign=campaign).order_by("id")
    if status:
        queryset = queryset.filter(status=status)
    return queryset


def recipient_get(*, user, recipient_id: int, for_update: bool = False) -> Recipient:
    """The owner's recipient with its campaign; raises NotFoundError."""
    recipient = None
    if 0 < recipient_id <= MAX_ID:
        queryset = Recipient.objects.select_related("campaign").filter(pk=recipient_id, campaign__owner=user)
        if for_update:
            queryset = queryset.select_for_update(of=("self",))
        recipient = queryset.first()
    if recipient is None:
        raise NotFoundError("Number not found.", code="number_not_found")
    return recipient
