"""Tling answers: bare objects, ``{"data", "total"}`` lists and JSON:API-style errors."""

from __future__ import annotations

from datetime import UTC, date, datetime

from tingting.errors import ErrorBody


def collection(data: list, total: int) -> dict:
    return {"data": data, "total": total}


def timestamp(value: datetime | date | None) -> str | None:
    """``2023-01-25T15:38:37.434Z``: UTC, milliseconds, ``Z``; None stays null."""
    if value is None:
        return None
    if not isinstance(value, datetime):
        value = datetime(value.year, value.month, value.day, tzinfo=UTC)
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _source(field: str | None) -> dict:
    if not field:
        return {}
    if field.startswith("?"):
        # A query parameter (``?page[size]``): JSON:API's source.parameter.
        return {"source": {"parameter": field[1:]}}
    return {"source": {"pointer": "/" + field.replace(".", "/")}}


def error_list(body: ErrorBody) -> dict:
    """``{"errors": [{"status", "code", "title", "detail", "source"?}]}``."""
    items = body.errors or []
    return {
        "errors": [
            {
                "status": str(body.status),
                "code": item.code,
                "title": body.message if len(items) == 1 else item.message,
                "detail": item.message,
                **_source(item.field),
            }
            for item in items
        ]
        or [{"status": str(body.status), "code": "error", "title": body.message, "detail": body.message}]
    }
