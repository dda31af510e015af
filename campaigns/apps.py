from django.apps import AppConfig

from tingting.providers import reports


class CampaignsConfig(AppConfig):
    name = "campaigns"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Status reports for run attempts ("attempt:<id>"), from webhooks and the simulated providers.
        reports.register(
            "attempt",
            "campaigns.services.outcomes.attempt_record_report",
            many_path="campaigns.services.outcomes_batch.attempt_record_reports",
        )
        # The failover SMS of SMS & PHONE calls ("failover:<id>").
        reports.register("failover", "campaigns.services.failover.failover_record_report")
