from datetime import timedelta

from django.conf import settings
from django.contrib import admin
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.module_loading import import_string

from tingting.admin_base import ViewOnlyAdmin, register_panel
from tingting.models import IdempotencyRecord, ProviderMessage, SimulatedDelivery, WebhookEvent
from tingting.providers.failover import health


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


def provider_health_panel(request) -> dict:
    """Each kind's backend, its failover state over the window, and the error share of
    provider records of the last hour."""
    rows = []
    for kind, primary, secondary in (
        ("SMS", settings.SMS_BACKEND, settings.SMS_BACKEND_FALLBACK),
        ("Voice", settings.VOICE_BACKEND, settings.VOICE_BACKEND_FALLBACK),
    ):
        if not secondary:
            rows.append((f"{kind}: {_backend_name(primary)}", "no failover configured", ""))
            continue
        primary_name, secondary_name = _backend_name(primary), _backend_name(secondary)
        requests, errors = health.counts(primary_name)
        if health.is_failing(primary_name):
            state, css = f"failing over to {secondary_name}", "tt-bad"
        else:
            state, css = f"primary healthy (failover: {secondary_name})", "tt-good"
        rows.append((f"{kind}: {primary_name}", f"{state}; {errors}/{requests} errors in window", css))
    since = timezone.now() - timedelta(hours=1)
    recent = ProviderMessage.objects.filter(created_at__gte=since).aggregate(
        total=Count("id"), errors=Count("id", filter=~Q(error=""))
    )
    share = f"{100 * recent['errors'] / recent['total']:.1f}%" if recent["total"] else "—"
    rows.append(("Provider errors, last hour", f"{recent['errors']} of {recent['total']} ({share})", ""))
    return {"title": "Provider health", "rows": rows}


def _backend_name(dotted_path: str) -> str:
    """The name a backend counts its health under (its class's ``name``)."""
    return getattr(import_string(dotted_path), "name", dotted_path.rsplit(".", 1)[-1])


register_panel("providers", provider_health_panel, order=40)
