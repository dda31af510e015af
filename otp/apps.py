from django.apps import AppConfig


class OtpConfig(AppConfig):
    name = "otp"
    default_auto_field = "django.db.models.BigAutoField"
