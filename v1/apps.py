from django.apps import AppConfig


class V1Config(AppConfig):
    name = "v1"
    label = "v1"
    verbose_name = "TingTing v1 face"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # The handler imports DRF's views, which import auth models: after apps.py.
        from tingting.api.exceptions import register_error_shape  # noqa: PLC0415 - models load after apps.py
        from v1.errors import PREFIX, render_error  # noqa: PLC0415 - DRF's Response, as above

        register_error_shape(PREFIX, render_error)
