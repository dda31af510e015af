"""The one retry idiom of Celery tasks.

A task retries only temporary provider errors, a bounded number of times
(``max_retries`` on the task), waiting ``first``, 2·``first``, 4·``first`` ...
seconds, at most ``cap``. When no retry is left it calls its ``give_up`` step,
the service that records the failure (an OTP failed, a message failed, credits
released); without one the task fails with the error, as Celery's own
``autoretry_for`` would. Every retrying task reads the same::

    except ProviderTemporaryError as exc:
        return retry_or_give_up(self, exc=exc, first=5, give_up=lambda: record_failure(...))

Longer waits belong to the database schedule and the beat sweeps, not to a
countdown (STYLE "Tasks").
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from celery import Task

T = TypeVar("T")

DEFAULT_CAP_SECONDS = 300


def backoff_seconds(retries: int, *, first: int, cap: int = DEFAULT_CAP_SECONDS) -> int:
    """The wait before retry number ``retries + 1``: ``first · 2^retries``, at most ``cap``."""
    return min(cap, first * 2**retries)


def retry_or_give_up(
    task: Task,
    *,
    exc: BaseException | None = None,
    first: int,
    cap: int = DEFAULT_CAP_SECONDS,
    give_up: Callable[[], T] | None = None,
    args: list[Any] | None = None,
) -> T:
    """Raise the task's retry (with ``args`` instead of the original ones when given),
    or, with no retry left, return ``give_up()`` (re-raise ``exc`` without one).
    Call it from a ``bind=True`` task with ``max_retries`` set."""
    retries = task.request.retries
    if retries >= task.max_retries:
        if give_up is not None:
            return give_up()
        if exc is not None:
            raise exc
        raise RuntimeError(f"{task.name}: out of retries")
    raise task.retry(exc=exc, args=args, countdown=backoff_seconds(retries, first=first, cap=cap))
