"""Reads of runs, always scoped to the owner (execution engine)."""

from __future__ import annotations

from django.db.models import Count, Max, Q, QuerySet, Sum
from django.utils import timezone

from accounts.models import User
from campaigns.models import Attempt, Run
from campaigns.selectors.campaigns import campaign_get

S = Attempt.Status
# Progress counts by the statuses a client sees (a claimed attempt is still "queued").
PROGRESS_STATUSES = {
    "queued": (S.QUEUED, S.SENDING),
    "sent": (S.SENT,),
    "ringing": (S.RINGING,),
    "completed": (S.COMPLETED,),
    "hungup": (S.HUNGUP,),
    "unanswered": (S.UNANSWERED,),
    "failed": (S.FAILED,),
    "terminated": (S.TERMINATED,),
}


def run_list_with_counts(*, runs: QuerySet[Run] | None = None) -> QuerySet[Run]:
    """Runs annotated with per-status counts and credit sums (one query for any number)."""
    runs = runs if runs is not None else Run.objects.all()
    counts = {
        f"n_{name}": Count("attempts", filter=Q(attempts__status__in=statuses))
        for name, statuses in PROGRESS_STATUSES.items()
    }
    return runs.select_related("campaign").annotate(
        **counts,
        sum_charged=Sum("attempts__charged"),
        sum_extra=Sum("attempts__extra_charged"),
        sum_released=Sum("attempts__released"),
        last_final_at=Max("attempts__finished_at"),
    )


def run_progress(*, user: User, campaign_id: int) -> dict:
    """Progress of the campaign's latest run: counts per status, credits held and
    charged, times and rate. One query when the campaign has a run."""
    run = (
        run_list_with_counts(runs=Run.objects.filter(campaign_id=campaign_id, campaign__owner=user))
        .order_by("-id")
        .first()
    )
    if run is None:
        campaign = campaign_get(user=user, campaign_id=campaign_id)
        return {
            "campaign_id": campaign.pk,
            "campaign_name": campaign.name,
            "run_id": None,
            "state": "not started",
            "total": 0,
            "status_counts": dict.fromkeys(PROGRESS_STATUSES, 0),
            "credits": {"estimate": 0, "held": 0, "charged": 0, "released": 0},
            "scheduled_for": None,
            "started_at": None,
            "finished_at": None,
            "rate_per_minute": None,
        }
    return progress_of(run)


def run_credits(run: Run) -> dict:
    """The credits object of a run annotated by ``run_list_with_counts`` (its ``sum_*``)."""
    sum_charged = getattr(run, "sum_charged", None) or 0
    charged = sum_charged + (getattr(run, "sum_extra", None) or 0)
    released = (getattr(run, "sum_released", None) or 0) + run.end_release
    held = run.hold_amount - sum_charged - released
    return {"estimate": run.hold_amount, "held": max(held, 0), "charged": charged, "released": released}


def progress_of(run: Run) -> dict:
    """A run annotated by ``run_list_with_counts`` as the progress object."""
    counts = {name: getattr(run, f"n_{name}") for name in PROGRESS_STATUSES}
    done = sum(counts[name] for name in ("completed", "hungup", "unanswered", "failed", "terminated"))
    rate = None
    if run.started_at and done:
        end = run.finished_at or getattr(run, "last_final_at", None) or timezone.now()
        minutes = max((end - run.started_at).total_seconds(), 1.0) / 60
        rate = round(done / minutes, 1)
    return {
        "campaign_id": run.campaign_id,
        "campaign_name": run.campaign.name,
        "run_id": run.pk,
        "state": run.state,
        "total": run.total,
        "status_counts": counts,
        "credits": run_credits(run),
        "scheduled_for": run.scheduled_for.isoformat() if run.scheduled_for else None,
        "started_at": run.started_at.isoformat() if run.started_at else None,
        "finished_at": run.finished_at.isoformat() if run.finished_at else None,
        "rate_per_minute": rate,
    }
