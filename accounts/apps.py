from django.apps import AppConfig

from tingting import metrics


class AccountsConfig(AppConfig):
    name = "accounts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Each imports models (accounts', or the kernel's webhook outbox), which load only
        # once the app registry is ready: after apps.py.
        from accounts.metrics import AccountsCollector  # noqa: PLC0415 - models load after apps.py
        from accounts.selectors import webhook_targets  # noqa: PLC0415 - models load after apps.py
        from tingting import outbound_webhooks  # noqa: PLC0415 - models load after apps.py

        metrics.register_collector(AccountsCollector())
        outbound_webhooks.register_target_resolver(webhook_targets)
