from django.apps import AppConfig


class CampaignsConfig(AppConfig):
    name = "campaigns"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Celery's autodiscovery looks for ``tasks`` modules only; the import task lives apart.
        from campaigns import tasks_import  # noqa: F401
