from django.apps import AppConfig

from tingting.providers import reports
from tling.envelope import error_list

# The Tling face's routes; their errors take its JSON:API-style shape.
TLING_PREFIX = "/api/v0/"


class TlingConfig(AppConfig):
    name = "tling"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # The handler imports DRF's views, which import auth models: after apps.py.
        from tingting.api.exceptions import register_error_shape  # noqa: PLC0415 - models load after apps.py

        reports.register("tmsg", "tling.services.message_record_report")
        register_error_shape(TLING_PREFIX, lambda request, body: error_list(body))
