from django import forms
from django.contrib import admin, messages
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path

from phonenumbers_app.models import PhoneNumber
from phonenumbers_app.services import inventory_csv_rows, inventory_import, number_release
from tingting.errors import DomainError

MAX_IMPORT_BYTES = 5 * 1024 * 1024
PROBLEMS_SHOWN = 50


class ImportNumbersForm(forms.Form):
    file = forms.FileField(
        help_text="CSV with the header phone_number,rate,capabilities[,sid]; "
        'capabilities is one quoted cell such as "Voice, SMS".'
    )
    dry_run = forms.BooleanField(required=False, help_text="Only validate; write nothing.")


class OwnedFilter(admin.SimpleListFilter):
    title = "owned"
    parameter_name = "owned"

    def lookups(self, request, model_admin):
        return [("yes", "Owned"), ("no", "On sale")]

    def queryset(self, request, queryset):
        if self.value() in ("yes", "no"):
            return queryset.filter(owner__isnull=self.value() == "no")
        return queryset


@admin.register(PhoneNumber)
class PhoneNumberAdmin(admin.ModelAdmin):
    change_list_template = "admin/phonenumbers_app/phonenumber/change_list.html"
    list_display = ["phone_number", "sid", "rate", "capabilities_display", "owner", "bought_at", "vendor_id"]
    list_filter = [
        "has_voice",
        "has_sms",
        "has_mms",
        "has_fax",
        OwnedFilter,
        ("owner", admin.RelatedOnlyFieldListFilter),
    ]
    search_fields = ["phone_number", "sid", "friendly_name", "owner__email", "vendor_id"]
    list_select_related = ["owner"]
    # Ownership changes only by buying (which charges the ledger) and releasing.
    readonly_fields = ["owner", "bought_at", "vendor_id", "purchases", "created_at"]
    fields = [
        "phone_number",
        "sid",
        "rate",
        "has_voice",
        "has_sms",
        "has_mms",
        "has_fax",
        "friendly_name",
        "accept_incoming",
        "configure_with",
        "call_comes_in",
        "call_url",
        "http_request",
        "owner",
        "bought_at",
        "vendor_id",
        "purchases",
        "created_at",
    ]
    actions = ["release_numbers", "delete_unowned"]

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "call_url":
            kwargs["assume_scheme"] = "https"
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    @admin.display(description="capabilities")
    def capabilities_display(self, number: PhoneNumber) -> str:
        return ", ".join(number.capabilities)

    def get_readonly_fields(self, request, obj=None):
        # The SID is what clients hold: fixed once the number exists.
        return [*self.readonly_fields, "sid"] if obj is not None else self.readonly_fields

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and (obj is None or obj.owner_id is None)

    @admin.action(description="Release selected numbers back to the inventory (no refund)")
    def release_numbers(self, request, queryset):
        released = 0
        for number in queryset.filter(owner__isnull=False).select_related("owner"):
            try:
                number_release(user=number.owner, sid=number.sid)
                released += 1
            except DomainError as exc:
                self.message_user(request, f"{number.phone_number}: {exc.message}", messages.ERROR)
        self.message_user(request, f"Released {released} number(s).", messages.SUCCESS)

    @admin.action(description="Delete selected numbers that nobody owns", permissions=["delete"])
    def delete_unowned(self, request, queryset):
        owned = queryset.filter(owner__isnull=False).count()
        deleted, _ = queryset.filter(owner__isnull=True).delete()
        self.message_user(
            request,
            f"Deleted {deleted} number(s)" + (f"; kept {owned} owned one(s) (release them first)." if owned else "."),
        )

    def get_urls(self):
        return [
            path("import-csv/", self.admin_site.admin_view(self.import_csv_view), name="phonenumbers_app_import_csv"),
            *super().get_urls(),
        ]

    def import_csv_view(self, request):
        if not self.has_add_permission(request) or not self.has_change_permission(request):
            return redirect("admin:index")
        form = ImportNumbersForm(request.POST or None, request.FILES or None)
        result = None
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                if upload.size > MAX_IMPORT_BYTES:
                    raise DomainError(f"The file is larger than {MAX_IMPORT_BYTES // 1024 // 1024} MB.")
                text = upload.read().decode("utf-8-sig")
                result = inventory_import(rows=inventory_csv_rows(text), dry_run=form.cleaned_data["dry_run"])
            except UnicodeDecodeError:
                form.add_error("file", "The file is not UTF-8 text.")
            except DomainError as exc:
                form.add_error("file", exc.message)
            else:
                level = messages.WARNING if result.invalid else messages.SUCCESS
                prefix = "Dry run: " if form.cleaned_data["dry_run"] else ""
                self.message_user(request, prefix + result.summary(), level)
                if not result.invalid and not form.cleaned_data["dry_run"]:
                    return redirect("admin:phonenumbers_app_phonenumber_changelist")
        return TemplateResponse(
            request,
            "admin/phonenumbers_app/phonenumber/import_csv.html",
            {
                **self.admin_site.each_context(request),
                "form": form,
                "title": "Import numbers from CSV",
                "opts": self.model._meta,
                "problems": result.invalid[:PROBLEMS_SHOWN] if result else [],
                "more_problems": max(0, len(result.invalid) - PROBLEMS_SHOWN) if result else 0,
            },
        )
