from django.apps import AppConfig


class OtpConfig(AppConfig):
    name = "otp"
    verbose_name = "OTP"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from tingting.providers import reports

        reports.register("otp", "otp.services.otp_record_report")
