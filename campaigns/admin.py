from campaigns import admin_runs  # noqa: F401  (run admin, execution engine issue)
