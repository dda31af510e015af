"""The one exception handler: every error of either face, one shape per face.

DRF calls ``exception_handler`` for errors raised in views; the Django-level
handlers (``handler404`` ...) at the bottom cover requests that never reach a
view (unknown routes). Both go through ``to_error_body`` and ``render_error``.

The TingTing envelope is the shape by default; a face with its own shape
registers it for its path prefix (``register_error_shape``, from its app's
``ready()``: ``tling`` for ``/api/v0/``), so the kernel imports no app.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from django.views.csrf import csrf_failure as django_csrf_failure
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions as drf
from rest_framework.response import Response
from rest_framework.views import set_rollback
from rest_framework_simplejwt.exceptions import TokenError

from tingting.api.envelope import error_body
from tingting.errors import DomainError, ErrorBody, FieldError
from tingting.request_id import current_request_id

logger = logging.getLogger("tingting.api")

# path prefix → the face's renderer of an ErrorBody; the TingTing envelope elsewhere.
ErrorShape = Callable[[object, ErrorBody], dict]  # (request, body)
_SHAPES: dict[str, ErrorShape] = {}


def register_error_shape(prefix: str, render: ErrorShape) -> None:
    """Errors of requests under ``prefix`` get ``render``'s shape (and no Bearer challenge)."""
    _SHAPES[prefix] = render


def _shape_of(request) -> ErrorShape | None:
    return next((render for prefix, render in _SHAPES.items() if request.path.startswith(prefix)), None)


def flatten_validation_detail(detail, prefix: str | None = None) -> list[FieldError]:
    """DRF's nested ``detail`` → field errors named as the client sent them
    (``individual_number.1``, ``available_tags.tags_age``)."""
    out: list[FieldError] = []
    if isinstance(detail, dict):
        for key, value in detail.items():
            name = None if key in ("non_field_errors", "__all__") else str(key)
            out += flatten_validation_detail(value, _join(prefix, name))
    elif isinstance(detail, list):
        if all(not isinstance(item, (dict, list)) for item in detail):
            for item in detail:
                out.append(FieldError(prefix, getattr(item, "code", None) or "invalid", str(item)))
        else:
            for index, item in enumerate(detail):
                if item:
                    out += flatten_validation_detail(item, _join(prefix, str(index)))
    else:
        out.append(FieldError(prefix, getattr(detail, "code", None) or "invalid", str(detail)))
    return out


def _join(prefix: str | None, name: str | None) -> str | None:
    if name is None:
        return prefix
    return f"{prefix}.{name}" if prefix else name


def _summary(errors: list[FieldError], fallback: str) -> str:
    if not errors:
        return fallback
    first = errors[0]
    return f"{first.field}: {first.message}" if first.field else first.message


def to_error_body(exc: Exception) -> ErrorBody | None:
    """Map any exception to a face-independent error; None for unexpected ones."""
    if isinstance(exc, DomainError):
        return ErrorBody(exc.status_code, exc.message, exc.errors, exc.headers, exc.data)
    if isinstance(exc, Http404):
        return ErrorBody(404, "Not found.", [FieldError(None, "not_found", "Not found.")])
    if isinstance(exc, TokenError):
        message = str(exc.args[0]) if exc.args else "Token is invalid or expired"
        return ErrorBody(401, message, [FieldError(None, "token_not_valid", message)])
    if isinstance(exc, DjangoPermissionDenied):
        exc = drf.PermissionDenied()
    if isinstance(exc, RequestDataTooBig):
        return ErrorBody(
            413, "The request body is too large.", [FieldError(None, "too_large", "The request body is too large.")]
        )
    if isinstance(exc, TooManyFieldsSent | TooManyFilesSent):
        # Django's guard against huge form bodies (DATA_UPLOAD_MAX_NUMBER_FIELDS / _FILES):
        # raised while DRF parses request.data, so it reaches this handler, not Django's 400.
        message = "The request has too many form fields or files."
        return ErrorBody(400, message, [FieldError(None, "too_many_fields", message)])
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        errors = flatten_validation_detail(detail)
        return ErrorBody(400, _summary(errors, "Invalid input."), errors)
    if isinstance(exc, drf.ValidationError):
        errors = flatten_validation_detail(exc.detail)
        return ErrorBody(400, _summary(errors, "Invalid input."), errors)
    if isinstance(exc, drf.APIException):
        status = exc.status_code
        if isinstance(exc, drf.NotAuthenticated | drf.AuthenticationFailed):
            status = 401
        message, code = _api_exception_text(exc)
        headers = {}
        if isinstance(exc, drf.Throttled) and exc.wait is not None:
            headers["Retry-After"] = str(max(1, int(exc.wait + 0.999)))
            message, code = "Too many requests; try again later.", "throttled"
        return ErrorBody(status, message, [FieldError(None, code, message)], headers)
    return None


def _api_exception_text(exc: drf.APIException) -> tuple[str, str]:
    detail = exc.detail
    if isinstance(detail, dict):
        # simplejwt: {"detail": ..., "code": ..., "messages": [...]}
        message = str(detail.get("detail") or next(iter(detail.values()), exc.default_detail))
        code = str(detail.get("code") or exc.default_code)
    else:
        message = str(detail)
        code = getattr(detail, "code", None) or exc.default_code
    return message, code


def render_error(request, body: ErrorBody) -> dict:
    render = _shape_of(request)
    if render is not None:
        return render(request, body)
    return error_body(status=body.status, message=body.message, errors=body.errors, data=body.data)


def exception_handler(exc: Exception, context: dict) -> Response:
    request = context["request"]
    body = to_error_body(exc)
    if body is None:
        logger.exception("Unhandled error on %s %s (request %s)", request.method, request.path, current_request_id())
        body = _internal_error()
    set_rollback()
    response = Response(render_error(request, body), status=body.status)
    for name, value in body.headers.items():
        response[name] = value
    if body.status == 401 and _shape_of(request) is None:
        response["WWW-Authenticate"] = 'Bearer realm="api"'
    return response


def _internal_error() -> ErrorBody:
    message = f"Internal server error (request {current_request_id()})."
    return ErrorBody(500, message, [FieldError(None, "server_error", message)])


# --- Django-level handlers (requests that reach no DRF view) -------------------


def _json_error(request, body: ErrorBody) -> JsonResponse:
    return JsonResponse(render_error(request, body), status=body.status)


def handler400(request, exception=None):
    return _json_error(request, ErrorBody(400, "Bad request.", [FieldError(None, "bad_request", "Bad request.")]))


def handler403(request, exception=None):
    return _json_error(request, ErrorBody(403, "Forbidden.", [FieldError(None, "permission_denied", "Forbidden.")]))


# Exempt: an unknown route has nothing to protect, and without it an unsafe method
# (POST/PUT/PATCH/DELETE) on an unknown API path, e.g. ``/campaigns/-5/update/``
# (the ``<int:>`` converter takes no sign), answered Django's HTML CSRF page (403)
# instead of a 404 in the face's shape. Found by schema fuzzing.
@csrf_exempt
def handler404(request, exception=None):
    message = f"No route for {request.method} {request.path}."
    return _json_error(request, ErrorBody(404, message, [FieldError(None, "not_found", message)]))


def csrf_failure(request, reason=""):
    """``CSRF_FAILURE_VIEW``: a session-authenticated unsafe request without a valid
    CSRF token (only the admin and browsable API use sessions) gets the face's 403,
    never Django's HTML page. Outside ``/api/`` (the admin) Django's own page stays."""
    if not request.path.startswith("/api/"):
        return django_csrf_failure(request, reason)
    message = f"CSRF verification failed: {reason}" if reason else "CSRF verification failed."
    return _json_error(request, ErrorBody(403, message, [FieldError(None, "csrf_failed", message)]))


def handler500(request):
    return _json_error(request, _internal_error())
