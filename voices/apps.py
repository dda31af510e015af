from django.apps import AppConfig


class VoicesConfig(AppConfig):
    name = "voices"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from tingting.voice import catalogue
        from voices.selectors import catalogue_source

        catalogue.register(catalogue_source)
