"""What the campaign and recipient lists share besides the face's paging
(``tingting/api/pagination.py``): their page size cap and the import report."""

from __future__ import annotations

MAX_PAGE_SIZE = 100


def import_report_of(campaign) -> dict | None:
    return campaign.import_report if campaign.import_state != campaign.ImportState.NONE else None
