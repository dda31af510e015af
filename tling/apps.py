from django.apps import AppConfig

# The Tling face's routes; their errors take its JSON:API-style shape.
TLING_PREFIX = "/api/v0/"


class TlingConfig(AppConfig):
    name = "tling"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from tingting.api.exceptions import register_error_shape
        from tingting.providers import reports
        from tling.envelope import error_list

        reports.register("tmsg", "tling.services.message_record_report")
        register_error_shape(TLING_PREFIX, lambda request, body: error_list(body))
