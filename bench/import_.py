"""``bench import``: recipient import against the raw python-calamine read of the same file.

Builds an .xlsx of N rows (number + 2 tag columns, 1% invalid, 1% duplicates), times
the bare calamine read of every row, then the full import (checks, parsing, COPY into
the database) through ``campaign_create``, best of three each, and prints both rates and
their ratio, and the same import through the streaming reader. Then imports a
1,000,000-row file in a child process (a sheet that large takes the streaming reader)
and prints that process's peak RSS, against a bare calamine read of it.
"""

from __future__ import annotations

import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

import python_calamine
from django.core.files import File
from django.db import connection
from django.test.utils import override_settings

from accounts.models import User
from bench._serve import ROOT, database_url
from campaigns.models import Campaign, Recipient
from campaigns.services.campaign import campaign_create
from tingting.spreadsheets import uses_streaming

_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>'
)
_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    'officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>'
)


def build_xlsx(path: Path, rows: int, *, seed: int = 7) -> None:
    """number + name + age; 1% invalid numbers, 1% repeats of an earlier number."""
    rng = random.Random(seed)

    def cell(ref: str, value) -> str:
        if isinstance(value, int):
            return f'<c r="{ref}"><v>{value}</v></c>'
        return f'<c r="{ref}" t="inlineStr"><is><t>{escape(value)}</t></is></c>'

    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as zf:
        zf.writestr("[Content_Types].xml", _CONTENT_TYPES)
        zf.writestr("_rels/.rels", _RELS)
        zf.writestr("xl/workbook.xml", _WORKBOOK)
        zf.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        with zf.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as fh:
            fh.write(
                (
                    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                    f'<dimension ref="A1:C{rows + 1}"/><sheetData>'
                    '<row r="1"><c r="A1" t="inlineStr"><is><t>number</t></is></c>'
                    '<c r="B1" t="inlineStr"><is><t>name</t></is></c>'
                    '<c r="C1" t="inlineStr"><is><t>age</t></is></c></row>'
                ).encode()
            )
            chunk = []
            for index in range(rows):
                r = index + 2
                roll = rng.random()
                if roll < 0.01:
                    number = f"12{index}"  # invalid
                elif roll < 0.02 and index:
                    number = 9800000000 + rng.randrange(index)  # a repeat
                else:
                    number = 9800000000 + index
                chunk.append(
                    f'<row r="{r}">{cell(f"A{r}", number)}{cell(f"B{r}", f"Name {index}")}'
                    f"{cell(f'C{r}', 18 + index % 60)}</row>"
                )
                if len(chunk) == 10_000:
                    fh.write("".join(chunk).encode())
                    chunk = []
            fh.write(("".join(chunk) + "</sheetData></worksheet>").encode())


def raw_read(path: Path) -> int:
    workbook = python_calamine.CalamineWorkbook.from_path(str(path))
    try:
        count = 0
        for _row in workbook.get_sheet_by_index(0).iter_rows():
            count += 1
        return count
    finally:
        workbook.close()


class _Upload(File):
    """A file already on disk, as Django hands over a large upload."""

    def temporary_file_path(self) -> str:
        return self.name


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def full_import(path: Path, rows: int, **settings) -> tuple[float, dict, float]:
    """Seconds, the import report and the process's peak RSS (MB) right after the import."""
    user = User.objects.create_user(email=f"bench-import-{time.time_ns()}@bench.local", password=None)
    try:
        with open(path, "rb") as fh, override_settings(IMPORT_SYNC_ROWS=rows + 1, **settings):
            upload = _Upload(fh, name=str(path))
            started = time.perf_counter()
            _, report = campaign_create(owner=user, name="bench", services="SMS", send_to_number_file=upload)
            return time.perf_counter() - started, report, _peak_rss_mb()
    finally:
        # Recipients go first in one statement: the ORM's cascade would load every one of them.
        with connection.cursor() as cursor:
            cursor.execute(
                f"DELETE FROM {Recipient._meta.db_table} WHERE campaign_id IN "  # noqa: S608
                f"(SELECT id FROM {Campaign._meta.db_table} WHERE owner_id = %s)",
                [user.pk],
            )
        user.delete()


def _child(path: str, mode: str) -> None:
    """Runs in a fresh process: one raw read or one import, then prints its figures."""
    rows = int(mode.split(":")[1])
    if mode.startswith("raw"):
        started = time.perf_counter()
        raw_read(Path(path))
        elapsed, report, peak = time.perf_counter() - started, {}, _peak_rss_mb()
    else:
        elapsed, report, peak = full_import(Path(path), rows)
    print(json.dumps({"seconds": elapsed, "peak_rss_mb": peak, "added": report.get("added")}))


def _in_child(path: Path, mode: str) -> dict:
    code = f"import django, sys; django.setup(); from bench.import_ import _child; _child({str(path)!r}, {mode!r})"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "tingting.settings"),
        "DATABASE_URL": database_url(),
    }
    result = subprocess.run(  # noqa: S603 - our interpreter, our code
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode:
        raise RuntimeError(f"bench child failed:\n{result.stderr[-2000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def run(quick: bool, out) -> None:
    rows = 10_000 if quick else 100_000
    big_rows = 20_000 if quick else 1_000_000
    with tempfile.TemporaryDirectory(prefix="bench-import-") as tmp:
        path = Path(tmp) / "recipients.xlsx"
        build_xlsx(path, rows)
        raw_read(path)  # warm the page cache and the library
        # Best of three, interleaved: on a shared machine the fastest run is the one least
        # disturbed by other work, for the read and the import alike.
        raw_runs, import_runs, stream_runs = [], [], []
        for _ in range(3):
            started = time.perf_counter()
            raw_read(path)
            raw_runs.append(time.perf_counter() - started)
            import_seconds, report, _ = full_import(path, rows)
            import_runs.append(import_seconds)
            stream_runs.append(full_import(path, rows, IMPORT_STREAM_SHEET_BYTES=0)[0])
        raw_seconds, import_seconds, stream_seconds = min(raw_runs), min(import_runs), min(stream_runs)
        raw_rate, import_rate = rows / raw_seconds, rows / import_seconds
        out.write(
            f"import: {rows:,} rows xlsx ({path.stat().st_size / 1e6:.1f} MB) on {connection.vendor}, best of 3 "
            f"(imports {', '.join(f'{s:.2f}' for s in import_runs)}s); "
            f"raw calamine read {raw_seconds:.2f}s ({raw_rate:,.0f} rows/s), full import {import_seconds:.2f}s "
            f"({import_rate:,.0f} rows/s, added {report['added']:,}, duplicates {report['duplicates']:,}, "
            f"invalid {report['invalid_count']:,}); ratio {import_rate / raw_rate:.2f}x the raw read rate "
            f"(target >= 0.25x); through the streaming reader {stream_seconds:.2f}s "
            f"({rows / stream_seconds:,.0f} rows/s)"
        )
        big = Path(tmp) / "big.xlsx"
        build_xlsx(big, big_rows)
        with zipfile.ZipFile(big) as zf:
            sheet_bytes = zf.getinfo("xl/worksheets/sheet1.xml").file_size
        reader = "streaming" if uses_streaming(sheet_bytes) else "calamine"
        raw = _in_child(big, f"raw:{big_rows}")
        full = _in_child(big, f"import:{big_rows}")
        out.write(
            f"import: {big_rows:,} rows in a child process: raw calamine read {raw['seconds']:.1f}s peak RSS "
            f"{raw['peak_rss_mb']:.0f} MB; full import ({reader} reader) {full['seconds']:.1f}s "
            f"({big_rows / full['seconds']:,.0f} rows/s) peak RSS {full['peak_rss_mb']:.0f} MB "
            f"(added {full['added']:,}; target < 300 MB)"
        )
