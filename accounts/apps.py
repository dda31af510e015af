from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from accounts.metrics import AccountsCollector
        from accounts.selectors import webhook_targets
        from tingting import metrics, outbound_webhooks

        metrics.register_collector(AccountsCollector())
        outbound_webhooks.register_target_resolver(webhook_targets)
