"""Admin for runs: live counts per status, credits held and charged, a cancel action."""

from __future__ import annotations

from django.contrib import admin, messages

from campaigns.models import Run
from campaigns.selectors import run_credits, run_list_with_counts
from campaigns.services.run import run_cancel_by_id
from tingting.api.errors import DomainError


@admin.register(Run)
class RunAdmin(admin.ModelAdmin):
    # Counts and credits first: on a laptop-width screen the later columns scroll out of view.
    list_display = (
        "id",
        "campaign",
        "state",
        "total",
        "queued",
        "in_flight",
        "done",
        "credits_held",
        "credits_charged",
        "owner",
        "kind",
        "scheduled_for",
        "started_at",
        "finished_at",
    )
    list_filter = ("state", "kind")
    search_fields = ("campaign__name", "owner__email")
    list_select_related = ("campaign", "owner")
    actions = ["cancel_runs"]
    readonly_fields = [field.name for field in Run._meta.fields]

    def get_queryset(self, request):
        return run_list_with_counts(runs=super().get_queryset(request)).select_related("owner")

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

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

    @admin.action(description="Cancel the selected runs (pending recipients are terminated)")
    def cancel_runs(self, request, queryset) -> None:
        cancelled = 0
        for run_id in queryset.values_list("id", flat=True):
            try:
                run_cancel_by_id(run_id=run_id)
                cancelled += 1
            except DomainError as exc:
                self.message_user(request, f"Run {run_id}: {exc.message}", messages.WARNING)
        if cancelled:
            self.message_user(request, f"Cancelled {cancelled} run(s).", messages.SUCCESS)
