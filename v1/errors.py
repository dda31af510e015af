"""The v1 face's error bodies: plain DRF (``{"detail"}``, ``{"<field>": [...]}``, nested).

The two OTP endpoints keep the seed envelope (docs/api/API_CONTRACT_V1.md §6). A few answers
the v1 docs spell with ``message`` instead of ``detail`` (no refresh token, no API
token yet) raise ``V1MessageError``, whose body is sent as is.
"""

from __future__ import annotations

from tingting.api.envelope import error_body
from tingting.errors import DomainError, ErrorBody

PREFIX = "/api/v1/"
ENVELOPE_PATHS = ("/api/v1/auths/send/otp", "/api/v1/auths/list/send-otps", "/api/v1/auths/verify/otp")
_BODY = "v1_body"


class V1MessageError(DomainError):
    """An error whose body is ``{"message": ...}`` (the v1 docs' spelling)."""

    def __init__(self, message: str, *, status: int, code: str) -> None:
        self.status_code = status
        super().__init__(message, code=code, data={_BODY: {"message": message}})


def _nested(errors) -> dict:
    """Field errors named ``a.0.b`` → ``{"a": {"0": {"b": [...]}}}``; unnamed ones under ``non_field_errors``."""
    out: dict = {}
    for error in errors:
        parts = error.field.split(".") if error.field else ["non_field_errors"]
        node = out
        for part in parts[:-1]:
            child = node.get(part)
            if not isinstance(child, dict):
                child = node[part] = {}
            node = child
        leaf = node.setdefault(parts[-1], [])
        if isinstance(leaf, list):
            leaf.append(error.message)
    return out


def render_error(request, body: ErrorBody) -> dict:
    if request.path.rstrip("/").startswith(ENVELOPE_PATHS):
        return error_body(status=body.status, message=body.message, errors=body.errors, data=body.data)
    if _BODY in body.data:
        return body.data[_BODY]
    if body.status == 400 and any(e.field for e in body.errors):
        return _nested(body.errors)
    return {"detail": body.message}
