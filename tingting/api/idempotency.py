"""``Idempotency-Key`` for POSTs that create, begin, buy, send or charge.

Decorate an APIView method with ``@idempotent``. The first answer is stored per
(account, key) for IDEMPOTENCY_TTL_SECONDS with a hash of the request; a repeat
returns it unchanged, the same key with another request answers 422, and a
repeat that arrives while the first is still running answers 409.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework.response import Response

from tingting.errors import ConflictError, IdempotencyKeyReusedError, InvalidInputError
from tingting.models import IdempotencyRecord

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255


def request_fingerprint(request) -> str:
    # Keyed by the server secret: a body may carry a secret (a personnel OTP)
    # that a plain hash of a short input would give away.
    digest = hmac.new(settings.SECRET_KEY.encode(), f"{request.method} {request.path}\n".encode(), hashlib.sha256)
    data = request.data
    if hasattr(data, "lists"):
        data = {key: values for key, values in data.lists()}
    digest.update(json.dumps(data, sort_keys=True, default=str).encode())
    for name, upload in sorted(getattr(request, "FILES", {}).items()):
        digest.update(name.encode())
        for chunk in upload.chunks():
            digest.update(chunk)
        upload.seek(0)
    return digest.hexdigest()


def _claim(user, key: str, request, fingerprint: str) -> IdempotencyRecord | None:
    """Insert the pending record; returns the existing one if the key is taken."""
    expired_before = timezone.now() - timedelta(seconds=settings.IDEMPOTENCY_TTL_SECONDS)
    IdempotencyRecord.objects.filter(user=user, key=key, created_at__lt=expired_before).delete()
    try:
        with transaction.atomic():
            IdempotencyRecord.objects.create(
                user=user, key=key, method=request.method, path=request.path[:500], fingerprint=fingerprint
            )
            return None
    except IntegrityError:
        return IdempotencyRecord.objects.get(user=user, key=key)


def idempotent(handler=None, *, store=None, replay=None):
    """``@idempotent``, or ``@idempotent(store=f, replay=g)`` when the answer holds a
    secret: ``f(body)`` is what gets stored and ``g(stored)`` rebuilds the answer."""
    if handler is None:
        return functools.partial(idempotent, store=store, replay=replay)

    @functools.wraps(handler)
    def wrapper(view, request, *args, **kwargs):
        key = request.headers.get(HEADER)
        if key is None or not request.user.is_authenticated:
            return handler(view, request, *args, **kwargs)
        if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable():
            raise InvalidInputError(f"{HEADER} must be 1-{MAX_KEY_LENGTH} printable characters.", field=HEADER)
        fingerprint = request_fingerprint(request)
        existing = _claim(request.user, key, request, fingerprint)
        if existing is not None:
            if existing.fingerprint != fingerprint:
                raise IdempotencyKeyReusedError()
            if existing.state == IdempotencyRecord.State.PENDING:
                raise ConflictError(
                    "A request with this Idempotency-Key is still being processed.", code="idempotency_in_progress"
                )
            body = existing.response_body
            # Stored as JSON text: jsonb would reorder the envelope's keys.
            if isinstance(body, str):
                body = json.loads(body)
            if replay is not None and body is not None:
                body = replay(body)
            response = Response(body, status=existing.response_status)
            response["Idempotent-Replayed"] = "true"
            return response
        try:
            response = handler(view, request, *args, **kwargs)
        except BaseException:
            # Nothing was answered: let the client retry with the same key.
            IdempotencyRecord.objects.filter(user=request.user, key=key).delete()
            raise
        body = getattr(response, "data", None)
        IdempotencyRecord.objects.filter(user=request.user, key=key).update(
            state=IdempotencyRecord.State.DONE,
            response_status=response.status_code,
            response_body=json.dumps(store(body) if store is not None and body is not None else body, default=str),
        )
        return response

    return wrapper


def idempotency_purge() -> int:
    """Delete records past their TTL; returns how many."""
    cutoff = timezone.now() - timedelta(seconds=settings.IDEMPOTENCY_TTL_SECONDS)
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=cutoff).delete()
    return deleted
