"""A campaign's status and counts as clients read them (v1 campaign object, seed §7).

The status is the state of the campaign's latest run, named as the v1 face names
it; ``number_count`` its recipients; ``progress_percent`` the share of the latest
run's attempts that are final. ``with_summary`` adds them to a queryset as
subqueries, so a page of 1 or 100 campaigns costs the same queries;
``summary_of`` reads them for one campaign that was not annotated.
"""

from __future__ import annotations

from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from campaigns.models import Attempt, Campaign, Recipient, Run

NOT_STARTED = "Not Started"
STATUS_BY_RUN_STATE = {
    Run.State.SCHEDULED: "Scheduled",
    Run.State.RUNNING: "Running",
    Run.State.PAUSED: "Paused",
    Run.State.COMPLETED: "Completed",
    Run.State.CANCELLED: "Terminated",
}
STATUSES = [NOT_STARTED, *STATUS_BY_RUN_STATE.values()]
RUN_STATE_BY_STATUS = {label.lower(): state for state, label in STATUS_BY_RUN_STATE.items()}


def _count(queryset, column: str):
    return Coalesce(
        Subquery(
            queryset.order_by().values(column).annotate(n=Count("*")).values("n")[:1], output_field=IntegerField()
        ),
        Value(0),
    )


def with_summary(queryset: QuerySet[Campaign]) -> QuerySet[Campaign]:
    """Annotates ``run_state`` (None: never run), ``run_total``, ``run_done`` and ``number_count``."""
    latest = Run.objects.filter(campaign=OuterRef("pk")).order_by("-id")
    return queryset.annotate(
        latest_run_id=Subquery(latest.values("id")[:1]),
        run_state=Subquery(latest.values("state")[:1]),
        run_total=Subquery(latest.values("total")[:1]),
        number_count=_count(Recipient.objects.filter(campaign=OuterRef("pk")), "campaign"),
    ).annotate(
        run_done=_count(Attempt.objects.filter(run=OuterRef("latest_run_id"), status__in=Attempt.FINAL), "run"),
    )


def filter_status(queryset: QuerySet[Campaign], status: str) -> QuerySet[Campaign]:
    """Campaigns of an annotated queryset whose status is ``status`` (any case)."""
    if status.lower() == NOT_STARTED.lower():
        return queryset.filter(run_state__isnull=True)
    return queryset.filter(run_state=RUN_STATE_BY_STATUS.get(status.lower(), "-"))


def summary_of(campaign: Campaign) -> Campaign:
    """``campaign`` with the summary attributes set (reads them when not annotated)."""
    if not hasattr(campaign, "run_state"):
        row = with_summary(Campaign.objects.filter(pk=campaign.pk)).values(
            "run_state", "run_total", "run_done", "number_count"
        )
        values = row.first() or {"run_state": None, "run_total": None, "run_done": 0, "number_count": 0}
        for name, value in values.items():
            setattr(campaign, name, value)
    return campaign


def status_label(campaign: Campaign) -> str:
    return STATUS_BY_RUN_STATE.get(summary_of(campaign).run_state, NOT_STARTED)


def progress_percent(campaign: Campaign) -> int:
    campaign = summary_of(campaign)
    if not campaign.run_total:
        return 0
    return min(100, (campaign.run_done or 0) * 100 // campaign.run_total)
