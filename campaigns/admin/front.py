"""Front-page panels of the staff console for campaigns: today's sends and calls, the
runs in progress with their bars, and stuck work (attempts past their timeouts)."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from campaigns.admin.progress import console_progress, progress_bar, runs_batch_url
from campaigns.models import Attempt, Run
from campaigns.selectors import progress_of, run_list_with_counts
from tingting.admin_base import register_panel

S = Attempt.Status
IN_PROGRESS_SHOWN = 8


def start_of_today():
    """Midnight in the zone the page is shown in (the staff member's)."""
    return timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)


def today_panel(request) -> dict:
    since = start_of_today()
    sms, voice = Q(run__kind=Run.Kind.SMS), Q(run__kind=Run.Kind.VOICE)
    figures = Attempt.objects.filter(submitted_at__gte=since).aggregate(
        sms=Count("id", filter=sms),
        sms_delivered=Count("id", filter=sms & Q(status=S.COMPLETED)),
        calls=Count("id", filter=voice),
        calls_answered=Count("id", filter=voice & Q(status__in=(S.COMPLETED, S.HUNGUP))),
        failed=Count("id", filter=Q(status=S.FAILED)),
    )
    sent = figures["sms"] + figures["calls"]
    rate = f"{100 * figures['failed'] / sent:.1f}%" if sent else "—"
    return {
        "title": "Today",
        "rows": [
            ("SMS sent", figures["sms"], "tt-figure"),
            ("SMS delivered", figures["sms_delivered"], ""),
            ("Calls placed", figures["calls"], "tt-figure"),
            ("Calls answered", figures["calls_answered"], ""),
            ("Failed", f"{figures['failed']} ({rate})", "tt-bad" if figures["failed"] else ""),
        ],
    }


def in_progress_panel(request) -> dict:
    runs = list(
        run_list_with_counts(runs=Run.objects.filter(finished_at__isnull=True)).order_by("-id")[:IN_PROGRESS_SHOWN]
    )
    if not runs:
        return {"title": "Running and scheduled", "rows": [("Nothing in progress", "", "")], "wide": True}
    rows = format_html_join(
        "",
        '<tr><td><a href="{}">{}</a></td><td>{}</td><td>{}</td><td class="tt-wide-cell">{}</td></tr>',
        (
            (
                reverse("admin:campaigns_run_change", args=[run.pk]),
                run.campaign.name,
                run.kind,
                timezone.localtime(run.scheduled_for).strftime("%Y-%m-%d %H:%M") if run.scheduled_for else "now",
                progress_bar(console_progress(progress_of(run)), batch=(runs_batch_url(), run.pk), compact=True),
            )
            for run in runs
        ),
    )
    table = format_html(
        '<table class="tt-table tt-in-progress"><tr><th>campaign</th><th>kind</th><th>for</th><th>progress</th></tr>'
        "{}</table>",
        rows,
    )
    return {"title": "Running and scheduled", "html": table, "wide": True}


def stuck_panel(request) -> dict:
    now = timezone.now()
    figures = Attempt.objects.aggregate(
        sending=Count(
            "id",
            filter=Q(status=S.SENDING, claimed_at__lt=now - timedelta(seconds=settings.RUN_STUCK_SENDING_SECONDS)),
        ),
        queued=Count(
            "id",
            filter=Q(
                status=S.QUEUED,
                run__state=Run.State.RUNNING,
                next_attempt_at__isnull=True,
                queued_at__lt=now - timedelta(seconds=settings.RUN_STALE_QUEUED_SECONDS),
            ),
        ),
        in_flight=Count(
            "id",
            filter=Q(
                status__in=(S.SENT, S.RINGING),
                submitted_at__lt=now - timedelta(seconds=settings.RUN_RECHECK_IN_FLIGHT_SECONDS),
            ),
        ),
    )

    def row(label, count):
        return (label, count, "tt-bad" if count else "tt-good")

    return {
        "title": "Stuck work",
        "rows": [
            row(f"Claimed, unsent > {settings.RUN_STUCK_SENDING_SECONDS} s", figures["sending"]),
            row(f"Queued, unclaimed > {settings.RUN_STALE_QUEUED_SECONDS} s", figures["queued"]),
            row(f"In flight, no report > {settings.RUN_RECHECK_IN_FLIGHT_SECONDS // 60} min", figures["in_flight"]),
        ],
    }


register_panel("today", today_panel, order=10)
register_panel("in-progress", in_progress_panel, order=20)
register_panel("stuck", stuck_panel, order=60)
