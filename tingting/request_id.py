"""The id of the request being answered, for every log line and error body of it.

A leaf module (standard library only) so logging configuration, middleware and
the exception handler can all import it without importing each other.
"""

from __future__ import annotations

import contextvars
import logging
from collections.abc import Iterator
from contextlib import contextmanager

_request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")


def current_request_id() -> str:
    """The id bound by ``RequestIdMiddleware``; ``-`` outside a request."""
    return _request_id.get()


@contextmanager
def request_id_bound(request_id: str) -> Iterator[None]:
    """Bind ``request_id`` for the code run inside (and the threads copying this context)."""
    token = _request_id.set(request_id)
    try:
        yield
    finally:
        _request_id.reset(token)


class RequestIdFilter(logging.Filter):
    """Adds ``record.request_id`` (``LOGGING`` formats it on every line)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = _request_id.get()
        return True
