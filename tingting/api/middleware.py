"""A request id on every request and every log line of it (``tingting.request_id``), and the body size guard."""

import uuid

from django.conf import settings
from django.http import JsonResponse

from tingting.api.exceptions import render_error
from tingting.errors import ErrorBody, FieldError
from tingting.request_id import request_id_bound


class RequestIdMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-Id", "")
        request_id = incoming if 0 < len(incoming) <= 64 and incoming.isprintable() else uuid.uuid4().hex
        with request_id_bound(request_id):
            response = self.get_response(request)
        response["X-Request-Id"] = request_id
        return response


class BodySizeLimitMiddleware:
    """413 before a view reads a body that is too large.

    DRF's parsers read the request stream directly, so Django's
    DATA_UPLOAD_MAX_MEMORY_SIZE alone would not stop a huge JSON body. Multipart
    uploads get the larger MAX_UPLOAD_BYTES; the upload's own limit is checked
    by the endpoint that takes it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        is_upload = request.META.get("CONTENT_TYPE", "").startswith("multipart/")
        limit = settings.MAX_UPLOAD_BYTES if is_upload else settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if limit is not None and length > limit:
            message = f"The request body is larger than {limit} bytes."
            body = ErrorBody(413, message, [FieldError(None, "too_large", message)])
            return JsonResponse(render_error(request, body), status=413)
        return self.get_response(request)


class HealthzMiddleware:
    """``GET /healthz`` answered before any other middleware.

    The compose healthcheck probes ``http://127.0.0.1:8000/healthz`` from inside
    the container: under production settings SecurityMiddleware would redirect
    it to https and ``ALLOWED_HOSTS`` would refuse the host. The probe builds no
    URL and sets no cookie, so neither protection has anything to guard there;
    every other path keeps both."""

    def __init__(self, get_response):
        from tingting.views import healthz  # noqa: PLC0415 - views load after settings, middleware with them

        self.get_response = get_response
        self.healthz = healthz

    def __call__(self, request):
        if request.path_info == "/healthz" and request.method in ("GET", "HEAD"):
            return self.healthz(request)
        return self.get_response(request)
