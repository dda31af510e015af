"""Admin for runs (execution engine issue)."""
