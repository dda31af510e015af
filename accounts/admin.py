from datetime import timedelta

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import Q, Sum
from django.shortcuts import render
from django.utils import timezone

from accounts import ledger
from accounts.api_keys import api_key_create
from accounts.models import AccountSettings, ApiKey, DoNotContact, LedgerEntry, User
from accounts.services import login_throttle
from tingting.admin_base import ViewOnlyAdmin, register_panel
from tingting.api import throttling
from tingting.errors import DomainError, RateLimitedError


class ThrottledAdminLoginForm(AdminAuthenticationForm):
    """The admin login counts against the same per-IP and per-email buckets as
    the API login, before the password is checked."""

    def clean(self):
        try:
            login_throttle(client_ip=throttling.client_ip(self.request), email=self.cleaned_data.get("username") or "")
        except RateLimitedError as exc:
            raise forms.ValidationError(
                f"Too many login attempts; try again in {exc.retry_after} s.", code="throttled"
            ) from exc
        return super().clean()


admin.site.login_form = ThrottledAdminLoginForm


class TopUpForm(forms.Form):
    amount = forms.IntegerField(min_value=1, max_value=10**12)
    note = forms.CharField(max_length=255, required=False)


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    ordering = ["email"]
    list_display = ["email", "first_name", "last_name", "credits", "credits_held", "is_staff", "is_active"]
    search_fields = ["email", "first_name", "last_name", "contact_number"]
    readonly_fields = ["credits", "credits_held", "last_login", "date_joined"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        (
            "Profile",
            {
                "fields": [
                    "first_name",
                    "last_name",
                    "username",
                    "contact_number",
                    "address",
                    "is_verified_email",
                    "is_verified_phone",
                    "time_zone",
                ]
            },
        ),
        ("Credits", {"fields": ["credits", "credits_held", "sms_credits_per_segment", "voice_credits_per_pulse"]}),
        ("Permissions", {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]}),
        ("Dates", {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["email", "password1", "password2"]})]
    actions = ["top_up"]

    @admin.action(description="Top up credits (writes a ledger entry)")
    def top_up(self, request, queryset):
        if "apply" in request.POST:
            form = TopUpForm(request.POST)
            if form.is_valid():
                for user in queryset:
                    try:
                        ledger.top_up(
                            user_id=user.pk,
                            amount=form.cleaned_data["amount"],
                            note=form.cleaned_data["note"] or f"admin top-up by {request.user.email}",
                        )
                    except DomainError as exc:
                        self.message_user(request, f"{user.email}: {exc.message}", messages.ERROR)
                self.message_user(request, f"Topped up {queryset.count()} account(s).", messages.SUCCESS)
                return None
        else:
            form = TopUpForm()
        return render(
            request,
            "admin/accounts/top_up.html",
            {
                **self.admin_site.each_context(request),
                "form": form,
                "users": queryset,
                "title": "Top up credits",
                "action": "top_up",
            },
        )


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ViewOnlyAdmin):
    list_display = ["created_at", "user", "kind", "amount", "credits_after", "held_after", "reference", "note"]
    list_filter = ["kind"]
    search_fields = ["user__email", "reference", "idempotency_key"]
    list_select_related = ["user"]
    date_hierarchy = "created_at"

    # Append-only: not even deleted.
    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = ["prefix", "name", "user", "created_at", "last_used_at", "revoked_at"]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["user__email", "name", "prefix"]
    list_select_related = ["user"]
    readonly_fields = ["prefix", "key_hash", "created_at", "last_used_at", "revoked_at"]
    fields = ["user", "name", "prefix", "key_hash", "created_at", "last_used_at", "revoked_at"]
    actions = ["revoke"]

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        key, raw = api_key_create(user=obj.user, name=obj.name)
        obj.pk = key.pk
        self.message_user(request, f"API key for {obj.user.email}: {raw} (shown once; store it now)", messages.WARNING)

    @admin.action(description="Revoke selected keys")
    def revoke(self, request, queryset):
        count = queryset.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
        self.message_user(request, f"Revoked {count} key(s).", messages.SUCCESS)


@admin.register(AccountSettings)
class AccountSettingsAdmin(admin.ModelAdmin):
    list_display = [
        "user",
        "calling_start",
        "calling_end",
        "max_calls_per_second",
        "max_concurrent_calls",
        "webhook_url",
        "updated_at",
    ]
    search_fields = ["user__email"]
    # The webhook secret is write-only, also for staff.
    exclude = ["webhook_secret"]
    raw_id_fields = ["user"]


@admin.register(DoNotContact)
class DoNotContactAdmin(admin.ModelAdmin):
    list_display = ["number", "user", "source", "reason", "created_at"]
    list_filter = ["source"]
    search_fields = ["number", "user__email"]
    raw_id_fields = ["user"]


def credits_panel(request) -> dict:
    """Credits sold (top-ups) and used (charges and number purchases) today and over
    30 days, from the ledger; what is on hold now."""
    today = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    month = timezone.now() - timedelta(days=30)
    sold, used = Q(kind=LedgerEntry.Kind.TOPUP), Q(kind__in=(LedgerEntry.Kind.CHARGE, LedgerEntry.Kind.PURCHASE))
    figures = LedgerEntry.objects.filter(created_at__gte=min(today, month)).aggregate(
        sold_today=Sum("amount", filter=sold & Q(created_at__gte=today), default=0),
        used_today=Sum("amount", filter=used & Q(created_at__gte=today), default=0),
        sold_month=Sum("amount", filter=sold & Q(created_at__gte=month), default=0),
        used_month=Sum("amount", filter=used & Q(created_at__gte=month), default=0),
    )
    held = User.objects.aggregate(held=Sum("credits_held", default=0))["held"]
    return {
        "title": "Credits",
        "rows": [
            ("Sold today", figures["sold_today"], "tt-figure"),
            ("Used today", figures["used_today"], "tt-figure"),
            ("Sold, 30 days", figures["sold_month"], ""),
            ("Used, 30 days", figures["used_month"], ""),
            ("On hold now", held, ""),
        ],
    }


register_panel("credits", credits_panel, order=30)
