"""The one entry point for status reports, whoever sends them.

Real vendors' webhooks and the simulated providers both call ``deliver``; it
routes by the prefix of our ``reference`` ("attempt:12", "tmsg:<uuid>",
"otp:7") to the app that owns the object. Handlers must be idempotent and never
move a status backwards: reports arrive late, twice, or before the submission
was recorded.

``deliver_many`` hands a batch to each owner at once: to its list handler when
it registered one (``register(prefix, path, many_path=...)``), else one by one.
Inside ``collecting()`` (a campaign chunk task around its provider calls),
``deliver`` buffers instead, and the caller records the buffer with
``deliver_many``: one batch of outcomes instead of one transaction per report.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.utils.module_loading import import_string

from tingting.providers.base import StatusReport

logger = logging.getLogger(__name__)

# reference prefix → dotted path of a handler taking a StatusReport.
ROUTES: dict[str, str] = {}
# reference prefix → dotted path of a handler taking a list of StatusReports (optional).
MANY_ROUTES: dict[str, str] = {}

_buffer: ContextVar[list[StatusReport] | None] = ContextVar("reports_buffer", default=None)


def register(prefix: str, handler_path: str, many_path: str = "") -> None:
    ROUTES[prefix] = handler_path
    if many_path:
        MANY_ROUTES[prefix] = many_path


def _prefix(report: StatusReport) -> str:
    return report.reference.split(":", 1)[0]


def deliver(report: StatusReport) -> bool:
    """Hand a report to its owner; False when no app claims the reference."""
    prefix = _prefix(report)
    handler_path = ROUTES.get(prefix)
    if handler_path is None:
        logger.warning("Status report for unknown reference %r dropped", report.reference)
        return False
    buffer = _buffer.get()
    if buffer is not None:
        buffer.append(report)
        return True
    import_string(handler_path)(report)
    return True


def deliver_many(reports: Iterable[StatusReport]) -> int:
    """Hand reports to their owners, grouped by prefix, in order within a group;
    returns how many some app claimed."""
    buffer = _buffer.get()
    groups: dict[str, list[StatusReport]] = {}
    for report in reports:
        groups.setdefault(_prefix(report), []).append(report)
    claimed = 0
    for prefix, group in groups.items():
        if prefix not in ROUTES:
            logger.warning("%s status reports for unknown prefix %r dropped", len(group), prefix)
            continue
        claimed += len(group)
        if buffer is not None:
            buffer.extend(group)
        elif prefix in MANY_ROUTES:
            import_string(MANY_ROUTES[prefix])(group)
        else:
            handler = import_string(ROUTES[prefix])
            for report in group:
                handler(report)
    return claimed


@contextmanager
def collecting() -> Iterator[list[StatusReport]]:
    """Buffer what ``deliver`` gets in this context (and in threads run with a
    copy of it, ``contextvars.copy_context``); the caller delivers the buffer."""
    buffer: list[StatusReport] = []
    token = _buffer.set(buffer)
    try:
        yield buffer
    finally:
        _buffer.reset(token)
