"""Admin for Tling objects; actions call services."""

from datetime import timedelta

from django.conf import settings
from django.contrib import admin, messages
from django.db.models import Count, Q
from django.utils import timezone

from tingting.admin_base import register_panel
from tingting.errors import DomainError
from tling import services
from tling.models import (
    STATUS_RANK,
    Contact,
    ContactList,
    Membership,
    Message,
    MessageEvent,
    MessageStatus,
    ScheduledMessage,
    ScheduleState,
)


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    raw_id_fields = ["contact"]


@admin.register(Contact)
class ContactAdmin(admin.ModelAdmin):
    list_display = ["name", "phone_code", "phone_national", "email", "owner", "updated_at"]
    list_select_related = ["owner"]
    search_fields = ["name", "phone_national", "email", "owner__email"]
    raw_id_fields = ["owner"]
    readonly_fields = ["id", "created_at", "updated_at"]


@admin.register(ContactList)
class ContactListAdmin(admin.ModelAdmin):
    list_display = ["name", "owner", "updated_at"]
    list_select_related = ["owner"]
    search_fields = ["name", "owner__email"]
    raw_id_fields = ["owner"]
    readonly_fields = ["id", "created_at", "updated_at"]
    inlines = [MembershipInline]


class MessageEventInline(admin.TabularInline):
    model = MessageEvent
    extra = 0
    can_delete = False
    fields = ["status", "occurred_at", "recorded_at"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    """Read-only: messages change through the send path and provider reports."""

    list_display = ["id", "phone_code", "phone_national", "status", "billing", "credits", "owner", "created_at"]
    list_filter = ["status", "billing"]
    list_select_related = ["owner"]
    search_fields = ["=id", "phone_national", "owner__email", "provider_id"]
    inlines = [MessageEventInline]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(ScheduledMessage)
class ScheduledMessageAdmin(admin.ModelAdmin):
    list_display = ["id", "owner", "send_at", "state", "created_at"]
    list_filter = ["state"]
    list_select_related = ["owner"]
    search_fields = ["=id", "owner__email", "text"]
    readonly_fields = ["id", "owner", "api_key", "state", "error", "created_at", "updated_at"]
    actions = ["cancel"]

    def has_add_permission(self, request) -> bool:
        return False

    @admin.action(description="Cancel the selected waiting schedules")
    def cancel(self, request, queryset):
        done = 0
        for schedule in queryset.filter(state=ScheduleState.CREATED).select_related("owner"):
            try:
                services.schedule_cancel(owner=schedule.owner, schedule_id=schedule.pk)
                done += 1
            except DomainError as exc:
                self.message_user(request, f"{schedule.pk}: {exc.message}", messages.WARNING)
        self.message_user(request, f"Cancelled {done} scheduled message(s).")


def messages_panel(request) -> dict:
    """The operator's front page: today's Tling messages and the ones stuck past the
    sweep's timeouts (the same conditions ``messages_sweep`` acts on)."""
    now = timezone.now()
    today = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    stale = now - timedelta(seconds=settings.TLING_STALE_SECONDS)
    stuck = now - timedelta(seconds=settings.TLING_STUCK_SENDING_SECONDS)
    final_bad = (MessageStatus.FAILED, MessageStatus.UNDELIVERED, MessageStatus.EXPIRED, MessageStatus.QUEUE_FAILED)
    figures = Message.objects.filter(
        Q(created_at__gte=today) | Q(status_rank__lt=STATUS_RANK[MessageStatus.SENT])
    ).aggregate(
        created=Count("id", filter=Q(created_at__gte=today)),
        delivered=Count("id", filter=Q(created_at__gte=today, status=MessageStatus.DELIVERED)),
        failed=Count("id", filter=Q(created_at__gte=today, status__in=final_bad)),
        unqueued=Count("id", filter=Q(status=MessageStatus.CREATED, created_at__lt=stale)),
        unclaimed=Count("id", filter=Q(status=MessageStatus.QUEUED, claimed_at__isnull=True, updated_at__lt=stale)),
        unsent=Count("id", filter=Q(claimed_at__lt=stuck, status_rank__lt=STATUS_RANK[MessageStatus.SENT])),
    )

    def stuck_row(label, count):
        return (label, count, "tt-bad" if count else "tt-good")

    return {
        "title": "Tling messages",
        "rows": [
            ("Messages today", figures["created"], "tt-figure"),
            ("Messages delivered", figures["delivered"], ""),
            ("Messages failed", figures["failed"], "tt-bad" if figures["failed"] else ""),
            stuck_row(f"Messages not queued > {settings.TLING_STALE_SECONDS} s", figures["unqueued"]),
            stuck_row(f"Messages queued, unclaimed > {settings.TLING_STALE_SECONDS} s", figures["unclaimed"]),
            stuck_row(f"Messages claimed, unsent > {settings.TLING_STUCK_SENDING_SECONDS} s", figures["unsent"]),
        ],
    }


register_panel("messages", messages_panel, order=62)
