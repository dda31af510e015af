"""Operational endpoints: the landing page, liveness and Prometheus metrics."""

from __future__ import annotations

import hmac

from django.conf import settings
from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from kombu import Connection

from tingting.metrics import render_metrics


def index(request):
    """``/``: where to go next (API docs, admin, health)."""
    return render(request, "tingting/index.html")


def healthz(request):
    """200 when the database and the broker answer, else 503 naming what failed."""
    checks = {"database": "ok", "broker": "ok"}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as exc:  # noqa: BLE001 - any failure means "down"
        checks["database"] = f"error: {exc.__class__.__name__}"
    try:
        with Connection(
            settings.CELERY_BROKER_URL,
            transport=settings.CELERY_BROKER_TRANSPORT,
            transport_options=settings.CELERY_BROKER_TRANSPORT_OPTIONS,
            connect_timeout=2,
        ) as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
    except Exception as exc:  # noqa: BLE001
        checks["broker"] = f"error: {exc.__class__.__name__}"
    healthy = all(value == "ok" for value in checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "unavailable", "checks": checks}, status=200 if healthy else 503
    )


def metrics(request):
    """Prometheus text format; staff session or ``Authorization: Bearer $METRICS_TOKEN``."""
    token = settings.METRICS_TOKEN
    supplied = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    allowed = (token and supplied and hmac.compare_digest(token.encode(), supplied.encode())) or (
        request.user.is_authenticated and request.user.is_staff
    )
    if not allowed:
        return JsonResponse({"detail": "Metrics need a staff session or the metrics token."}, status=403)
    body, content_type = render_metrics()
    return HttpResponse(body, content_type=content_type)
