"""v1 reads that are the face's own (the rest come from the apps' selectors)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import Coalesce, Substr, TruncDate
from django.utils import timezone

from accounts.models import LedgerEntry, User
from campaigns.models import Attempt, Campaign, Recipient, Run
from campaigns.selectors import campaign_get as core_campaign_get
from campaigns.status import filter_status, summary_of, with_summary
from phonenumbers_app.models import PhoneNumber
from tingting.phones import CARRIER_NAMES, CARRIER_PREFIX_LENGTH, carrier_of_prefix
from v1.errors import V1MessageError
from v1.models import ApiToken
from v1.serializers.fields import account_zone


def token_active_get(*, user: User) -> ApiToken:
    """The account's active v1 token; a 404 ``{"message"}`` when there is none."""
    token = ApiToken.objects.filter(user=user, revoked_at__isnull=True).order_by().first()
    if token is None:
        raise V1MessageError("No API token found. Please generate one first.", status=404, code="no_token")
    return token


def campaign_list(
    *,
    user: User,
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
    # The import's report and file and the tag list are not part of the v1 object.
    rows = Campaign.objects.filter(owner=user).defer("import_report", "import_file", "usable_tags", "audio_seconds")
    queryset = with_summary(rows).prefetch_related("user_phone")
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


def campaign_get(*, user: User, campaign_id: int) -> Campaign:
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


def _hms(seconds: int) -> str:
    hours, rest = divmod(int(seconds), 3600)
    return f"{hours:02d}:{rest // 60:02d}:{rest % 60:02d}"


def dashboard(*, user: User, days: int) -> dict:
    """The account's figures over the last ``days`` days, from the ledger and the attempts:
    seven queries whatever the amount of data (each an aggregate in the database)."""
    since = timezone.now() - timedelta(days=days)
    Kind = LedgerEntry.Kind
    entries = LedgerEntry.objects.filter(user=user, created_at__gte=since).order_by()
    money = entries.aggregate(
        purchased=Coalesce(Sum("amount", filter=Q(kind=Kind.TOPUP)), 0),
        charged=Coalesce(Sum("amount", filter=Q(kind=Kind.CHARGE)), 0),
        numbers=Coalesce(Sum("amount", filter=Q(kind=Kind.PURCHASE)), 0),
        refunded=Coalesce(Sum("amount", filter=Q(kind=Kind.REFUND)), 0),
    )
    per_day = (
        entries.filter(kind=Kind.CHARGE)
        .annotate(day=TruncDate("created_at", tzinfo=account_zone(user)))
        .values("day")
        .annotate(credits=Sum("amount"))
        .order_by("day")
    )
    campaigns = with_summary(Campaign.objects.filter(owner=user)).order_by()
    counts = campaigns.aggregate(
        total=Count("id"),
        running=Count("id", filter=Q(latest_run_state__in=[Run.State.RUNNING, Run.State.PAUSED])),
        completed=Count("id", filter=Q(latest_run_state=Run.State.COMPLETED)),
        scheduled=Count("id", filter=Q(latest_run_state=Run.State.SCHEDULED)),
    )
    ratio = dict(
        Campaign.objects.filter(owner=user)
        .order_by()
        .values("services")
        .annotate(n=Count("id"))
        .values_list("services", "n")
    )
    attempts = Attempt.objects.filter(run__owner=user, queued_at__gte=since).order_by()
    totals = attempts.aggregate(
        calls=Count("id", filter=Q(run__kind=Run.Kind.VOICE)),
        sms=Count("id", filter=Q(run__kind=Run.Kind.SMS)),
        seconds=Coalesce(Sum("duration", filter=Q(run__kind=Run.Kind.VOICE)), 0),
    )
    outcomes = dict(
        attempts.filter(run__kind=Run.Kind.VOICE, status__in=Attempt.FINAL)
        .values("status")
        .annotate(n=Count("id"))
        .values_list("status", "n")
    )
    top = (
        attempts.filter(status=Attempt.Status.COMPLETED)
        .values("run__campaign_id", "run__campaign__name", "run__campaign__services")
        .annotate(completed=Count("id"))
        .order_by("-completed", "run__campaign_id")
        .first()
    )
    numbers = PhoneNumber.objects.filter(owner=user).count()
    return {
        "total_credits_purchased": money["purchased"],
        "credits_used": money["charged"] - money["refunded"],
        "remaining_credits": user.credits,
        "campaigns": counts,
        "outbound_calls": totals["calls"],
        "outbound_sms": totals["sms"],
        "total_call_duration": _hms(totals["seconds"]),
        "total_owned_numbers": numbers,
        "credit_spent": money["charged"] - money["refunded"] + money["numbers"],
        "top_performing_campaign": {
            "id": top["run__campaign_id"],
            "name": top["run__campaign__name"],
            "services": top["run__campaign__services"],
            "completed": top["completed"],
        }
        if top
        else None,
        "call_outcomes": outcomes,
        "campaign_type_ratio": ratio,
        "credit_usage_overtime": [{"date": row["day"].isoformat(), "credits": row["credits"]} for row in per_day],
    }
