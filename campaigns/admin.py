from django.contrib import admin, messages
from django.db.models import Count, Q
from django.forms.models import BaseInlineFormSet
from django.http import FileResponse
from django.urls import reverse
from django.utils.html import format_html

from campaigns import admin_runs  # noqa: F401  (run admin, execution engine issue)
from campaigns.models import Campaign, Recipient
from campaigns.selectors import reports
from campaigns.services.campaign import campaign_delete
from campaigns.views.reports import XLSX_TYPE
from tingting.api.errors import DomainError

INLINE_PAGE_SIZE = 50
STATUS_KEYS = {status: f"n_{status.replace(' ', '_')}" for status in Recipient.Status.values}


class PagedRecipientFormSet(BaseInlineFormSet):
    """Shows one page of a campaign's recipients (``?recipients_page=N``), never all of them."""

    page = 1

    def get_queryset(self):
        start = (self.page - 1) * INLINE_PAGE_SIZE
        return super().get_queryset()[start : start + INLINE_PAGE_SIZE]


class RecipientInline(admin.TabularInline):
    model = Recipient
    formset = PagedRecipientFormSet
    fields = ["number", "status", "tags", "attempts", "duration", "playback", "credit_consumed", "last_error"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True
    ordering = ["id"]

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        try:
            page = max(int(request.GET.get("recipients_page", 1)), 1)
        except ValueError:
            page = 1
        return type("PagedFormSet", (formset,), {"page": page})

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = ["name", "owner", "services", "created_at", "import_state", "recipient_counts"]
    list_filter = ["services", "import_state"]
    search_fields = ["name", "owner__email"]
    list_select_related = ["owner"]
    raw_id_fields = ["owner"]
    filter_horizontal = ["user_phone"]
    readonly_fields = [
        "runs",
        "usable_tags",
        "import_state",
        "import_report",
        "import_file",
        "recipient_pages",
        "created_at",
        "updated_at",
    ]
    inlines = [RecipientInline]
    actions = ["delete_campaigns", "download_report"]

    def get_queryset(self, request):
        annotations = {
            key: Count("recipients", filter=Q(recipients__status=status)) for status, key in STATUS_KEYS.items()
        }
        return super().get_queryset(request).annotate(n_total=Count("recipients"), **annotations)

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # deletion goes through the service (running → refused)
        return actions

    @admin.display(description="Recipients by status")
    def recipient_counts(self, obj):
        counts = [f"{status}: {getattr(obj, key)}" for status, key in STATUS_KEYS.items() if getattr(obj, key)]
        return f"{obj.n_total} — " + ", ".join(counts) if counts else "0"

    @admin.display(description="Runs")
    def runs(self, obj):
        """The campaign's runs, the one in progress named, linked to the run admin (counts, credits, cancel)."""
        if obj.pk is None:
            return "—"
        runs = list(obj.runs.order_by("-id").values_list("id", "state", "finished_at"))
        url = reverse("admin:campaigns_run_changelist")
        active = next((run for run in runs if run[2] is None), None)
        status = f"run {active[0]} in progress ({active[1]})" if active else "none in progress"
        return format_html(
            '{} run(s), {} — <a href="{}?campaign__id__exact={}">view runs</a>', len(runs), status, url, obj.pk
        )

    @admin.display(description="Recipient pages")
    def recipient_pages(self, obj):
        total = getattr(obj, "n_total", None) or obj.recipients.count()
        pages = max((total + INLINE_PAGE_SIZE - 1) // INLINE_PAGE_SIZE, 1)
        url = reverse("admin:campaigns_recipient_changelist")
        return format_html(
            "{} recipients, {} per page below; page with <code>?recipients_page=N</code> (1–{}), "
            '<a href="{}?campaign__id__exact={}">search them all</a>.',
            total,
            INLINE_PAGE_SIZE,
            pages,
            url,
            obj.pk,
        )

    @admin.action(description="Download report (xlsx)")
    def download_report(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, "Select exactly one campaign to download its report.", messages.WARNING)
            return None
        campaign = queryset.first()
        return FileResponse(
            reports.xlsx_file(campaign),
            as_attachment=True,
            filename=reports.report_filename(campaign, "xlsx"),
            content_type=XLSX_TYPE,
        )

    @admin.action(description="Delete selected campaigns (not while running)")
    def delete_campaigns(self, request, queryset):
        deleted = 0
        for campaign in queryset:
            try:
                campaign_delete(campaign=campaign)
                deleted += 1
            except DomainError as exc:
                self.message_user(request, f"{campaign.name}: {exc.message}", messages.ERROR)
        self.message_user(request, f"Deleted {deleted} campaign(s).", messages.SUCCESS)


@admin.register(Recipient)
class RecipientAdmin(admin.ModelAdmin):
    list_display = ["number", "campaign", "status", "attempts", "duration", "credit_consumed", "last_attempt_at"]
    list_filter = ["status"]
    search_fields = ["number", "campaign__name"]
    list_select_related = ["campaign"]
    raw_id_fields = ["campaign"]
    readonly_fields = [
        "campaign",
        "status",
        "duration",
        "playback",
        "credit_consumed",
        "attempts",
        "last_attempt_at",
        "last_error",
        "created_at",
    ]
    show_full_result_count = False

    # Recipients change through the API's services (in-flight rules); the admin looks.
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
