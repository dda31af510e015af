"""The beat schedule, in code. Each app's periodic sweeps are listed here."""

BEAT_SCHEDULE: dict = {
    "idempotency-purge": {"task": "tingting.idempotency_purge", "schedule": 3600.0},
    "otp-sweep": {"task": "otp.sweep", "schedule": 60.0},
}
