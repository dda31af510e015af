"""Publishing the engine's follow-up work, by task name (``tingting.publish``): no
service imports ``tasks.py`` (tasks call services, never the other way round).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.db import transaction

from tingting.publish import task_publish

logger = logging.getLogger(__name__)

DISPATCH_CHUNK = "campaigns.dispatch_chunk"
IMPORT_RECIPIENTS = "campaigns.import_recipients"


def chunks_publish(*, run_id: int, chunks: Iterable[int], countdown: int | None = None) -> int:
    """Publish one dispatch task per chunk. A broker error is logged, not raised:
    the rows stay queued and the sweeper re-publishes them."""
    published = 0
    for chunk in chunks:
        try:
            task_publish(DISPATCH_CHUNK, [run_id, chunk], countdown=countdown)
            published += 1
        except Exception:  # noqa: BLE001 - any broker failure: the sweeper recovers
            logger.exception("Could not publish chunk %s of run %s; the sweeper will", chunk, run_id)
    return published


def chunks_publish_after_commit(run_id: int, chunks: Iterable[int]) -> None:
    """``chunks_publish`` once the caller's transaction commits (nothing if it rolls back)."""
    chunk_list = list(chunks)
    transaction.on_commit(lambda: chunks_publish(run_id=run_id, chunks=chunk_list))


def import_publish(*, campaign_id: int) -> int:
    """Publish the recipient import task of a campaign. A broker error is logged, not
    raised: the upload is committed, and the sweeper publishes a stalled import again."""
    try:
        task_publish(IMPORT_RECIPIENTS, [campaign_id])
    except Exception:  # noqa: BLE001 - any broker failure: the sweeper recovers
        logger.exception("Could not publish the import of campaign %s; the sweeper will", campaign_id)
        return 0
    return 1


def import_publish_after_commit(campaign_id: int) -> None:
    """``import_publish`` once the caller's transaction commits (nothing if it rolls back)."""
    transaction.on_commit(lambda: import_publish(campaign_id=campaign_id))
