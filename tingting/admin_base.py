"""Admin pieces the apps share."""

from django.contrib import admin


class ViewOnlyAdmin(admin.ModelAdmin):
    """Rows the operator may look at but not add or edit: they are written by the
    code that owns them (deleting stays allowed unless a subclass refuses it)."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
