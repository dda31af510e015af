"""The beat schedule, in code. Each app's periodic sweeps are listed here."""

from tingting.env import env_int

BEAT_SCHEDULE: dict = {
    "idempotency-purge": {"task": "tingting.idempotency_purge", "schedule": 3600.0},
    # Due scheduled runs, lost chunk tasks, sends stuck in flight (campaigns).
    "campaign-runs-sweep": {"task": "campaigns.runs_sweep", "schedule": float(env_int("RUN_SWEEP_SECONDS", 15))},
}
