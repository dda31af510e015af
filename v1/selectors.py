"""v1 reads that are the face's own (the rest come from the apps' selectors)."""

from __future__ import annotations

from datetime import UTC, datetime

from django.db.models import Count, QuerySet, Sum
from django.db.models.functions import Coalesce, Substr

from campaigns.models import Campaign, Recipient
from campaigns.selectors import campaign_get as core_campaign_get
from campaigns.status import filter_status, summary_of, with_summary
from tingting.phones import CARRIER_NAMES, CARRIER_PREFIX_LENGTH, carrier_of_prefix
from v1.errors import V1MessageError
from v1.models import ApiToken


def token_active_get(*, user) -> ApiToken:
    """The account's active v1 token; a 404 ``{"message"}`` when there is none."""
    token = ApiToken.objects.filter(user=user, revoked_at__isnull=True).order_by().first()
    if token is None:
        raise V1MessageError("No API token found. Please generate one first.", status=404, code="no_token")
    return token


def campaign_list(
    *,
    user,
    status: str | None = None,
    search: str | None = None,
    draft: bool | None = None,
    sort_by: str | None = None,
    from_date: int | None = None,
    to_date: int | None = None,
) -> QuerySet[Campaign]:
    """The owner's campaigns with their summary (``campaigns.status``) and caller IDs:
    a page of 1 or 100 costs the same queries. ``from_date`` / ``to_date`` are unix
    seconds on ``updated_at``; ``sort_by`` ``asc`` or ``des`` (default) on it."""
    queryset = with_summary(Campaign.objects.filter(owner=user)).prefetch_related("user_phone")
    if status:
        queryset = filter_status(queryset, status)
    if search:
        queryset = queryset.filter(name__icontains=search)
    if draft is not None:
        queryset = queryset.filter(draft=draft)
    if from_date is not None:
        queryset = queryset.filter(updated_at__gte=datetime.fromtimestamp(from_date, tz=UTC))
    if to_date is not None:
        queryset = queryset.filter(updated_at__lte=datetime.fromtimestamp(to_date, tz=UTC))
    if sort_by == "asc":
        return queryset.order_by("updated_at", "id")
    return queryset.order_by("-updated_at", "-id")


def campaign_get(*, user, campaign_id: int) -> Campaign:
    """The owner's campaign with its summary; 404 otherwise."""
    return summary_of(core_campaign_get(user=user, campaign_id=campaign_id))


def contact_list(*, campaign: Campaign) -> QuerySet[Recipient]:
    return Recipient.objects.filter(campaign=campaign).order_by("id")


def carrier_summary(*, campaign: Campaign) -> dict[str, int]:
    """Contacts per carrier, counted in the database by number prefix (one query)."""
    summary = dict.fromkeys(CARRIER_NAMES, 0)
    rows = (
        Recipient.objects.filter(campaign=campaign)
        .annotate(prefix=Substr("number", 1, CARRIER_PREFIX_LENGTH))
        .order_by()
        .values("prefix")
        .annotate(n=Count("*"))
    )
    for row in rows:
        summary[carrier_of_prefix(row["prefix"])] += row["n"]
    return summary


def credits_consumed(*, campaign: Campaign) -> int:
    """Calls and messages of the campaign, failover SMS included (one query)."""
    totals = Recipient.objects.filter(campaign=campaign).aggregate(
        calls=Coalesce(Sum("credit_consumed"), 0), sms=Coalesce(Sum("sms_credit_consumed"), 0)
    )
    return totals["calls"] + totals["sms"]
