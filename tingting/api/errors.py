"""Transition shim: the domain errors live in ``tingting.errors``.

Kept only while ``campaigns/services`` is being split (issue 17); delete it once
nothing imports it (``grep -rn tingting.api.errors``).
"""

from tingting.errors import (  # noqa: F401
    ConflictError,
    DependencyUnavailableError,
    DomainError,
    ErrorBody,
    FieldError,
    IdempotencyKeyReusedError,
    InsufficientCreditsError,
    InvalidInputError,
    NotFoundError,
    PayloadTooLargeError,
    RateLimitedError,
    UnsupportedMediaTypeError,
)
