"""Live progress in the staff console.

The numbers come from the API's own selector (``run_progress`` for a campaign, its
``progress_of`` for one run): the console adds only what a person reads off a bar —
final / in flight / queued, percent, rate per second and an ETA. The pages poll the
staff-only JSON views below (``console.js``); one refresh costs the same queries at
ten recipients or a million (tests/platform/test_console_progress.py).
"""

from __future__ import annotations

from django.db.models import OuterRef, QuerySet, Subquery
from django.http import Http404, JsonResponse
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from campaigns.models import Campaign, Run
from campaigns.selectors import progress_of, run_list_with_counts, run_progress

FINAL = ("completed", "hungup", "unanswered", "failed", "terminated")
IN_FLIGHT = ("sent", "ringing")
ACTIVE_STATES = ("scheduled", "running", "paused")


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes:02d} min"
    if minutes:
        return f"{minutes} min {seconds:02d} s"
    return f"{seconds} s"


def console_progress(progress: dict) -> dict:
    """The API's progress object plus what the bar shows: final / in flight / queued
    counts, percent done, rate per second and the ETA of what is still pending."""
    counts = progress["status_counts"]
    done = sum(counts[name] for name in FINAL)
    in_flight = sum(counts[name] for name in IN_FLIGHT)
    queued = counts["queued"]
    total = progress["total"] or 0
    per_minute = progress["rate_per_minute"]
    per_second = round(per_minute / 60, 2) if per_minute else None
    pending = queued + in_flight
    eta = pending / (per_minute / 60) if per_minute and pending and progress["state"] == "running" else None
    return {
        **progress,
        "done": done,
        "in_flight": in_flight,
        "queued": queued,
        "percent": round(100 * done / total, 1) if total else 0.0,
        "rate_per_second": per_second,
        "eta_seconds": round(eta) if eta is not None else None,
        "eta": _duration(eta) if eta is not None else ("done" if total and not pending else "—"),
        "is_active": progress["state"] in ACTIVE_STATES,
    }


def campaign_progress(campaign: Campaign) -> dict:
    """The campaign's latest run as ``/api/system/campaigns/<id>/progress/`` answers it."""
    return console_progress(run_progress(user=campaign.owner, campaign_id=campaign.pk))


def run_progress_by_id(run_id: int) -> dict:
    """One run's progress through the same ``progress_of`` (one query); Http404 if none."""
    run = run_list_with_counts(runs=Run.objects.filter(pk=run_id)).first()
    if run is None:
        raise Http404("No such run.")
    return console_progress(progress_of(run))


def campaign_progress_json(request, campaign_id: int) -> JsonResponse:
    campaign = Campaign.objects.select_related("owner").filter(pk=campaign_id).first()
    if campaign is None:
        raise Http404("No such campaign.")
    return JsonResponse(campaign_progress(campaign))


def run_progress_json(request, run_id: int) -> JsonResponse:
    return JsonResponse(run_progress_by_id(run_id))


MAX_BATCH = 200


def _batch_ids(request) -> list[int]:
    ids = []
    for part in request.GET.get("ids", "").split(",")[:MAX_BATCH]:
        if part.strip().isdigit() and 0 < int(part) < 2**63:
            ids.append(int(part))
    return ids


def runs_progress_json(request) -> JsonResponse:
    """``?ids=1,2,3`` → each run's progress by id, one query for the whole list page."""
    runs = run_list_with_counts(runs=Run.objects.filter(pk__in=_batch_ids(request)))
    return JsonResponse({str(run.pk): console_progress(progress_of(run)) for run in runs})


def latest_runs() -> QuerySet[Run]:
    """Each campaign's latest run, with the counts ``progress_of`` reads (one query for
    any number of campaigns; the list prefetches it, the list refresh filters it)."""
    latest = Run.objects.filter(campaign=OuterRef("campaign")).order_by("-id").values("id")[:1]
    return run_list_with_counts(runs=Run.objects.filter(id=Subquery(latest)))


def campaigns_progress_json(request) -> JsonResponse:
    """``?ids=1,2,3`` → each campaign's latest run progress by campaign id (one query)."""
    runs = latest_runs().filter(campaign_id__in=_batch_ids(request))
    return JsonResponse({str(run.campaign_id): console_progress(progress_of(run)) for run in runs})


def _segments(data: dict) -> list[tuple[str, float]]:
    total = data["total"] or 0
    counts = data["status_counts"]
    parts = [(name, counts[name]) for name in FINAL] + [("inflight", data["in_flight"])]
    return [(name, round(100 * count / total, 2) if total else 0) for name, count in parts]


def _eta_text(data: dict) -> str:
    rate = data["rate_per_second"]
    return f"{rate}/s, ETA {data['eta']}" if rate else f"ETA {data['eta']}"


def progress_bar(data: dict, *, url: str | None = None, batch: tuple[str, int] | None = None, compact: bool = False):
    """The bar's HTML. With ``url`` the page's script refreshes it from that JSON view
    every few seconds while the run is active; with ``batch`` (a list's JSON view and
    the row's key) it is refreshed with the other rows of the page in one request
    (``data-tt-*`` names what it fills)."""
    segments = format_html_join(
        "",
        '<span class="tt-seg tt-seg-{}" data-tt-seg="{}" style="width:{}%"></span>',
        ((name, name, width) for name, width in _segments(data)),
    )
    if compact:
        line = format_html(
            '<span class="tt-state" data-tt="state">{}</span> · <span data-tt="done">{}</span>/'
            '<span data-tt="total">{}</span> (<span data-tt="percent">{}</span>%)',
            data["state"],
            data["done"],
            data["total"],
            data["percent"],
        )
    else:
        line = format_html(
            '<span class="tt-state" data-tt="state">{}</span> · <span data-tt="done">{}</span> of '
            '<span data-tt="total">{}</span> done (<span data-tt="percent">{}</span>%) · '
            '<span data-tt="in_flight">{}</span> in flight · <span data-tt="queued">{}</span> queued · '
            '<span data-tt="rate">{}</span>',
            data["state"],
            data["done"],
            data["total"],
            data["percent"],
            data["in_flight"],
            data["queued"],
            _eta_text(data),
        )
    details = ""
    if not compact:
        cells = [
            *((name.replace("_", " "), f"status_counts.{name}", data["status_counts"][name]) for name in FINAL),
            ("sent", "status_counts.sent", data["status_counts"]["sent"]),
            ("ringing", "status_counts.ringing", data["status_counts"]["ringing"]),
            ("credits held", "credits.held", data["credits"]["held"]),
            ("credits charged", "credits.charged", data["credits"]["charged"]),
            ("credits released", "credits.released", data["credits"]["released"]),
            ("hold at begin", "credits.estimate", data["credits"]["estimate"]),
        ]
        details = format_html(
            '<div class="tt-counts">{}</div>',
            format_html_join("", '<div>{}<b data-tt="{}">{}</b></div>', cells),
        )
    batch_url, key = batch or ("", "")
    return format_html(
        '<div class="tt-progress{}" data-tt-progress="{}" data-tt-batch="{}" data-tt-key="{}" data-tt-active="{}">'
        '<div class="tt-bar" title="final / in flight / queued">{}</div><div class="tt-line">{}</div>{}</div>',
        " tt-compact" if compact else "",
        url or "",
        batch_url,
        key,
        "1" if data["is_active"] else "",
        segments,
        line,
        details,
    )


def campaigns_batch_url() -> str:
    return reverse("admin:campaigns_campaign_progress_batch")


def runs_batch_url() -> str:
    return reverse("admin:campaigns_run_progress_batch")


def campaign_progress_url(campaign_id: int) -> str:
    return reverse("admin:campaigns_campaign_progress", args=[campaign_id])


def run_progress_url(run_id: int) -> str:
    return reverse("admin:campaigns_run_progress", args=[run_id])
