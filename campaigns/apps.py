from django.apps import AppConfig


class CampaignsConfig(AppConfig):
    name = "campaigns"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from tingting.providers import reports

        # Status reports for run attempts ("attempt:<id>"), from webhooks and the simulated providers.
        reports.register(
            "attempt",
            "campaigns.services.outcomes.attempt_record_report",
            many_path="campaigns.services.outcomes_batch.attempt_record_reports",
        )
