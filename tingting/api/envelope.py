"""The TingTing envelope (docs/api/API_CONTRACT.md §1), built here and nowhere else.

``{"status", "success", "message", "errors", "data"}`` wraps every TingTing
answer. The campaign list envelope and the bare token-refresh answer are the
documented exceptions and are built here too.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rest_framework.response import Response

from tingting.api.pagination import pagination_body
from tingting.errors import FieldError


def envelope(
    *,
    status: int = 200,
    message: str | None = None,
    data: Any = None,
    errors: Iterable[FieldError] = (),
) -> dict:
    return {
        "status": status,
        "success": 200 <= status < 400,
        "message": message,
        "errors": [{"field": e.field, "code": e.code, "message": e.message} for e in errors],
        "data": {} if data is None else data,
    }


def ok(data: Any = None, *, message: str | None = None, status: int = 200, body_status: int | None = None) -> Response:
    """A success answer. ``body_status`` differs from the HTTP status only for
    release-number, whose body says 204 while HTTP says 200 (a 204 has no body)."""
    return Response(envelope(status=body_status or status, message=message, data=data), status=status)


def error_body(*, status: int, message: str, errors: Iterable[FieldError], data: dict | None = None) -> dict:
    return envelope(status=status, message=message, data=data or {}, errors=errors)


def campaign_list_body(*, page, items: list[dict], links: list[dict]) -> dict:
    """The campaign list envelope: no TingTing envelope around it."""
    return {
        "pagination": pagination_body(page, links=links),
        "result": {"messages": "Campaign Successfully Retrieved", "campaign-lists": items},
    }


def token_refresh_body(tokens: dict) -> dict:
    """The bare refresh answer of the seed: ``{"access"}`` (plus ``refresh`` with rotation)."""
    return dict(tokens)
