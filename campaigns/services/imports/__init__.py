"""Recipient imports of a campaign: ``file`` reads and writes, ``header`` finds the
columns, ``rows`` parses numbers and writes with COPY, ``process`` is the worker's
resumable side. The spreadsheet checks and readers are in ``tingting.spreadsheets``."""

from campaigns.services.imports.file import ImportReport, import_file, import_inline
from campaigns.services.imports.header import Header, detect_header, normalise_column
from campaigns.services.imports.process import ImportSupersededError, campaign_import_process
from campaigns.services.imports.rows import NumberParser, RecipientWriter

__all__ = [
    "Header",
    "ImportReport",
    "ImportSupersededError",
    "NumberParser",
    "RecipientWriter",
    "campaign_import_process",
    "detect_header",
    "import_file",
    "import_inline",
    "normalise_column",
]
