"""A bounded retry for transactions PostgreSQL aborted to break a deadlock or a
serialization conflict (SQLSTATE 40P01, 40001).

The lock order of the services should make deadlocks impossible; this is the
backstop for the ones a future change lets in, so a committed-or-not answer is
decided by the database instead of a 500. Only the outermost transaction is
retried: inside an ``atomic`` block the whole outer transaction is already
aborted, so the error goes up to whoever opened it.
"""

from __future__ import annotations

import functools
import logging
import random
import time
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from django.db import OperationalError, connection

logger = logging.getLogger(__name__)
RETRY_SQLSTATES = frozenset({"40P01", "40001"})
ATTEMPTS = 5

P = ParamSpec("P")
R = TypeVar("R")


def is_transient(exc: BaseException) -> bool:
    """True for a deadlock or serialization failure (the transaction may simply run again)."""
    cause = exc.__cause__
    return isinstance(exc, OperationalError) and getattr(cause, "sqlstate", None) in RETRY_SQLSTATES


def retry_transient(func: Callable[P, R]) -> Callable[P, R]:
    """Run ``func`` (which opens its own transaction) again, up to ATTEMPTS times
    with a short jittered pause, when the database aborted it as a deadlock or
    serialization victim. ``func`` must be safe to repeat after a rollback."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        for attempt in range(1, ATTEMPTS + 1):
            try:
                return func(*args, **kwargs)
            except OperationalError as exc:
                if connection.in_atomic_block or attempt == ATTEMPTS or not is_transient(exc):
                    raise
                logger.warning("%s: %s, retry %d of %d", func.__qualname__, exc.__cause__.sqlstate, attempt, ATTEMPTS)
                time.sleep(random.uniform(0.01, 0.05) * attempt)
        raise AssertionError("unreachable")  # pragma: no cover

    return wrapper
