from django.apps import AppConfig

from tingting.providers import reports


class OtpConfig(AppConfig):
    name = "otp"
    verbose_name = "OTP"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        reports.register("otp", "otp.services.otp_record_report")
