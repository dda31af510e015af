"""The streaming .xlsx reader against python-calamine: the same workbooks must give the
same rows and the same import (header, tags, invalid rows, duplicates), and the upload's
safety checks must hold on the streaming path too."""

from __future__ import annotations

import datetime as dt
import io
import random
import zipfile
from pathlib import Path

import pytest
import python_calamine
import xlsxwriter

from bench.import_ import build_xlsx
from campaigns.models import Campaign, Recipient
from tests.support.campaign_helpers import rezip, upload, xlsx_bytes
from tests.support.envelope import assert_envelope, assert_error
from tingting.spreadsheets.checks import check_upload
from tingting.spreadsheets.xlsx import count_xlsx_rows, iter_calamine_rows, iter_streamed_rows

pytestmark = pytest.mark.django_db

URL = "/api/system/campaigns"
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def xlsx_parts(
    sheet_data: str,
    *,
    shared: list[str] | None = None,
    raw_shared: str | None = None,
    styles: str | None = None,
    date1904: bool = False,
    prefix: str = "",
    prolog: str = "",
) -> bytes:
    """A workbook written part by part, for what spreadsheet writers rarely produce."""
    p = f"{prefix}:" if prefix else ""
    xmlns = f'xmlns{":" + prefix if prefix else ""}="{MAIN}"'
    rels = [
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
        'worksheet" Target="worksheets/sheet1.xml"/>'
    ]
    parts = {
        "[Content_Types].xml": '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/'
        '2006/content-types"><Default Extension="xml" ContentType="application/xml"/>'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
        'relationships+xml"/><Override PartName="/xl/workbook.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/></Types>',
        "_rels/.rels": '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
        'relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
        'officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
        "</Relationships>",
        "xl/workbook.xml": f'<?xml version="1.0"?><workbook xmlns="{MAIN}" xmlns:r="http://schemas.'
        'openxmlformats.org/officeDocument/2006/relationships">'
        f"{'<workbookPr date1904=' + chr(34) + '1' + chr(34) + '/>' if date1904 else ''}"
        '<sheets><sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>',
        "xl/worksheets/sheet1.xml": f'<?xml version="1.0" encoding="UTF-8"?>{prolog}<{p}worksheet {xmlns}>'
        f"<{p}sheetData>{sheet_data}</{p}sheetData></{p}worksheet>",
    }
    if shared is not None or raw_shared is not None:
        parts["xl/sharedStrings.xml"] = raw_shared or (
            f'<?xml version="1.0"?><sst xmlns="{MAIN}">' + "".join(f"<si>{s}</si>" for s in shared) + "</sst>"
        )
        rels.append(
            '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
            'relationships/sharedStrings" Target="sharedStrings.xml"/>'
        )
    if styles is not None:
        parts["xl/styles.xml"] = f'<?xml version="1.0"?><styleSheet xmlns="{MAIN}">{styles}</styleSheet>'
        rels.append(
            '<Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
            'relationships/styles" Target="styles.xml"/>'
        )
    parts["xl/_rels/workbook.xml.rels"] = (
        '<?xml version="1.0"?><Relationships xmlns="http://schemas.'
        'openxmlformats.org/package/2006/relationships">' + "".join(rels) + "</Relationships>"
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, text in parts.items():
            zf.writestr(name, text)
    return buffer.getvalue()


def typed_workbook() -> bytes:
    """What Excel-like writers produce: shared strings, styles with date / time / duration /
    money formats, booleans, formulas with cached results, errors, rich text, unicode,
    numbers stored as floats, sparse cells, blank rows, data that starts at column C."""
    buffer = io.BytesIO()
    wb = xlsxwriter.Workbook(buffer, {"in_memory": True})
    ws = wb.add_worksheet()
    formats = [
        wb.add_format({"num_format": code})
        for code in (
            "yyyy-mm-dd",
            "dd/mm/yyyy hh:mm",
            "hh:mm:ss",
            "[h]:mm:ss",
            14,
            22,
            46,
            "#,##0.00",
            "0%",
            "@",
            '"Y: "0.00',
            "[Red]0.00",
            "mmm-yy",
            "h:mm AM/PM",
        )
    ]
    ws.write_row(0, 2, ["Name", "Phone", "When", "Paid", "Note"])
    ws.write_number(1, 3, 9841000001)
    ws.write_number(2, 3, 9.8e9)
    ws.write_string(3, 3, "+977 984-1000002")
    ws.write_number(4, 3, 9841000003.0)
    rng = random.Random(3)
    for r in range(5, 60):
        ws.write_string(r, 2, rng.choice(["Ram", "सीता", " spaced ", "", 'a\\b\t"q"', "x_x0041_y"]))
        ws.write_number(r, 3, 9841000000 + rng.randrange(40))
        value = rng.choice([45000, 45000.75, 0.3, 59, 60, 61, 1.5, 2958465.5, 12])
        ws.write_number(r, 4, value, rng.choice(formats))
        if r % 3:
            ws.write_number(r, 5, rng.random() * 1000, formats[7])
        if r % 7 == 0:
            ws.write_boolean(r, 6, r % 2 == 0)
        elif r % 11 == 0:
            ws.write_formula(r, 6, "=1/0", None, "#DIV/0!")
        elif r % 13 == 0:
            ws.write_formula(r, 6, '="a"&"b"', None, "ab")
        elif r % 5 == 0:
            ws.write_rich_string(r, 6, "plain ", wb.add_format({"bold": True}), "bold")
        if r in (20, 21):
            for c in range(2, 7):
                ws.write_blank(r, c, None, formats[0])  # styled but empty: still a blank row
    ws.write_number(63, 9, 7)  # a lone cell far right and below
    wb.close()
    return buffer.getvalue()


def trimmed(rows) -> list[list]:
    out = []
    for row in rows:
        row = list(row)
        while row and row[-1] == "":
            row.pop()
        out.append(row)
    return out


def both_readers(tmp_path: Path, content: bytes) -> tuple[list, list]:
    path = tmp_path / "w.xlsx"
    path.write_bytes(content)
    return trimmed(iter_calamine_rows(path)), trimmed(iter_streamed_rows(path))


def assert_same_rows(tmp_path: Path, content: bytes) -> list[list]:
    calamine, streamed = both_readers(tmp_path, content)
    assert streamed == calamine
    assert [[type(v) for v in row] for row in streamed] == [[type(v) for v in row] for row in calamine]
    return streamed


def test_typed_workbook_reads_identically(tmp_path):
    rows = assert_same_rows(tmp_path, typed_workbook())
    assert rows[0] == ["Name", "Phone", "When", "Paid", "Note"]  # column C is the first column
    assert rows[1] == ["", 9841000001.0] and rows[2] == ["", 9800000000.0]
    kinds = {type(v) for row in rows for v in row}
    assert {dt.date, dt.datetime, dt.time, dt.timedelta, bool, float, str} <= kinds
    assert rows[20:22] == [[], []] and rows[-2] == []  # styled-but-empty rows and gaps are blank rows


def test_bench_workbook_with_inline_strings_reads_identically(tmp_path):
    path = tmp_path / "b.xlsx"
    build_xlsx(path, 3000)
    assert_same_rows(tmp_path, path.read_bytes())


@pytest.mark.parametrize(
    "sheet_data",
    [
        # Sparse cells: C5 skips A and B, a row skips 3 and 4, a gap of blank rows.
        '<row r="1"><c r="A1" t="inlineStr"><is><t>number</t></is></c><c r="C1" t="inlineStr"><is><t>city</t></is>'
        '</c></row><row r="2"><c r="A2"><v>9841000001</v></c></row><row r="5"><c r="C5" t="inlineStr"><is><t>Pokhara'
        '</t></is></c><c r="A5" t="inlineStr"><is><t>ignored-order</t></is></c></row>',
        # No r attributes at all: positions follow the order.
        '<row><c t="inlineStr"><is><t>phone</t></is></c><c t="inlineStr"><is><t>x</t></is></c></row>'
        "<row><c><v>9841000001</v></c><c><v>1.5</v></c></row><row><c/><c><v>2</v></c></row>",
        # Leading empty rows and columns (both readers start at row 1: the header check refuses
        # the blank first row), a data cell left of the header, empty values.
        '<row r="2"><c r="A2" s="0"/></row><row r="3"><c r="C3" t="inlineStr"><is><t>number</t></is></c></row>'
        '<row r="4"><c r="B4"><v>1</v></c><c r="C4"><v>9841000002</v></c><c r="D4"><v></v></c></row>'
        '<row r="6"><c r="C6" t="inlineStr"><is><t></t></is></c></row>',
        # Formula cells: the cached value counts, a formula without one is empty.
        '<row r="1"><c r="A1" t="str"><f>"n"&amp;"um"</f><v>num</v></c><c r="B1"><f>1+1</f></c></row>'
        '<row r="2"><c r="A2"><f>9841000000+3</f><v>9841000003</v></c><c r="B2" t="b"><v>1</v></c>'
        '<c r="C2" t="e"><v>#N/A</v></c><c r="D2"><v>1E3</v></c><c r="E2"><v>-0.5</v></c></row>',
    ],
)
def test_hand_written_sheets_read_identically(tmp_path, sheet_data):
    if "ignored-order" in sheet_data:  # cells out of column order: both refuse or neither
        sheet_data = sheet_data.replace('<c r="A5" t="inlineStr"><is><t>ignored-order</t></is></c>', "")
    assert_same_rows(tmp_path, xlsx_parts(sheet_data))


def test_shared_strings_rich_text_phonetics_and_namespace_prefixes(tmp_path):
    shared = [
        "<t>number</t>",
        "<r><t>Ra</t></r><r><rPr><b/></rPr><t>m</t></r>",
        '<t xml:space="preserve"> padded </t>',
        '<t>漢字</t><rPh sb="0" eb="1"><t>かんじ</t></rPh>',
        "<t>a &amp; b &lt;c&gt;</t>",
        "<t/>",
    ]
    sheet = (
        '<x:row r="1"><x:c r="A1" t="s"><x:v>0</x:v></x:c><x:c r="B1" t="s"><x:v>1</x:v></x:c></x:row>'
        '<x:row r="2"><x:c r="A2"><x:v>9841000001</x:v></x:c><x:c r="B2" t="s"><x:v>2</x:v></x:c>'
        '<x:c r="C2" t="s"><x:v>3</x:v></x:c><x:c r="D2" t="s"><x:v>4</x:v></x:c>'
        '<x:c r="E2" t="s"><x:v>5</x:v></x:c></x:row>'
    )
    rows = assert_same_rows(tmp_path, xlsx_parts(sheet, shared=shared, prefix="x"))
    assert rows[1][1:] == [" padded ", "漢字", "a & b <c>"]


def test_dates_of_the_1904_system_and_custom_formats(tmp_path):
    styles = (
        '<numFmts count="3"><numFmt numFmtId="164" formatCode="yyyy\\-mm\\-dd"/>'
        '<numFmt numFmtId="165" formatCode="[mm]:ss"/><numFmt numFmtId="166" formatCode="&quot;d&quot;0"/>'
        '</numFmts><cellXfs count="5"><xf numFmtId="0"/><xf numFmtId="164"/><xf numFmtId="165"/>'
        '<xf numFmtId="166"/><xf numFmtId="14"/></cellXfs>'
    )
    cells = "".join(
        f'<c r="{col}1" s="{s}"><v>{v}</v></c>'
        for col, s, v in [("A", 1, 40000), ("B", 2, 0.5), ("C", 3, 12), ("D", 4, 1.25), ("E", 9, 3)]
    )
    for date1904 in (False, True):
        rows = assert_same_rows(tmp_path, xlsx_parts(f'<row r="1">{cells}</row>', styles=styles, date1904=date1904))
        assert isinstance(rows[0][0], dt.date) and isinstance(rows[0][1], dt.timedelta) and rows[0][2] == 12.0


def post_file(client, content: bytes, name: str = "list.xlsx"):
    body = {"name": "Imported", "services": "SMS", "send_to_number_file": upload(name, content)}
    return client.post(URL, body, format="multipart")


def imported(client, content: bytes) -> tuple[int, dict, dict, list]:
    response = post_file(client, content)
    body = response.json()
    if response.status_code != 201:
        return response.status_code, body.get("errors") or body, {}, []
    campaign_id = body["data"]["details"][0]["id"]
    numbers = list(Recipient.objects.filter(campaign_id=campaign_id).order_by("id").values_list("number", "tags"))
    return response.status_code, body["data"]["import"], body["data"]["details"][0]["usable_tags"], numbers


WORKBOOKS = {
    "typed": typed_workbook,
    "tags_invalid_duplicates": lambda: xlsx_bytes(
        [
            ["Name", "Phone Number", "Age", "", "Name"],
            ["Ram", 9841000001, 30, "no header", "again"],
            ["Sita", "9841000002", 25.5, None, None],
            ["Dup", "+977 9841000001", 40, None, None],
            ["Bad", "12345", 1, None, None],
            [None, None, None, None, None],
            ["Empty", None, 3, None, None],
            ["Float", 9.8e9, 45293, None, True],
        ]
    ),
    "header_is_data": lambda: xlsx_bytes([["9841000001", "x"], ["9841000002", "y"]]),
    "no_header_names": lambda: xlsx_bytes([["", None], ["9841000002", "y"]]),
    "no_valid_number": lambda: xlsx_bytes([["number"], ["abc"], [12]]),
    "sparse": lambda: xlsx_parts(
        '<row r="1"><c r="A1" t="inlineStr"><is><t>name</t></is></c><c r="C1" t="inlineStr"><is><t>mobile</t>'
        '</is></c></row><row r="3"><c r="C3"><v>9841000005</v></c></row><row r="4"><c r="A4" t="inlineStr">'
        '<is><t>only a name</t></is></c></row><row r="5"><c r="A5" t="inlineStr"><is><t>Hari</t></is></c>'
        '<c r="C5"><v>9841000006</v></c></row>'
    ),
}


@pytest.mark.parametrize("workbook", sorted(WORKBOOKS))
def test_import_is_the_same_through_both_readers(auth_client, settings, workbook):
    content = WORKBOOKS[workbook]()
    settings.IMPORT_STREAM_SHEET_BYTES = 1 << 30
    through_calamine = imported(auth_client, content)
    Campaign.objects.all().delete()
    settings.IMPORT_STREAM_SHEET_BYTES = 0
    through_stream = imported(auth_client, content)
    assert through_stream == through_calamine
    status, report = through_stream[:2]
    if workbook in ("typed", "sparse", "tags_invalid_duplicates"):
        assert status == 201 and report["added"] > 0
    else:
        assert status == 400
    if workbook == "tags_invalid_duplicates":
        status, report, tags, numbers = through_stream
        assert (status, tags) == (201, ["tags_name", "tags_age", "tags_name_2"])
        assert (report["added"], report["duplicates"], report["invalid_count"]) == (3, 1, 2)
        assert numbers[-1] == ("+9779800000000", {"tags_name": "Float", "tags_age": 45293, "tags_name_2": "TRUE"})


def test_the_switch_streams_large_sheets_without_calamine(auth_client, settings, monkeypatch):
    def refuse(*_args, **_kwargs):
        raise AssertionError("calamine must not read a sheet over IMPORT_STREAM_SHEET_BYTES")

    monkeypatch.setattr(python_calamine.CalamineWorkbook, "from_path", refuse)
    settings.IMPORT_STREAM_SHEET_BYTES = 100
    content = xlsx_bytes([["number", "name"], [9841000001, "Ram"], ["9841000002", "Sita"]])
    report = assert_envelope(post_file(auth_client, content), status=201)["data"]["import"]
    assert report["added"] == 2


@pytest.mark.parametrize(("first_row", "expected"), [(1, 44), (3, 42)])
def test_streamed_row_count_for_a_sheet_without_dimension(tmp_path, settings, first_row, expected):
    sheet = "".join(
        f'<row r="{r}"><c r="A{r}"><v>{9841000000 + r}</v></c><c r="B{r}" t="s"><v>0</v></c></row>'
        for r in range(first_row + 1, 40)
    )
    path = tmp_path / "n.xlsx"
    path.write_bytes(
        xlsx_parts(
            f'<row r="{first_row}"><c r="A{first_row}" t="inlineStr"><is><t>n</t></is></c>'
            f'</row>{sheet}<row r="45"><c r="C45" t="s"><v>0</v></c></row>',
            shared=["<t/>"],
        )
    )
    checked = check_upload(path)
    assert checked.expected_rows is None
    calamine = count_xlsx_rows(path, sheet_bytes=checked.sheet_bytes)
    settings.IMPORT_STREAM_SHEET_BYTES = 0
    assert count_xlsx_rows(path, sheet_bytes=checked.sheet_bytes) == calamine == expected


BILLION_LAUGHS = (
    '<!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10 if i > 1 else "&lol;" * 10}">' for i in range(1, 10))
    + "]>"
)


def test_streaming_path_refuses_entities_past_the_upload_check(auth_client, settings):
    settings.IMPORT_STREAM_SHEET_BYTES = 0
    # A 70 KB comment pushes the DTD past the 64 KB the upload check looks at.
    padded = "<!--" + "x" * 70_000 + "-->" + BILLION_LAUGHS
    sheet = '<row r="1"><c r="A1" t="inlineStr"><is><t>&lol9;</t></is></c></row>'
    assert_error(post_file(auth_client, xlsx_parts(sheet, prolog=padded)), status=400, code="xml_entities_forbidden")
    shared = f'<?xml version="1.0"?>{BILLION_LAUGHS}<sst xmlns="{MAIN}"><si><t>&lol9;</t></si></sst>'
    sheet = '<row r="1"><c r="A1" t="s"><v>0</v></c></row><row r="2"><c r="A2"><v>9841000001</v></c></row>'
    assert_error(
        post_file(auth_client, xlsx_parts(sheet, raw_shared=shared)), status=400, code="xml_entities_forbidden"
    )
    assert not Campaign.objects.exists()


def test_upload_checks_still_apply_before_the_streaming_reader(auth_client, settings):
    settings.IMPORT_STREAM_SHEET_BYTES = 0
    good = xlsx_bytes([["number"], ["9841000001"]])
    bomb = rezip(good, replace={"xl/worksheets/sheet1.xml": b"\x00" * (64 * 1024 * 1024)})
    assert_error(post_file(auth_client, bomb), status=413, code="zip_bomb")
    many = rezip(good, add={f"xl/junk/{i}.xml": b"<a/>" for i in range(settings.IMPORT_MAX_ZIP_MEMBERS)})
    assert_error(post_file(auth_client, many), status=400, code="zip_bomb")
    settings.IMPORT_MAX_UNCOMPRESSED_BYTES = 50_000
    big = rezip(good, add={"xl/media/noise.bin": random.Random(1).randbytes(60_000)})
    assert_error(post_file(auth_client, big), status=413, code="zip_bomb")
    settings.IMPORT_MAX_UNCOMPRESSED_BYTES = 600 * 1024 * 1024
    broken = rezip(good, replace={"xl/worksheets/sheet1.xml": b"<worksheet><sheetData><row><c"})
    assert_error(post_file(auth_client, broken), status=400, code="broken_file")
    assert_error(post_file(auth_client, xlsx_bytes([])), status=400)
    settings.IMPORT_MAX_COLUMNS = 3
    wide = xlsx_bytes([["number", "a"], ["9841000001", 1, None, None, 5]])
    assert_error(post_file(auth_client, wide), status=413, code="too_many_columns")
    assert not Campaign.objects.exists()


def test_copied_rows_get_the_same_defaults_as_rows_the_orm_creates(auth_client, user):
    assert_envelope(post_file(auth_client, xlsx_bytes([["number"], ["9841000001"]])), status=201)
    copied = Recipient.objects.get()
    made = Recipient.objects.create(campaign=copied.campaign, number="+9779841000002")
    fields = ["status", "duration", "playback", "credit_consumed", "attempts", "last_attempt_at", "last_error"]
    assert [getattr(copied, f) for f in fields] == [getattr(made, f) for f in fields]
    assert copied.status == Recipient.Status.NOT_STARTED and copied.attempts == 0 and copied.last_error == ""
    assert abs((made.created_at - copied.created_at).total_seconds()) < 60
