"""Runs in the staff console: a live bar and counts per status, credits held and
charged, pause / resume / cancel on the page and as list actions."""

from __future__ import annotations

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from campaigns.admin import control
from campaigns.admin.progress import (
    console_progress,
    progress_bar,
    run_progress_json,
    run_progress_url,
    runs_batch_url,
    runs_progress_json,
)
from campaigns.models import Run
from campaigns.selectors import progress_of, run_credits, run_list_with_counts
from tingting.admin_base import ServiceAdmin, console_path
from tingting.errors import ConflictError


def _campaign_of_run(run: Run):
    if run.finished_at is not None:
        raise ConflictError("The run has already finished.", code="invalid_state")
    return run.owner, run.campaign_id, f"Run {run.pk}"


@admin.register(Run)
class RunAdmin(ServiceAdmin):
    # Fits 1280 px: the bar carries the detail, the numbers the tests and eyes look for.
    list_display = (
        "id",
        "campaign",
        "owner",
        "state",
        "bar",
        "queued",
        "in_flight",
        "done",
        "credits_held",
        "credits_charged",
    )
    list_display_links = ("id", "campaign")
    list_filter = ("state", "kind")
    search_fields = ("campaign__name", "owner__email")
    list_select_related = ("campaign", "owner")
    actions = [
        control.list_action("pause", campaign_of=_campaign_of_run),
        control.list_action("resume", campaign_of=_campaign_of_run),
        control.list_action("cancel", campaign_of=_campaign_of_run),
    ]
    fieldsets = [
        (None, {"fields": ["live_progress", "controls", "campaign_link", "owner", "state"]}),
        (
            "Content",
            {"fields": ["kind", "content", "message", "voice_input", "length_factor", "audio_name", "audio_seconds"]},
        ),
        ("Prices and hold", {"fields": ["sms_rate", "voice_rate", "pulse_seconds", "hold_amount", "end_release"]}),
        ("Times", {"fields": ["scheduled_for", "created_at", "started_at", "cancelled_at", "finished_at"]}),
    ]
    readonly_fields = [
        "live_progress",
        "controls",
        "campaign_link",
        *(field.name for field in Run._meta.fields),
    ]

    def get_queryset(self, request):
        return run_list_with_counts(runs=super().get_queryset(request)).select_related("owner")

    def get_urls(self):
        return [
            console_path(self, "progress/", runs_progress_json, "campaigns_run_progress_batch"),
            console_path(self, "<int:run_id>/progress/", run_progress_json, "campaigns_run_progress"),
            console_path(
                self,
                "<int:run_id>/control/<str:action>/",
                control.run_control_view,
                "campaigns_run_control",
                permission="change",
            ),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        # Nothing on a run is edited by hand: no save buttons, the controls act.
        extra = {"show_save": False, "show_save_and_continue": False, **(extra_context or {})}
        return super().change_view(request, object_id, form_url, extra)

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def _progress(self, run: Run) -> dict:
        if not hasattr(run, "_console_progress"):
            run._console_progress = console_progress(progress_of(run))
        return run._console_progress

    @admin.display(description="progress")
    def bar(self, run: Run):
        return progress_bar(self._progress(run), batch=(runs_batch_url(), run.pk), compact=True)

    @admin.display(description="Progress")
    def live_progress(self, run: Run):
        return progress_bar(self._progress(run), url=run_progress_url(run.pk))

    @admin.display(description="Control")
    def controls(self, run: Run):
        state = run.state if run.finished_at is None else None
        return control.control_buttons(url_name="admin:campaigns_run_control", pk=run.pk, state=state)

    @admin.display(description="Campaign")
    def campaign_link(self, run: Run):
        url = reverse("admin:campaigns_campaign_change", args=[run.campaign_id])
        return format_html('<a href="{}">{}</a>', url, run.campaign.name)

    @admin.display(description="queued")
    def queued(self, run: Run) -> int:
        return run.n_queued

    @admin.display(description="in flight")
    def in_flight(self, run: Run) -> int:
        return run.n_sent + run.n_ringing

    @admin.display(description="final")
    def done(self, run: Run) -> int:
        return run.n_completed + run.n_hungup + run.n_unanswered + run.n_failed + run.n_terminated

    @admin.display(description="held")
    def credits_held(self, run: Run) -> int:
        return run_credits(run)["held"]

    @admin.display(description="charged")
    def credits_charged(self, run: Run) -> int:
        return run_credits(run)["charged"]
