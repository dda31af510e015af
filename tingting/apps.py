from django.apps import AppConfig


class TingtingConfig(AppConfig):
    name = "tingting"
    verbose_name = "Platform"
    default_auto_field = "django.db.models.BigAutoField"
