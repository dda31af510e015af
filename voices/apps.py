from django.apps import AppConfig


class VoicesConfig(AppConfig):
    name = "voices"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from tingting.voice import catalogue  # noqa: PLC0415 - models load after apps.py
        from voices.selectors import catalogue_source  # noqa: PLC0415 - models load after apps.py

        catalogue.register(catalogue_source)
