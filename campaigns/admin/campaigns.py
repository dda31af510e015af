"""Campaigns in the staff console.

Every write goes through the API's services (``campaign_create``, ``campaign_update``,
``campaign_delete``, the run transitions, ``run_begin``): a refusal is shown with the
API's message, never a 500 (``ServiceAdmin``). The caller-ID picker offers the
owner's numbers with the capability the service needs, and whatever is posted is
checked by the same service as ``/api/system/campaigns/<id>/update``.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.db.models import Prefetch
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from campaigns import extensions
from campaigns.admin import control, listen
from campaigns.admin.begin import begin_view
from campaigns.admin.progress import (
    campaign_progress,
    campaign_progress_json,
    campaign_progress_url,
    campaigns_batch_url,
    campaigns_progress_json,
    console_progress,
    latest_runs,
    progress_bar,
)
from campaigns.admin.recipients import INLINE_PAGE_SIZE, RecipientInline
from campaigns.models import Campaign, Recipient
from campaigns.selectors import progress_of
from campaigns.services.campaign import CAPABILITY, campaign_create, campaign_delete, campaign_update
from phonenumbers_app.selectors import owned_number_list
from tingting.admin_base import ServiceAdmin, console_path, error_text
from tingting.errors import DomainError


class CallerIdField(forms.TypedMultipleChoiceField):
    """Offers the owner's numbers; accepts any posted value so the service, not the
    form, answers a foreign or unknown number (with the API's message)."""

    def valid_value(self, value) -> bool:
        return True


# What a staff member reads for the two services (the values stay the API's).
SERVICE_CHOICES = [
    (Campaign.Services.SMS, "SMS"),
    (Campaign.Services.PHONE, "Voice call (PHONE)"),
    (Campaign.Services.SMS_PHONE, "Call, then SMS when the call fails (SMS & PHONE)"),
    (Campaign.Services.SURVEY, "Survey: a scripted call (SURVEY)"),
]


class CampaignChangeForm(forms.ModelForm):
    services = forms.ChoiceField(choices=SERVICE_CHOICES)
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
    services = forms.ChoiceField(choices=SERVICE_CHOICES)
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
        "sms_followup",
        "failover_statuses",
        "tags_available",
        "import_state",
        "import_summary",
        "recipient_pages",
        "extension_sections",
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
        content = ["message", "voice_input", "length_factor", "audio_file", "test_voice"]
        if obj.services == Campaign.Services.SMS_PHONE:
            content[1:1] = ["sms_followup", "failover_statuses"]
        sections = self._sections(obj)
        return [
            ("Progress", {"fields": ["live_progress", "controls", "runs", "report"]}),
            ("Campaign", {"fields": ["owner", "name", "services", "description", "user_phone"]}),
            *([(" · ".join(title for title, _ in sections), {"fields": ["extension_sections"]})] if sections else []),
            ("Content (stored by begin)", {"fields": content}),
            (
                "Recipients",
                {
                    "fields": [
                        "recipient_pages",
                        "tags_available",
                        "import_state",
                        "import_summary",
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
        return (
            super()
            .get_queryset(request)
            .prefetch_related(Prefetch("runs", queryset=latest_runs(), to_attr="latest"), "user_phone")
        )

    def get_urls(self):
        return [
            console_path(self, "progress/", campaigns_progress_json, "campaigns_campaign_progress_batch"),
            console_path(self, "<int:campaign_id>/progress/", campaign_progress_json, "campaigns_campaign_progress"),
            console_path(
                self, "<int:campaign_id>/test-voice/", listen.test_voice_view, "campaigns_campaign_test_voice"
            ),
            console_path(
                self, "<int:campaign_id>/report/<str:extension>/", listen.report_view, "campaigns_campaign_report"
            ),
            console_path(self, "<int:campaign_id>/begin/", begin_view, "campaigns_campaign_begin", permission="change"),
            console_path(
                self,
                "<int:campaign_id>/control/<str:action>/",
                control.campaign_control_view,
                "campaigns_campaign_control",
                permission="change",
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
        return progress_bar(self._progress(campaign), batch=(campaigns_batch_url(), campaign.pk), compact=True)

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

    def _sections(self, campaign: Campaign) -> list[tuple[str, str]]:
        """What other apps show on the page (a survey's script and answers), read once."""
        if not hasattr(campaign, "_console_sections"):
            campaign._console_sections = extensions.console_sections(campaign)
        return campaign._console_sections

    @admin.display(description="")
    def extension_sections(self, campaign: Campaign):
        return format_html_join("", "{}", ((html,) for _, html in self._sections(campaign)))

    @admin.display(description="SMS after a failed call")
    def sms_followup(self, campaign: Campaign) -> str:
        return campaign.sms_message or "— (the message)"

    @admin.display(description="…when the call ends as")
    def failover_statuses(self, campaign: Campaign) -> str:
        return ", ".join(campaign.failover_target or []) or "—"

    @admin.display(description="Usable tags")
    def tags_available(self, campaign: Campaign):
        return ", ".join(campaign.usable_tags or []) or "—"

    @admin.display(description="Import")
    def import_summary(self, campaign: Campaign):
        report = campaign.import_report or {}
        if not report:
            return "—"
        rows = (report.get("invalid") or [])[:20]
        invalid = format_html_join(
            "", "<li>row {}: {} — {}</li>", ((row.get("row"), row.get("value"), row.get("error")) for row in rows)
        )
        return format_html("{}<ul>{}</ul>", _import_summary(report) + f" ({report.get('state', '—')})", invalid)

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
