from django.apps import AppConfig


class TlingConfig(AppConfig):
    name = "tling"
    default_auto_field = "django.db.models.BigAutoField"
