"""Paths of API_CONTRACT.md for this app (filled in by its issue)."""

urlpatterns: list = []
