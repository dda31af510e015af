"""The beat schedule, in code. Each app's periodic sweeps are listed here."""

from tingting.env import env_int

BEAT_SCHEDULE: dict = {
    "idempotency-purge": {"task": "tingting.idempotency_purge", "schedule": 3600.0},
    # A no-op with the local inventory; with Twilio it refreshes the numbers on sale.
    "phonenumbers-inventory-sync": {"task": "phonenumbers.inventory_sync", "schedule": 900.0},
    # Number purchases sent to the provider whose answer and lookup both failed.
    "phonenumbers-purchases-reconcile": {"task": "phonenumbers.purchases_reconcile", "schedule": 60.0},
    "otp-sweep": {"task": "otp.sweep", "schedule": 60.0},
    # Due Tling scheduled messages go out within 15 s of their date.
    "tling-schedules-sweep": {"task": "tling.schedules_sweep", "schedule": 15.0},
    # Tling messages left created/queued/claimed by a lost task or a crash (and their holds).
    "tling-messages-sweep": {"task": "tling.messages_sweep", "schedule": 60.0},
    # Status webhooks whose retry is due (the schedule is in WebhookEvent.next_attempt_at).
    "webhook-sweep": {"task": "tingting.webhook_sweep", "schedule": 15.0},
    # Due scheduled runs, lost chunk tasks, sends stuck in flight (campaigns).
    "campaign-runs-sweep": {"task": "campaigns.runs_sweep", "schedule": float(env_int("RUN_SWEEP_SECONDS", 15))},
}
