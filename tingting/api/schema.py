"""OpenAPI helpers: describe answers inside the face's real envelope."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, inline_serializer
from rest_framework import serializers

_error_item = inline_serializer(
    "FieldError",
    fields={
        "field": serializers.CharField(allow_null=True),
        "code": serializers.CharField(),
        "message": serializers.CharField(),
    },
)


_built: dict[str, serializers.Serializer] = {}


def envelope_of(name: str, data: serializers.Serializer | dict | None = None) -> serializers.Serializer:
    """The TingTing envelope around ``data`` (a serializer or a dict of fields).
    One component per name: a second call with the same name reuses the first."""
    if name in _built:
        return _built[name]
    _built[name] = _envelope(name, data)
    return _built[name]


def _envelope(name: str, data) -> serializers.Serializer:
    if isinstance(data, dict):
        data = inline_serializer(f"{name}Data", fields=data)
    return inline_serializer(
        name,
        fields={
            "status": serializers.IntegerField(),
            "success": serializers.BooleanField(),
            "message": serializers.CharField(allow_null=True),
            "errors": _error_item.__class__(many=True),
            "data": data if data is not None else serializers.DictField(),
        },
    )


ERROR_ENVELOPE = envelope_of("ErrorEnvelope")

TINGTING_ERRORS = {
    code: OpenApiResponse(ERROR_ENVELOPE, description=text)
    for code, text in {
        400: "Validation error; `errors[].field` names the field.",
        401: "Missing, invalid or expired token.",
        404: "Not found or not yours.",
        429: "Throttled; see Retry-After.",
    }.items()
}


_EXTRA_TEXTS = {
    402: "Not enough credits.",
    409: "Conflict with the current state.",
    422: "Idempotency-Key reused with a different request.",
}


def tingting_responses(success: dict, *extra: int) -> dict:
    """The common errors, ``extra`` statuses (402, 409, 422) and ``success``."""
    more = {code: OpenApiResponse(ERROR_ENVELOPE, description=_EXTRA_TEXTS[code]) for code in extra}
    return {**TINGTING_ERRORS, **more, **success}
