"""Recipients in the staff console: a campaign's page of them (inline), a recipient's
page with its tags as text, the audio of its latest call and its attempts. Read-only:
recipients change through the API's services."""

from __future__ import annotations

from django.contrib import admin
from django.forms.models import BaseInlineFormSet
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join

from campaigns.admin import listen
from campaigns.models import Attempt, Recipient

INLINE_PAGE_SIZE = 50
MAX_RECIPIENT_PAGE = 10**12


def tags_table(tags: dict):
    """A recipient's tags as a small table, text as text (Devanagari stays readable)."""
    if not tags:
        return "—"
    rows = format_html_join("", "<tr><th>{}</th><td>{}</td></tr>", ((name, value) for name, value in tags.items()))
    return format_html('<table class="tt-table tt-tags">{}</table>', rows)


def tags_line(tags: dict):
    """The tags on one line (list rows and the recipient inline)."""
    if not tags:
        return "—"
    return format_html_join(" · ", '<span class="tt-tag">{}: {}</span>', tags.items())


class PagedRecipientFormSet(BaseInlineFormSet):
    """Shows one page of a campaign's recipients (``?recipients_page=N``), never all of them."""

    page = 1

    def get_queryset(self):
        # One evaluation per page view: a running campaign changes between two reads.
        if not hasattr(self, "_page_rows"):
            start = (self.page - 1) * INLINE_PAGE_SIZE
            self._page_rows = list(super().get_queryset()[start : start + INLINE_PAGE_SIZE])
        return self._page_rows


class RecipientInline(admin.TabularInline):
    model = Recipient
    formset = PagedRecipientFormSet
    fields = ["number", "status", "tag_values", "attempts", "duration", "credit_consumed", "last_error"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True
    ordering = ["id"]

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        try:
            # Bounded: a page past every possible row must not overflow the OFFSET.
            page = min(max(int(request.GET.get("recipients_page", 1)), 1), MAX_RECIPIENT_PAGE)
        except ValueError:
            page = 1
        return type("PagedFormSet", (formset,), {"page": page})

    @admin.display(description="tags")
    def tag_values(self, recipient: Recipient):
        return tags_line(recipient.tags)

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


def _local(moment) -> str:
    return date_format(timezone.localtime(moment), "DATETIME_FORMAT") if moment else "—"


def attempts_table(recipient: Recipient):
    rows = [
        (
            reverse("admin:campaigns_run_change", args=[attempt.run_id]),
            attempt.run_id,
            attempt.status,
            attempt.tries,
            attempt.duration if attempt.duration is not None else "—",
            attempt.charged + attempt.extra_charged,
            attempt.error or "—",
            _local(attempt.finished_at or attempt.queued_at),
        )
        for attempt in Attempt.objects.filter(recipient=recipient).order_by("-id")[:50]
    ]
    if not rows:
        return "No attempts yet."
    body = format_html_join(
        "",
        '<tr><td><a href="{}">run {}</a></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>',
        rows,
    )
    return format_html(
        '<table class="tt-table tt-attempts"><tr><th>run</th><th>status</th><th>tries</th><th>seconds</th>'
        "<th>charged</th><th>error</th><th>at</th></tr>{}</table>",
        body,
    )


@admin.register(Recipient)
class RecipientAdmin(admin.ModelAdmin):
    list_display = ["number", "campaign", "status", "tags_text", "attempts", "credit_consumed", "last_attempt_at"]
    list_filter = ["status"]
    search_fields = ["number", "campaign__name"]
    list_select_related = ["campaign"]
    raw_id_fields = ["campaign"]
    fields = [
        "campaign",
        "number",
        "status",
        "tag_values",
        "audio",
        "attempt_history",
        "duration",
        "playback",
        "credit_consumed",
        "attempts",
        "last_attempt_at",
        "last_error",
        "created_at",
    ]
    readonly_fields = fields
    show_full_result_count = False

    @admin.display(description="tags")
    def tag_values(self, recipient: Recipient):
        return tags_table(recipient.tags)

    @admin.display(description="tags")
    def tags_text(self, recipient: Recipient):
        return tags_line(recipient.tags)

    @admin.display(description="Audio of the latest call")
    def audio(self, recipient: Recipient):
        return listen.recipient_player(recipient)

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path(
                "<int:recipient_id>/audio/",
                wrap(lambda request, recipient_id: listen.recipient_audio_view(self, request, recipient_id)),
                name="campaigns_recipient_audio",
            ),
            *super().get_urls(),
        ]

    @admin.display(description="Attempts (latest first)")
    def attempt_history(self, recipient: Recipient):
        return attempts_table(recipient)

    # Recipients change through the API's services (in-flight rules); the admin looks.
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
