"""Fast row pieces of the recipient import: phone parsing and the COPY writer."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import re
from typing import Any, cast

import phonenumbers
from django.conf import settings
from django.db import connection
from django.db.models import NOT_PROVIDED
from django.utils import timezone

from campaigns.models import Campaign, Recipient
from tingting.phones import ParsedNumber, parse


class NumberParser:
    """``to_e164`` with a fast path for the common case: a national significant number of
    the default region written as plain digits, or already in E.164 with its country code. The fast path is one regular expression
    built from the same ``phonenumbers`` metadata (general pattern and lengths, then any
    number type's pattern and lengths) and only ever accepts what ``phonenumbers``
    accepts; everything else goes through ``to_e164``."""

    _TYPES = (
        "premium_rate",
        "toll_free",
        "shared_cost",
        "voip",
        "personal_number",
        "pager",
        "uan",
        "voicemail",
        "fixed_line",
        "mobile",
    )

    def __init__(self, region: str | None = None) -> None:
        self.region = region or settings.DEFAULT_PHONE_REGION
        metadata = phonenumbers.PhoneMetadata.metadata_for_region(self.region)
        if metadata is None or metadata.general_desc is None:
            raise ValueError(f"phonenumbers has no metadata for region {self.region!r}")
        self.prefix = f"+{metadata.country_code}"
        general = metadata.general_desc
        general_lengths = tuple(general.possible_length)
        # Inputs phonenumbers would rewrite (national / international prefix, country code
        # written without +, a leading zero) are left to it.
        excluded = ["0", str(metadata.country_code)]
        for pattern in (metadata.national_prefix_for_parsing, metadata.international_prefix):
            if pattern:
                excluded.append(f"(?:{pattern})")
        alternatives = []
        for name in self._TYPES:
            desc = getattr(metadata, name)
            if desc is None or not desc.national_number_pattern:
                continue
            lengths = tuple(desc.possible_length) or general_lengths
            alternatives.append(f"(?={self._lengths(lengths)})(?:{desc.national_number_pattern})")
        self.fast = None  # fullmatch of plain national digits that phonenumbers accepts
        if general.national_number_pattern and alternatives:
            self.fast = re.compile(
                "".join(f"(?!{e})" for e in excluded)
                + f"(?={self._lengths(general_lengths)})(?=(?:{general.national_number_pattern})$)"
                + "(?:"
                + "|".join(alternatives)
                + ")"
            ).fullmatch

    @staticmethod
    def _lengths(lengths: tuple[int, ...]) -> str:
        if not lengths:
            return r"\d+$"
        return "(?:" + "|".join(rf"\d{{{n}}}$" for n in lengths) + ")"

    def parse(self, value: object) -> str:
        """E.164 or InvalidPhoneNumber."""
        return self.parse_number(value).e164

    def parse_number(self, value: object) -> ParsedNumber:
        """``tingting.phones.parse`` (E.164 and whether the range is listed), or
        InvalidPhoneNumber; what the fast path accepts is listed (valid)."""
        if type(value) is float and value.is_integer():
            value = str(int(value))
        if type(value) is str and self.fast is not None and value.isascii():
            if self.fast(value):
                return ParsedNumber(self.prefix + value, True)
            # Already E.164 in the default region's country code: phonenumbers takes the
            # code from the "+" and checks what follows like a national number.
            if value.startswith(self.prefix) and self.fast(value, len(self.prefix)):
                return ParsedNumber(value, True)
        return parse(value, region=self.region)


def _copy_text(value: object) -> str:
    """One value in PostgreSQL COPY text format."""
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, dict | list):
        value = json.dumps(value)
    elif isinstance(value, dt.datetime | dt.date):
        value = value.isoformat()
    return copy_escape(str(value))


def copy_escape(text: str) -> str:
    if "\\" in text or "\t" in text or "\n" in text or "\r" in text:
        text = text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    return text


class RecipientWriter:
    """Writes new recipients of one campaign in batches. On PostgreSQL a batch is one COPY
    (text format); when streaming it is fed every ``CHUNK`` rows while the file is still
    being read, so the server inserts while Python parses; ``flush`` ends the COPY. Elsewhere a batch is
    one bulk_create. The other columns come from the database defaults (``db_default``, or NULL)
    or else from the model's defaults, so fields added later keep working."""

    CHUNK = 5000

    def __init__(self, campaign: Campaign, *, stream: bool = True) -> None:
        self.campaign = campaign
        self.now = timezone.now()
        self.pending: list[str] = []  # "number\ttags" (COPY text) per row, not yet sent
        self.batch_count = 0  # rows added since the last flush
        self.copying = connection.vendor == "postgresql"
        # Streaming keeps a COPY open between rows, so the caller's transaction must span
        # the whole batch; the worker, which opens one per batch at flush time, does not stream.
        self.streaming = stream and self.copying
        # The open COPY (psycopg's context manager and its Copy) and the cursor it runs on.
        self._copy_cm: Any = None
        self._copy: Any = None
        self._cursor: Any = None
        constant_columns: list[str] = []
        constant_values: list[object] = []
        for f in Recipient._meta.concrete_fields:
            if f.primary_key or f.name in ("number", "tags"):
                continue
            value: object
            if f.name == "campaign":
                value = campaign.pk
            elif f.db_default is not NOT_PROVIDED or (f.null and f.get_default() is None):
                continue  # the database fills it: fewer columns for COPY to parse
            elif f.name == "created_at":
                value = self.now
            else:
                value = f.get_default()
            constant_columns.append(cast(str, f.column))  # set on every concrete field
            constant_values.append(value)
        quote = connection.ops.quote_name
        columns = [
            cast(str, Recipient._meta.get_field("number").column),
            cast(str, Recipient._meta.get_field("tags").column),
            *constant_columns,
        ]
        self.copy_sql = f"COPY {quote(Recipient._meta.db_table)} ({', '.join(quote(c) for c in columns)}) FROM STDIN"
        self.line_end = "".join("\t" + _copy_text(v) for v in constant_values) + "\n"

    def add(self, number: str, tags_json: str) -> None:
        self.pending.append(number + "\t" + copy_escape(tags_json))
        self.batch_count += 1
        if self.streaming and len(self.pending) >= self.CHUNK:
            self._send()

    def _send(self) -> None:
        rows, self.pending = self.pending, []
        if not rows:
            return
        if self._copy is None:
            self._cursor = connection.cursor()
            self._copy_cm = self._cursor.cursor.copy(self.copy_sql)
            self._copy = self._copy_cm.__enter__()
        end = self.line_end
        self._copy.write(end.join(rows) + end)

    def _close(self, exc: BaseException | None = None) -> None:
        copy_cm, cursor = self._copy_cm, self._cursor
        self._copy_cm = self._copy = self._cursor = None
        try:
            if copy_cm is not None:
                copy_cm.__exit__(type(exc) if exc else None, exc, exc.__traceback__ if exc else None)
        finally:
            if cursor is not None:
                cursor.close()

    def flush(self) -> int:
        """Write what is left of the batch and end it; returns the batch's row count."""
        count, self.batch_count = self.batch_count, 0
        if self.copying:
            self._send()
            self._close()
        elif self.pending:
            rows, self.pending = self.pending, []
            Recipient.objects.bulk_create(
                [
                    Recipient(campaign=self.campaign, number=n, tags=json.loads(_copy_unescape(t)))
                    for n, t in (line.split("\t", 1) for line in rows)
                ],
                batch_size=2000,
            )
        return count

    def abort(self, exc: BaseException) -> None:
        """End an open COPY after an error (the caller's transaction rolls back)."""
        self.pending, self.batch_count = [], 0
        if self._copy_cm is not None:
            with contextlib.suppress(Exception):  # the original error is what matters
                self._close(exc)


def _copy_unescape(text: str) -> str:
    if "\\" not in text:
        return text
    return re.sub(r"\\(.)", lambda m: {"t": "\t", "n": "\n", "r": "\r"}.get(m.group(1), m.group(1)), text)
