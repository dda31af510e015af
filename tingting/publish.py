"""Publishing Celery tasks by name: the one idiom every service uses for follow-up work,
so no service imports a ``tasks.py`` (tasks call services, never the other way round;
the "services-not-import-tasks" import contract keeps it so).

``current_app.signature(name)`` sends through the registered task when this process
has it (its options) and by name otherwise, so a process that never imported the
task module (a web worker) publishes the same message a worker would.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from celery import current_app
from django.db import transaction


def task_publish(name: str, args: Sequence[Any] = (), *, countdown: float | None = None) -> None:
    """Hand one task to the broker now. Raises the broker's error (the caller decides:
    log and leave the row for its sweep, or record the failure)."""
    current_app.signature(name, args=list(args)).apply_async(countdown=countdown)


def task_publish_after_commit(name: str, args: Sequence[Any] = (), *, robust: bool = False) -> None:
    """``task_publish`` once the caller's transaction commits (nothing if it rolls back).
    ``robust``: a broker error after the commit is logged by Django, not raised to the
    caller whose write already stands; its sweep publishes again."""
    arguments = list(args)
    transaction.on_commit(lambda: task_publish(name, arguments), robust=robust)
