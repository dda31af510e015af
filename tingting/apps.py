import warnings

from django.apps import AppConfig


class TingtingConfig(AppConfig):
    name = "tingting"
    verbose_name = "Platform"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Uploaded spreadsheets carry XML: refuse entity expansion and external
        # entities in every stdlib XML parser of the process (web and workers).
        import defusedxml

        from tingting import checks  # noqa: F401  (registers the deployment checks)

        with warnings.catch_warnings():
            # defuse_stdlib imports defusedxml.cElementTree, which warns that it is deprecated.
            warnings.simplefilter("ignore", DeprecationWarning)
            defusedxml.defuse_stdlib()
