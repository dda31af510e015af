from django.contrib import admin

from tingting.admin_base import ViewOnlyAdmin
from tingting.models import IdempotencyRecord, ProviderMessage, SimulatedDelivery, WebhookEvent


@admin.register(SimulatedDelivery)
class SimulatedDeliveryAdmin(admin.ModelAdmin):
    list_display = ["created_at", "channel", "to", "outcome", "duration", "reference", "body"]
    list_filter = ["channel", "outcome"]
    search_fields = ["to", "reference", "provider_id"]

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(IdempotencyRecord)
class IdempotencyRecordAdmin(ViewOnlyAdmin):
    """Written only by the @idempotent decorator."""

    list_display = ["created_at", "user", "key", "method", "path", "state", "response_status"]
    search_fields = ["key", "user__email"]
    list_select_related = ["user"]


@admin.register(ProviderMessage)
class ProviderMessageAdmin(ViewOnlyAdmin):
    """What was handed to Twilio / Sparrow; read-only (the callback token stays hidden)."""

    list_display = ["created_at", "backend", "reference", "to", "state", "status", "provider_id", "error"]
    list_filter = ["backend", "state", "status"]
    search_fields = ["reference", "provider_id", "to"]
    exclude = ["callback_token"]


@admin.register(WebhookEvent)
class WebhookEventAdmin(ViewOnlyAdmin):
    """Status webhooks to clients and their delivery state; read-only."""

    list_display = [
        "created_at",
        "user",
        "event",
        "object_type",
        "object_id",
        "sequence",
        "status",
        "attempts",
        "last_status_code",
        "next_attempt_at",
    ]
    list_filter = ["status", "event"]
    search_fields = ["event_id", "object_id", "user__email"]
    raw_id_fields = ["user"]
