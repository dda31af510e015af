"""Tling answers: bare objects, ``{"data", "total"}`` lists and JSON:API-style errors."""

from __future__ import annotations

from tingting.api.errors import ErrorBody


def collection(data: list, total: int) -> dict:
    return {"data": data, "total": total}


def _pointer(field: str | None) -> dict:
    if not field:
        return {}
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
                **_pointer(item.field),
            }
            for item in items
        ]
        or [{"status": str(body.status), "code": "error", "title": body.message, "detail": body.message}]
    }
