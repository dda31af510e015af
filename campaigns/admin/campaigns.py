"""Campaigns and recipients in the staff console.

Every write goes through the API's services (``campaign_create``, ``campaign_update``,
``campaign_delete``, the run transitions, ``run_begin``): a refusal is shown with the
API's message, never a 500 (``ServiceAdmin``). The caller-ID picker offers the
owner's numbers with the capability the service needs, and whatever is posted is
checked by the same service as ``/api/system/campaigns/<id>/update``.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.db.models import OuterRef, Prefetch, Subquery
from django.forms.models import BaseInlineFormSet
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join

from campaigns.admin import control, listen
from campaigns.admin.begin import begin_view
from campaigns.admin.progress import (
    campaign_progress,
    campaign_progress_json,
    campaign_progress_url,
    console_progress,
    progress_bar,
)
from campaigns.models import Attempt, Campaign, Recipient, Run
from campaigns.selectors import progress_of, run_list_with_counts
from campaigns.services.campaign import CAPABILITY, campaign_create, campaign_delete, campaign_update
from phonenumbers_app.selectors import owned_number_list
from tingting.admin_base import ServiceAdmin, error_text
from tingting.api.errors import DomainError

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


class CallerIdField(forms.TypedMultipleChoiceField):
    """Offers the owner's numbers; accepts any posted value so the service, not the
    form, answers a foreign or unknown number (with the API's message)."""

    def valid_value(self, value) -> bool:
        return True


class CampaignChangeForm(forms.ModelForm):
    user_phone = CallerIdField(
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Caller IDs",
        help_text="The owner's numbers with the capability the service needs (none: the platform's default sender).",
    )

    class Meta:
        model = Campaign
        fields = ["name", "services", "description"]


class CampaignAddForm(forms.ModelForm):
    individual_number = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        label="Numbers",
        help_text="One per line or comma-separated; or upload a file below.",
    )
    send_to_number_file = forms.FileField(required=False, label="Recipients file (xlsx or csv)")

    class Meta:
        model = Campaign
        fields = ["owner", "name", "services", "description"]


def _latest_runs():
    """Each campaign's latest run with the counts ``progress_of`` reads (one query per page)."""
    latest = Run.objects.filter(campaign=OuterRef("campaign")).order_by("-id").values("id")[:1]
    return Prefetch(
        "runs", queryset=run_list_with_counts(runs=Run.objects.filter(id=Subquery(latest))), to_attr="latest"
    )


def _campaign_of(campaign: Campaign):
    return campaign.owner, campaign.pk, campaign.name


@admin.register(Campaign)
class CampaignAdmin(ServiceAdmin):
    list_display = ["name", "owner", "services", "bar", "import_state", "created_at"]
    list_filter = ["services", "import_state"]
    search_fields = ["name", "owner__email"]
    list_select_related = ["owner"]
    raw_id_fields = ["owner"]
    inlines = [RecipientInline]
    actions = [
        control.list_action("pause", campaign_of=_campaign_of),
        control.list_action("resume", campaign_of=_campaign_of),
        control.list_action("cancel", campaign_of=_campaign_of),
        "delete_campaigns",
        "download_report",
    ]
    change_readonly = [
        "live_progress",
        "controls",
        "report",
        "test_voice",
        "owner",
        "runs",
        "message",
        "voice_input",
        "length_factor",
        "audio_file",
        "usable_tags",
        "import_state",
        "import_report",
        "recipient_pages",
        "created_at",
        "updated_at",
    ]

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            return super().get_form(request, obj, change=change, form=CampaignAddForm, **kwargs)
        form = super().get_form(request, obj, change=change, form=CampaignChangeForm, **kwargs)
        capability = CAPABILITY[obj.services]
        numbers = owned_number_list(user=obj.owner).filter(**{f"has_{capability}": True})
        form.base_fields["user_phone"].choices = [(n.phone_number, str(n.phone_number)) for n in numbers]
        form.base_fields["user_phone"].initial = [n.phone_number for n in obj.user_phone.all()]
        return form

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return [
                (None, {"fields": ["owner", "name", "services", "description"]}),
                ("Recipients", {"fields": ["individual_number", "send_to_number_file"]}),
            ]
        return [
            ("Progress", {"fields": ["live_progress", "controls", "runs", "report"]}),
            ("Campaign", {"fields": ["owner", "name", "services", "description", "user_phone"]}),
            (
                "Content (stored by begin)",
                {"fields": ["message", "voice_input", "length_factor", "audio_file", "test_voice"]},
            ),
            (
                "Recipients",
                {
                    "fields": [
                        "recipient_pages",
                        "usable_tags",
                        "import_state",
                        "import_report",
                        "created_at",
                        "updated_at",
                    ]
                },
            ),
        ]

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else self.change_readonly

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None else []

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related(_latest_runs(), "user_phone")

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("<int:campaign_id>/progress/", wrap(campaign_progress_json), name="campaigns_campaign_progress"),
            path(
                "<int:campaign_id>/test-voice/",
                wrap(lambda request, campaign_id: listen.test_voice_view(self, request, campaign_id)),
                name="campaigns_campaign_test_voice",
            ),
            path(
                "<int:campaign_id>/report/<str:extension>/",
                wrap(lambda request, campaign_id, extension: listen.report_view(self, request, campaign_id, extension)),
                name="campaigns_campaign_report",
            ),
            path(
                "<int:campaign_id>/begin/",
                wrap(lambda request, campaign_id: begin_view(self, request, campaign_id)),
                name="campaigns_campaign_begin",
            ),
            path(
                "<int:campaign_id>/control/<str:action>/",
                wrap(
                    lambda request, campaign_id, action: control.campaign_control_view(
                        self, request, campaign_id, action
                    )
                ),
                name="campaigns_campaign_control",
            ),
            *super().get_urls(),
        ]

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # deletion goes through the service (running → refused)
        return actions

    # --- Saving through the services ------------------------------------------------

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        try:
            if change:
                campaign_update(
                    campaign=obj,
                    name=data["name"],
                    services=data["services"],
                    description=data["description"],
                    user_phone=data["user_phone"],
                )
                return
            numbers = [part.strip() for part in data["individual_number"].replace(",", "\n").splitlines()]
            campaign, report = campaign_create(
                owner=data["owner"],
                name=data["name"],
                services=data["services"],
                description=data["description"],
                individual_number=[number for number in numbers if number],
                send_to_number_file=data["send_to_number_file"],
            )
        except DomainError as exc:
            self.refuse(exc)
        obj.pk, obj._state.adding = campaign.pk, False
        self.message_user(request, _import_summary(report), messages.INFO)

    def delete_model(self, request, obj):
        try:
            campaign_delete(campaign=obj)
        except DomainError as exc:
            self.refuse(exc)

    def get_deleted_objects(self, objs, request):
        """The confirmation names the campaign and counts its recipients instead of
        listing every one (a million-row campaign would be loaded to show the page)."""
        campaigns = list(objs)
        recipients = Recipient.objects.filter(campaign__in=campaigns).count()
        perms_needed = set() if self.has_delete_permission(request) else {"campaign"}
        return [str(c) for c in campaigns], {"campaigns": len(campaigns), "recipients": recipients}, perms_needed, []

    def save_related(self, request, form, formsets, change):
        """Caller IDs were set by the service (no ``form.save_m2m()``); the recipient
        inline is read-only, so saving its formset writes nothing."""
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    # --- Read-only parts of the page ------------------------------------------------

    def _progress(self, campaign: Campaign) -> dict:
        latest = getattr(campaign, "latest", None)
        if latest:
            return console_progress(progress_of(latest[0]))
        return campaign_progress(campaign)

    @admin.display(description="progress")
    def bar(self, campaign: Campaign):
        return progress_bar(self._progress(campaign), compact=True)

    @admin.display(description="Live progress")
    def live_progress(self, campaign: Campaign):
        return progress_bar(campaign_progress(campaign), url=campaign_progress_url(campaign.pk))

    @admin.display(description="Control")
    def controls(self, campaign: Campaign):
        progress = campaign_progress(campaign)
        state = progress["state"] if progress["is_active"] else None
        extra = []
        if state is None:  # nothing in progress: begin (or re-run) with the begin form
            label = "Re-run…" if progress["run_id"] else "Begin…"
            extra = [(reverse("admin:campaigns_campaign_begin", args=[campaign.pk]), "tt-begin", label)]
        return control.control_buttons(
            url_name="admin:campaigns_campaign_control", pk=campaign.pk, state=state, extra=extra
        )

    @admin.display(description="Report")
    def report(self, campaign: Campaign):
        return listen.report_buttons(campaign)

    @admin.display(description="Test voice")
    def test_voice(self, campaign: Campaign):
        return listen.test_voice_panel(campaign)

    @admin.display(description="Runs")
    def runs(self, campaign: Campaign):
        """The campaign's runs, the one in progress named, linked to the run admin."""
        runs = list(campaign.runs.order_by("-id").values_list("id", "state", "finished_at"))
        url = reverse("admin:campaigns_run_changelist")
        active = next((run for run in runs if run[2] is None), None)
        status = f"run {active[0]} in progress ({active[1]})" if active else "none in progress"
        return format_html(
            '{} run(s), {} — <a href="{}?campaign__id__exact={}">view runs</a>', len(runs), status, url, campaign.pk
        )

    @admin.display(description="Recipient pages")
    def recipient_pages(self, campaign: Campaign):
        total = campaign.recipients.count()
        pages = max((total + INLINE_PAGE_SIZE - 1) // INLINE_PAGE_SIZE, 1)
        url = reverse("admin:campaigns_recipient_changelist")
        return format_html(
            "{} recipients, {} per page below; page with <code>?recipients_page=N</code> (1–{}), "
            '<a href="{}?campaign__id__exact={}">search them all</a>.',
            total,
            INLINE_PAGE_SIZE,
            pages,
            url,
            campaign.pk,
        )

    # --- List actions -----------------------------------------------------------------

    @admin.action(description="Download report (xlsx)")
    def download_report(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, "Select exactly one campaign to download its report.", messages.WARNING)
            return None
        campaign = queryset.first()
        return listen.report_response(campaign, "xlsx")

    @admin.action(description="Delete selected campaigns (not while running)")
    def delete_campaigns(self, request, queryset):
        deleted = 0
        for campaign in queryset:
            try:
                campaign_delete(campaign=campaign)
                deleted += 1
            except DomainError as exc:
                self.message_user(request, f"{campaign.name}: {error_text(exc)}", messages.ERROR)
        self.message_user(request, f"Deleted {deleted} campaign(s).", messages.SUCCESS)


def _import_summary(report: dict) -> str:
    if report.get("state") == "pending":
        return f"Importing about {report.get('rows_expected', 0)} rows in the background; the page shows the progress."
    return (
        f"Recipients imported: {report.get('added', 0)} added, {report.get('duplicates', 0)} duplicates, "
        f"{report.get('invalid_count', 0)} invalid."
    )


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
