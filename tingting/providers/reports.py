"""The one entry point for status reports, whoever sends them.

Real vendors' webhooks and the simulated providers both call ``deliver``; it
routes by the prefix of our ``reference`` ("attempt:12", "tmsg:<uuid>",
"otp:7") to the app that owns the object. Handlers must be idempotent and never
move a status backwards: reports arrive late, twice, or before the submission
was recorded.
"""

from __future__ import annotations

import logging

from django.utils.module_loading import import_string

from tingting.providers.base import StatusReport

logger = logging.getLogger(__name__)

# reference prefix → dotted path of a handler taking a StatusReport.
ROUTES: dict[str, str] = {}


def register(prefix: str, handler_path: str) -> None:
    ROUTES[prefix] = handler_path


def deliver(report: StatusReport) -> bool:
    """Hand a report to its owner; False when no app claims the reference."""
    prefix = report.reference.split(":", 1)[0]
    handler_path = ROUTES.get(prefix)
    if handler_path is None:
        logger.warning("Status report for unknown reference %r dropped", report.reference)
        return False
    import_string(handler_path)(report)
    return True
