from django.apps import AppConfig


class TlingConfig(AppConfig):
    name = "tling"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from tingting.providers import reports

        reports.register("tmsg", "tling.services.message_record_report")
