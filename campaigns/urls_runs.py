"""Begin / pause / resume / cancel / progress paths (execution engine issue)."""

urlpatterns: list = []
