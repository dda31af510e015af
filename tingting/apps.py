import warnings

import defusedxml
from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class TingtingConfig(AppConfig):
    default = True  # the admin's config lives in this module too
    name = "tingting"
    verbose_name = "Platform"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from tingting import checks  # noqa: F401, PLC0415 - registers the deployment checks once apps load

        # Uploaded spreadsheets carry XML: refuse entity expansion and external
        # entities in every stdlib XML parser of the process (web and workers).
        with warnings.catch_warnings():
            # defuse_stdlib imports defusedxml.cElementTree, which warns that it is deprecated.
            warnings.simplefilter("ignore", DeprecationWarning)
            defusedxml.defuse_stdlib()


class TingtingAdminConfig(admin_apps.AdminConfig):
    """The admin with the staff console's site (branding, time zone, Platform group, front page)."""

    default = False
    default_site = "tingting.admin_base.TingtingAdminSite"
