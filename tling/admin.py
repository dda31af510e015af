"""Admin for Tling objects; actions call services."""

from django.contrib import admin, messages

from tingting.errors import DomainError
from tling import services
from tling.models import (
    Contact,
    ContactList,
    Membership,
    Message,
    MessageEvent,
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
