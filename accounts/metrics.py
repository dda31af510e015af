"""Gauges about accounts and credits for ``/metrics``, read from the database at scrape time.

The kernel's ``tingting.metrics`` owns the registry and knows no app;
``AccountsConfig.ready`` registers this collector with it.
"""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models import Count, Sum
from prometheus_client.core import GaugeMetricFamily

from accounts.models import LedgerEntry, User


class AccountsCollector:
    """Computed at scrape time, so every process reports the same truth."""

    def describe(self) -> list:
        return []  # no database access at registration time

    def collect(self) -> Iterator[GaugeMetricFamily]:
        accounts = GaugeMetricFamily("tingting_accounts", "Active accounts")
        accounts.add_metric([], User.objects.filter(is_active=True).count())
        yield accounts
        totals = User.objects.aggregate(available=Sum("credits"), held=Sum("credits_held"))
        credits = GaugeMetricFamily("tingting_credits", "Credits across accounts", labels=["state"])
        credits.add_metric(["available"], totals["available"] or 0)
        credits.add_metric(["held"], totals["held"] or 0)
        yield credits
        ledger = GaugeMetricFamily("tingting_ledger_entries", "Ledger entries by kind", labels=["kind"])
        for row in LedgerEntry.objects.values("kind").annotate(n=Count("id")).order_by():
            ledger.add_metric([row["kind"]], row["n"])
        yield ledger
