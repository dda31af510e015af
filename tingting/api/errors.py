"""Domain errors raised by services, tasks and commands.

They carry an HTTP status, a stable snake_case ``code`` clients branch on, a
human message and optionally the field the client sent. The face's exception
handler turns them into its error shape; nothing else builds error bodies.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class FieldError:
    field: str | None
    code: str
    message: str


class DomainError(Exception):
    status_code = 400
    default_code = "invalid"
    default_message = "The request is invalid."

    def __init__(
        self,
        message: str | None = None,
        *,
        code: str | None = None,
        field: str | None = None,
        errors: list[FieldError] | None = None,
        headers: dict[str, str] | None = None,
        data: dict | None = None,
    ) -> None:
        self.message = message or self.default_message
        self.code = code or self.default_code
        self.errors = errors or [FieldError(field, self.code, self.message)]
        self.headers = headers or {}
        # Extra payload some endpoints document in the error body's data.
        self.data = data or {}
        super().__init__(self.message)


class InvalidInputError(DomainError):
    status_code = 400


class NotFoundError(DomainError):
    status_code = 404
    default_code = "not_found"
    default_message = "Not found."


class InsufficientCreditsError(DomainError):
    status_code = 402
    default_code = "insufficient_credits"
    default_message = "Not enough credits."


class ConflictError(DomainError):
    status_code = 409
    default_code = "conflict"
    default_message = "The request conflicts with the current state."


class PayloadTooLargeError(DomainError):
    status_code = 413
    default_code = "too_large"
    default_message = "The upload is too large."


class UnsupportedMediaTypeError(DomainError):
    status_code = 415
    default_code = "unsupported_media_type"
    default_message = "Unsupported upload type."


class IdempotencyKeyReusedError(DomainError):
    status_code = 422
    default_code = "idempotency_key_reused"
    default_message = "This Idempotency-Key was used with a different request."


class RateLimitedError(DomainError):
    status_code = 429
    default_code = "throttled"
    default_message = "Too many requests."

    def __init__(self, message: str | None = None, *, retry_after: int, **kwargs) -> None:
        kwargs.setdefault("headers", {})["Retry-After"] = str(max(1, int(retry_after)))
        self.retry_after = retry_after
        super().__init__(message, **kwargs)


class DependencyUnavailableError(DomainError):
    status_code = 503
    default_code = "unavailable"
    default_message = "A service the request needs is unavailable; try again shortly."


@dataclass
class ErrorBody:
    """A face-independent error, before a face renders it."""

    status: int
    message: str
    errors: list[FieldError] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)
    data: dict = field(default_factory=dict)
