from django.contrib import admin

from tingting.models import IdempotencyRecord, SimulatedDelivery


@admin.register(SimulatedDelivery)
class SimulatedDeliveryAdmin(admin.ModelAdmin):
    list_display = ["created_at", "channel", "to", "outcome", "duration", "reference", "body"]
    list_filter = ["channel", "outcome"]
    search_fields = ["to", "reference", "provider_id"]

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(IdempotencyRecord)
class IdempotencyRecordAdmin(admin.ModelAdmin):
    list_display = ["created_at", "user", "key", "method", "path", "state", "response_status"]
    search_fields = ["key", "user__email"]
    list_select_related = ["user"]

    def has_change_permission(self, request, obj=None):
        return False
