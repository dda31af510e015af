"""Prometheus metrics: request counters of this process and gauges read from the database."""

from __future__ import annotations

from django.db.models import Count, Sum
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, generate_latest
from prometheus_client.core import GaugeMetricFamily

REGISTRY = CollectorRegistry(auto_describe=True)
HTTP_REQUESTS = Counter(
    "tingting_http_requests", "HTTP requests answered by this process", ["method", "status"], registry=REGISTRY
)


class DatabaseCollector:
    """Gauges computed at scrape time, so every process reports the same truth."""

    def describe(self):
        return []  # no database access at registration time

    def collect(self):
        from accounts.models import LedgerEntry, User

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


REGISTRY.register(DatabaseCollector())


def render_metrics() -> tuple[bytes, str]:
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST


class MetricsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        HTTP_REQUESTS.labels(request.method, str(response.status_code)).inc()
        return response
