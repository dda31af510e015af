"""The staff console's site and the admin pieces the apps share.

``TingtingAdminSite`` (installed by ``tingting.apps.TingtingAdminConfig``) brands the
admin "Tingting", shows every timestamp in the staff member's account time zone,
groups the plumbing tables (idempotency, tokens, webhook events, provider records,
simulated deliveries) under "Platform" after the business objects, and builds the
front page from panels the apps register (``register_panel``), so the kernel imports
no app.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.contrib import admin, messages
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.utils import timezone
from rest_framework.exceptions import ValidationError as DRFValidationError

from tingting.api.exceptions import flatten_validation_detail
from tingting.errors import DomainError

PLATFORM = "Platform"
# Apps whose tables are plumbing, shown under "Platform" (the tingting app is named so already).
PLATFORM_APPS = {"tingting", "token_blacklist", "django_celery_beat", "django_celery_results"}

# name → (order, callable(request) -> dict | None): the front page's panels.
_PANELS: dict[str, tuple[int, Callable]] = {}


def register_panel(name: str, panel: Callable, *, order: int = 50) -> None:
    """Adds a front-page panel: ``panel(request)`` returns ``{"title", "rows": [(label,
    value, css class)], "html", "wide"}`` (``admin/tingting_panel.html``) or None to hide
    it. Registered by the apps' admin modules, shown by ``order``."""
    _PANELS[name] = (order, panel)


def account_zone(user) -> ZoneInfo:
    """The account's time zone (``User.time_zone``), the platform default when unset or unknown."""
    try:
        return ZoneInfo(getattr(user, "time_zone", "") or settings.TIME_ZONE)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(settings.TIME_ZONE)


def field_messages(detail) -> list[str]:
    """A serializer's errors as ``field: message`` lines, fields named as the API names them."""
    return [
        f"{error.field}: {error.message}" if error.field else error.message
        for error in flatten_validation_detail(detail)
    ]


def error_text(exc: Exception) -> str:
    """What a staff member reads for a refused action: a domain error's message, or a
    serializer's field errors as ``field: message``."""
    if isinstance(exc, DomainError):
        return exc.message
    if isinstance(exc, DRFValidationError):
        return "; ".join(field_messages(exc.detail))
    return str(exc)


class TingtingAdminSite(admin.AdminSite):
    site_header = "Tingting"
    site_title = "Tingting"
    index_title = "Operations"
    index_template = "admin/tingting_index.html"
    # The sidebar costs a quarter of a 1280 px screen; the breadcrumbs and front page link everything.
    enable_nav_sidebar = False

    def admin_view(self, view, cacheable=False):
        inner = super().admin_view(view, cacheable)

        @wraps(view)
        def in_account_zone(request, *args, **kwargs):
            # Templates render after the view returns: render inside the override so
            # every timestamp on the page is in the staff member's zone.
            with timezone.override(account_zone(request.user)):
                response = inner(request, *args, **kwargs)
                if isinstance(response, TemplateResponse) and not response.is_rendered:
                    response.render()
            return response

        return in_account_zone

    def each_context(self, request):
        context = super().each_context(request)
        context["account_zone"] = str(account_zone(request.user))
        return context

    def get_app_list(self, request, app_label=None):
        """Business apps alphabetically, then one "Platform" group with the plumbing tables."""
        apps = super().get_app_list(request, app_label)
        business = [app for app in apps if app["app_label"] not in PLATFORM_APPS]
        plumbing = [app for app in apps if app["app_label"] in PLATFORM_APPS]
        if not plumbing:
            return business
        platform = {**plumbing[0], "name": PLATFORM, "models": []}
        for app in plumbing:
            platform["models"] += app["models"]
        platform["models"].sort(key=lambda model: model["name"])
        return [*business, platform]

    def index(self, request, extra_context=None):
        panels = []
        for name, (_, build) in sorted(_PANELS.items(), key=lambda item: item[1][0]):
            panel = build(request)
            if panel:
                panels.append({"name": name, "template": "admin/tingting_panel.html", **panel})
        return super().index(request, {"panels": panels, **(extra_context or {})})


class ViewOnlyAdmin(admin.ModelAdmin):
    """Rows the operator may look at but not add or edit: they are written by the
    code that owns them (deleting stays allowed unless a subclass refuses it)."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class _Refused(Exception):
    def __init__(self, error: Exception) -> None:
        self.error = error


class ServiceAdmin(admin.ModelAdmin):
    """A model admin whose saves and actions go through services: a domain error or a
    serializer ValidationError raised by one is shown as the page's error message
    (nothing is saved), never a 500."""

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except _Refused as refused:  # raised inside the admin's atomic block: it rolled back
            self.message_user(request, error_text(refused.error), messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def delete_view(self, request, object_id, extra_context=None):
        try:
            return super().delete_view(request, object_id, extra_context)
        except _Refused as refused:
            self.message_user(request, error_text(refused.error), messages.ERROR)
            return HttpResponseRedirect(request.get_full_path().rsplit("delete/", 1)[0] + "change/")

    def refuse(self, error: Exception):
        """Call from ``save_model`` / ``save_related`` / ``delete_model`` when a service refused."""
        raise _Refused(error)

    def response_action(self, request, queryset):
        try:
            return super().response_action(request, queryset)
        except (DomainError, DRFValidationError) as exc:
            self.message_user(request, error_text(exc), messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())
