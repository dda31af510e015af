"""OpenAPI helpers of the v1 face: DRF error bodies, documented next to each answer."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, inline_serializer
from rest_framework import serializers

V1_ERROR = inline_serializer(
    "V1Error",
    {
        "detail": serializers.CharField(required=False, help_text="auth, 404, 405, 409, 402, 429 errors"),
        "message": serializers.CharField(required=False, help_text="the few answers the v1 docs spell so"),
    },
)
_TEXTS = {
    400: 'Validation errors: `{"<field>": ["message", ...]}` (nested for nested fields).',
    401: "Missing, invalid or expired credentials.",
    402: "Not enough credits.",
    404: "Not found or not yours.",
    409: "Conflict with the current state (e.g. the campaign is running).",
    413: "The request body or upload is too large.",
    415: "Unsupported upload type.",
    429: "Throttled; see Retry-After.",
}
COMMON = (400, 401, 404, 429)


def v1_responses(success: dict, *extra: int) -> dict:
    """``success`` plus the common errors and ``extra`` statuses, in the v1 error shape."""
    return {**{code: OpenApiResponse(V1_ERROR, description=_TEXTS[code]) for code in (*COMMON, *extra)}, **success}
