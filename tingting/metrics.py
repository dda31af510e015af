"""Prometheus metrics: request counters of this process, and the collectors apps register.

Apps add gauges read from the database at scrape time with ``register_collector``
from their ``AppConfig.ready`` (``accounts.metrics``), so the kernel imports no app.
"""

from __future__ import annotations

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, generate_latest
from prometheus_client.registry import Collector

REGISTRY = CollectorRegistry(auto_describe=True)
HTTP_REQUESTS = Counter(
    "tingting_http_requests", "HTTP requests answered by this process", ["method", "status"], registry=REGISTRY
)
_registered: set[type] = set()


def register_collector(collector: Collector) -> None:
    """Add ``collector`` to ``/metrics``; a second one of the same class is ignored
    (``ready()`` may run again, and the registry refuses duplicate names)."""
    if type(collector) in _registered:
        return
    _registered.add(type(collector))
    REGISTRY.register(collector)


def render_metrics() -> tuple[bytes, str]:
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST


class MetricsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        HTTP_REQUESTS.labels(request.method, str(response.status_code)).inc()
        return response
