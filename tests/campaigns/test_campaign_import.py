"""Creating a campaign from an uploaded .xlsx / .csv: parsing, reporting, upload safety."""

from __future__ import annotations

import io
import random
import time
import zipfile

import pytest

from campaigns.models import Campaign, Recipient
from campaigns.services.imports import NumberParser, campaign_import_process
from tests.support.campaign_helpers import rezip, upload, xlsx_bytes
from tests.support.envelope import assert_envelope, assert_error
from tests.support.workers import running_worker, wait_until
from tingting.phones import InvalidPhoneNumber, to_e164

pytestmark = pytest.mark.django_db

URL = "/api/system/campaigns"


def post_file(client, name: str, content: bytes, **fields):
    body = {"name": "Imported", "services": "SMS", **fields, "send_to_number_file": upload(name, content)}
    return client.post(URL, body, format="multipart")


def recipients(campaign_id: int) -> list[tuple[str, dict]]:
    return list(Recipient.objects.filter(campaign_id=campaign_id).order_by("id").values_list("number", "tags"))


def test_xlsx_with_tags_invalid_rows_and_duplicates(auth_client, user):
    content = xlsx_bytes(
        [
            ["Name", "Phone Number", "Age", ""],
            ["Ram", 9841000001, 30, "ignored: no header"],
            ["Sita", "9841000002", 25.5, None],
            ["Dup", "+977 9841000001", 40, None],
            ["Bad", "12345", 1, None],
            [None, None, None, None],  # a blank line is not a row
            ["Empty", None, 3, None],
            ["Hari", 9841000003, None, None],
        ]
    )
    response = post_file(auth_client, "list.xlsx", content, description="from excel")
    body = assert_envelope(response, status=201, message="Campaign Created Successfully")
    campaign = Campaign.objects.get(owner=user)
    assert body["data"]["details"] == [
        {
            "id": campaign.pk,
            "name": "Imported",
            "user_phone": [],
            "services": "SMS",
            "description": "from excel",
            "usable_tags": ["tags_name", "tags_age"],
            "status": "Not Started",
            "number_count": 3,
        }
    ]
    report = body["data"]["import"]
    assert report == {
        "state": "done",
        "rows": 6,
        "added": 3,
        "duplicates": 1,
        "invalid_count": 2,
        "invalid": [
            {"row": 5, "value": "12345", "error": report["invalid"][0]["error"]},
            {"row": 7, "value": "", "error": "the number is empty"},
        ],
        "warnings": [],
        "warnings_count": 0,
        "columns": {
            "number": {"column": 2, "header": "Phone Number", "found_by": "header"},
            "tags": [
                {"column": 1, "header": "Name", "tag": "tags_name"},
                {"column": 3, "header": "Age", "tag": "tags_age"},
            ],
        },
    }
    assert recipients(campaign.pk) == [
        ("+9779841000001", {"tags_name": "Ram", "tags_age": 30}),
        ("+9779841000002", {"tags_name": "Sita", "tags_age": 25.5}),
        ("+9779841000003", {"tags_name": "Hari"}),
    ]
    details = auth_client.get(f"{URL}/{campaign.pk}/details").json()["data"]
    assert details["import"]["state"] == "done" and details["import"]["added"] == 3


def test_csv_utf8_with_bom_and_tag_columns(auth_client, user):
    content = "\ufeffnumber,First Name,tags_city\n9841000001,राम,Kathmandu\n9841000002,Sita,\n".encode()
    body = assert_envelope(post_file(auth_client, "list.csv", content), status=201)
    assert body["data"]["details"][0]["usable_tags"] == ["tags_first_name", "tags_city"]
    assert body["data"]["import"]["added"] == 2
    assert recipients(Campaign.objects.get().pk) == [
        ("+9779841000001", {"tags_first_name": "राम", "tags_city": "Kathmandu"}),
        ("+9779841000002", {"tags_first_name": "Sita"}),
    ]


def test_csv_semicolon_and_first_column_as_number(auth_client, user):
    content = b"Mobile No;Name\n9841000001;Ram\n"
    body = assert_envelope(post_file(auth_client, "list.csv", content), status=201)
    assert body["data"]["details"][0]["usable_tags"] == ["tags_name"]
    assert recipients(Campaign.objects.get().pk) == [("+9779841000001", {"tags_name": "Ram"})]


def test_file_with_no_valid_number_is_400_with_the_report(auth_client):
    body = assert_error(post_file(auth_client, "list.csv", b"number\n123\nabc\n"), status=400, code="no_valid_numbers")
    assert body["data"]["import"]["invalid_count"] == 2
    assert [i["row"] for i in body["data"]["import"]["invalid"]] == [2, 3]
    assert not Campaign.objects.exists()


def test_invalid_list_is_capped_at_100(auth_client):
    content = ("number\n9841000001\n" + "bad\n" * 150).encode()
    report = assert_envelope(post_file(auth_client, "list.csv", content), status=201)["data"]["import"]
    assert report["invalid_count"] == 150 and len(report["invalid"]) == 100
    assert report["invalid"][-1]["row"] == 102


@pytest.mark.parametrize(
    ("name", "content", "code"),
    [
        ("list.csv", b"9841000001,Ram\n9841000002,Sita\n", "header_required"),
        ("list.csv", "number,name\n9841000001,Ré\n".encode("latin-1"), "not_utf8"),
        ("list.csv", b"", "empty_file"),
        ("list.xlsx", b"PK\x03\x04 this is not really a zip", "broken_file"),
        (
            "list.xlsx",
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600 + "EncryptedPackage".encode("utf-16-le"),
            "encrypted_file",
        ),
    ],
)
def test_unreadable_files_are_400(auth_client, name, content, code):
    assert_error(post_file(auth_client, name, content), status=400, field="send_to_number_file", code=code)
    assert not Campaign.objects.exists()


def test_xlsx_without_rows_and_with_a_broken_sheet_are_400(auth_client):
    assert_error(post_file(auth_client, "e.xlsx", xlsx_bytes([])), status=400)
    broken = rezip(
        xlsx_bytes([["number"], ["9841000001"]]), replace={"xl/worksheets/sheet1.xml": b"<worksheet><sheetData><row><c"}
    )
    assert_error(post_file(auth_client, "b.xlsx", broken), status=400, code="broken_file")
    truncated = xlsx_bytes([["number"], ["9841000001"]])[:300]
    assert_error(post_file(auth_client, "t.xlsx", truncated), status=400, code="broken_file")


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("photo.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 100),
        ("old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + "Workbook".encode("utf-16-le") + b"\x00" * 600),
        ("list.csv", b"number\x00\x01\x02"),
        ("noise.csv", bytes(range(1, 256)) * 4),  # binary without a NUL byte
        ("doc.xlsx", None),  # a .docx: a zip, but not a workbook
    ],
)
def test_wrong_type_is_415(auth_client, name, content):
    if content is None:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as zf:
            zf.writestr("[Content_Types].xml", "<Types/>")
            zf.writestr("word/document.xml", "<document/>")
        content = buffer.getvalue()
    assert_error(post_file(auth_client, name, content), status=415, field="send_to_number_file")


def test_too_large_upload_is_413(auth_client, settings):
    settings.IMPORT_MAX_UPLOAD_BYTES = 1000
    assert_error(
        post_file(auth_client, "l.csv", b"number\n" + b"9841000001\n" * 200), status=413, field="send_to_number_file"
    )
    # A body far over the limit is refused from its Content-Length, before it is read.
    assert_error(post_file(auth_client, "l.csv", b"number\n" + b"9841000001\n" * 200_000), status=413)
    assert not Campaign.objects.exists()


def test_row_and_column_limits_are_413(auth_client, settings):
    settings.IMPORT_MAX_ROWS = 3
    rows = [["number"]] + [[f"98410000{i:02d}"] for i in range(5)]
    assert_error(post_file(auth_client, "l.xlsx", xlsx_bytes(rows)), status=413, code="too_many_rows")
    assert_error(
        post_file(auth_client, "l.csv", "\n".join(r[0] for r in rows).encode()), status=413, code="too_many_rows"
    )
    settings.IMPORT_MAX_ROWS = 100
    settings.IMPORT_MAX_COLUMNS = 3
    wide = xlsx_bytes([["number", "a", "b", "c"], ["9841000001", 1, 2, 3]])
    assert_error(post_file(auth_client, "w.xlsx", wide), status=413, code="too_many_columns")
    assert not Campaign.objects.exists()


def test_zip_bombs_are_refused_before_parsing(auth_client, settings):
    good = xlsx_bytes([["number"], ["9841000001"]])
    # 64 MB of zeros deflates to ~64 KB: the ratio gives it away.
    bomb = rezip(good, replace={"xl/worksheets/sheet1.xml": b"\x00" * (64 * 1024 * 1024)})
    started = time.monotonic()
    assert_error(post_file(auth_client, "bomb.xlsx", bomb), status=413, code="zip_bomb")
    assert time.monotonic() - started < 5
    many = rezip(good, add={f"xl/junk/{i}.xml": b"<a/>" for i in range(settings.IMPORT_MAX_ZIP_MEMBERS)})
    assert_error(post_file(auth_client, "many.xlsx", many), status=400, code="zip_bomb")
    settings.IMPORT_MAX_UNCOMPRESSED_BYTES = 50_000
    big = rezip(good, add={"xl/media/noise.bin": random.Random(1).randbytes(60_000)})
    assert_error(post_file(auth_client, "big.xlsx", big), status=413, code="zip_bomb")
    assert not Campaign.objects.exists()


BILLION_LAUGHS = (
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + b"".join(
        f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10 if i > 1 else "&lol;" * 10}">'.encode()
        for i in range(1, 10)
    )
    + b"]>"
)


def test_billion_laughs_is_refused(auth_client):
    good = xlsx_bytes([["number"], ["9841000001"]])
    source = zipfile.ZipFile(io.BytesIO(good))
    workbook = source.read("xl/workbook.xml").split(b"?>", 1)[1]
    laughing_workbook = BILLION_LAUGHS + workbook.replace(b"Sheet1", b"&lol9;", 1)
    started = time.monotonic()
    assert_error(
        post_file(auth_client, "lol.xlsx", rezip(good, replace={"xl/workbook.xml": laughing_workbook})),
        status=400,
        code="xml_entities_forbidden",
    )
    sheet = source.read("xl/worksheets/sheet1.xml").split(b"?>", 1)[1]
    laughing_sheet = BILLION_LAUGHS + sheet
    assert_error(
        post_file(auth_client, "lol2.xlsx", rezip(good, replace={"xl/worksheets/sheet1.xml": laughing_sheet})),
        status=400,
        code="xml_entities_forbidden",
    )
    assert time.monotonic() - started < 5
    assert not Campaign.objects.exists()


def test_file_and_numbers_together_is_400(auth_client):
    response = auth_client.post(
        URL,
        {
            "name": "x",
            "services": "SMS",
            "individual_number": "9841000001",
            "send_to_number_file": upload("l.csv", b"number\n9841000002\n"),
        },
        format="multipart",
    )
    assert_error(response, status=400, field="individual_number")


def test_multipart_individual_numbers_and_user_phone(auth_client, user):
    response = auth_client.post(
        URL, {"name": "x", "services": "SMS", "individual_number": "9841000001, 9841000002"}, format="multipart"
    )
    assert assert_envelope(response, status=201)["data"]["import"]["added"] == 2


def test_fast_number_parser_agrees_with_phonenumbers(settings):
    rng = random.Random(5)
    samples = [str(rng.randrange(10 ** (n - 1), 10**n)) for n in range(6, 14) for _ in range(400)]
    samples += [f"98{rng.randrange(10**8):08d}" for _ in range(2000)] + [f"0{rng.randrange(10**9)}" for _ in range(200)]
    samples += [f"977{rng.randrange(10**10):010d}" for _ in range(200)] + ["9779841000001", "1660012345"]
    samples += [float(f"98{rng.randrange(10**8):08d}") for _ in range(100)]
    for region in ("NP", "GB", "US", "IN"):
        settings.DEFAULT_PHONE_REGION = region
        parser = NumberParser()
        # The same digits written in E.164 with the region's code (the E.164 fast path), and
        # with another code.
        texts = [s for s in samples if isinstance(s, str)]
        e164 = [parser.prefix + s for s in texts] + [parser.prefix + "0" + s for s in texts[:300]]
        e164 += ["+44" + s for s in texts[:300]] + [parser.prefix + " " + s for s in texts[:100]]
        if region == "NP":  # the comparison covers both fast paths, not only the slow one
            assert sum(bool(parser.fast(v)) for v in texts) > 1500
            assert sum(bool(parser.fast(v, len(parser.prefix))) for v in e164 if v.startswith("+977")) > 1500
        for value in samples + e164:
            text = str(int(value)) if isinstance(value, float) else value
            try:
                expected = to_e164(text)
            except InvalidPhoneNumber:
                expected = None
            try:
                got = parser.parse(value)
            except InvalidPhoneNumber:
                got = None
            assert got == expected, (region, value)


@pytest.mark.django_db(transaction=True)
def test_large_file_imports_in_a_worker_with_progress(auth_client, user, settings, purge_broker):
    settings.IMPORT_SYNC_ROWS = 50
    rows = [["number", "name"]] + [[f"98410{i:05d}", f"n{i}"] for i in range(300)]
    rows += [["9841000000", "dup"], ["bad", "x"]]
    with running_worker(env={"IMPORT_SYNC_ROWS": "50", "IMPORT_BATCH_ROWS": "70"}):
        response = post_file(auth_client, "big.xlsx", xlsx_bytes(rows))
        body = assert_envelope(response, status=201, message="Campaign Created Successfully")
        campaign_id = body["data"]["details"][0]["id"]
        assert body["data"]["import"]["state"] == "pending"
        assert body["data"]["import"]["rows_expected"] == 302
        assert body["data"]["import"]["warnings"] == []

        def state():
            return auth_client.get(f"{URL}/{campaign_id}/details").json()["data"]["import"]["state"]

        wait_until(lambda: state() in ("done", "failed"), timeout=60, message="the import to finish")
    details = auth_client.get(f"{URL}/{campaign_id}/details").json()["data"]
    assert details["details"][0]["usable_tags"] == ["tags_name"]
    report = details["import"]
    assert (report["state"], report["rows"], report["added"], report["duplicates"], report["invalid_count"]) == (
        "done",
        302,
        300,
        1,
        1,
    )
    assert report["invalid"][0]["row"] == 303
    # The worker's batches carry the column report and the warnings like a small import.
    assert report["columns"]["number"] == {"column": 1, "header": "number", "found_by": "header"}
    assert report["warnings_count"] == 0
    numbers = auth_client.get(f"/api/system/campaigns/number/{campaign_id}").json()["data"]
    assert len(numbers["number-lists"]) == 300 and numbers["import"]["state"] == "done"
    assert numbers["number-lists"][0]["available_tags"] == {"tags_name": "n0"}
    campaign = Campaign.objects.get(pk=campaign_id)
    assert not campaign.import_file
    # A redelivered task finds the import done and changes nothing.
    assert campaign_import_process(campaign_id=campaign_id) == "done"
    assert Recipient.objects.filter(campaign_id=campaign_id).count() == 300


@pytest.mark.django_db(transaction=True)
def test_interrupted_import_resumes_from_the_last_committed_batch(auth_client, user, settings, purge_broker):
    settings.IMPORT_SYNC_ROWS = 10
    settings.IMPORT_BATCH_ROWS = 25
    rows = [["number"]] + [[f"98410{i:05d}"] for i in range(100)]
    body = post_file(auth_client, "r.xlsx", xlsx_bytes(rows)).json()  # no worker runs: it stays pending
    campaign_id = body["data"]["details"][0]["id"]
    # Simulate a worker that died after committing two batches of 25 rows.
    campaign = Campaign.objects.get(pk=campaign_id)
    Recipient.objects.bulk_create([Recipient(campaign=campaign, number=f"+97798410{i:05d}") for i in range(50)])
    Campaign.objects.filter(pk=campaign_id).update(
        import_state="running",
        import_report={**campaign.import_report, "state": "running", "rows": 50, "added": 50, "rows_done": 50},
    )
    assert campaign_import_process(campaign_id=campaign_id) == "done"
    assert campaign_import_process(campaign_id=campaign_id) == "done"
    campaign.refresh_from_db()
    assert (campaign.import_report["rows"], campaign.import_report["added"]) == (100, 100)
    assert Recipient.objects.filter(campaign_id=campaign_id).count() == 100


def test_error_after_rows_were_streamed_rolls_everything_back(auth_client):
    # 6,000 good rows are already sent to the database (COPY is fed while reading) when a
    # field over the csv module's limit breaks the file.
    content = (
        "number,name\n" + "".join(f"98410{i:05d},n\n" for i in range(6000)) + "9841099999," + "x" * 200_000 + "\n"
    ).encode()
    assert_error(post_file(auth_client, "l.csv", content), status=400, code="broken_file")
    assert not Campaign.objects.exists() and not Recipient.objects.exists()
    # The connection is usable afterwards.
    assert_envelope(post_file(auth_client, "ok.csv", b"number\n9841000001\n"), status=201)


def test_tag_values_with_quotes_backslashes_tabs_and_newlines_survive(auth_client):
    value = 'a\\b "q"\tt\nline ✓'
    content = ('number,name\n9841000001,"' + value.replace('"', '""') + '"\n').encode()
    assert_envelope(post_file(auth_client, "l.csv", content), status=201)
    assert recipients(Campaign.objects.get().pk) == [("+9779841000001", {"tags_name": value})]


@pytest.mark.django_db(transaction=True)
def test_import_of_a_deleted_campaign_writes_nothing(auth_client, settings, purge_broker):
    settings.IMPORT_SYNC_ROWS = 10
    rows = [["number"]] + [[f"98410{i:05d}"] for i in range(30)]
    campaign_id = post_file(auth_client, "a.xlsx", xlsx_bytes(rows)).json()["data"]["details"][0]["id"]
    assert_envelope(auth_client.delete(f"{URL}/{campaign_id}/delete"), status=200)
    assert campaign_import_process(campaign_id=campaign_id) == "missing"
    assert not Recipient.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_runs_of_one_import_write_each_row_once(auth_client, settings, purge_broker):
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connections

    settings.IMPORT_SYNC_ROWS = 10
    settings.IMPORT_BATCH_ROWS = 40
    rows = [["number"]] + [[f"98410{i:05d}"] for i in range(400)]
    campaign_id = post_file(auth_client, "c.xlsx", xlsx_bytes(rows)).json()["data"]["details"][0]["id"]

    def run():
        try:
            return campaign_import_process(campaign_id=campaign_id)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(2) as pool:
        results = sorted(pool.map(lambda _: run(), range(2)))
    assert "done" in results and set(results) <= {"done", "superseded"}
    campaign = Campaign.objects.get(pk=campaign_id)
    assert campaign.import_state == "done" and campaign.import_report["added"] == 400
    assert Recipient.objects.filter(campaign_id=campaign_id).count() == 400


@pytest.mark.django_db
def test_recipients_have_no_database_key_or_index_on_their_campaign():
    # The import's speed rests on it (docs/campaigns.md): the model says db_constraint=False,
    # db_index=False, and a database built by the migrations must agree.
    from django.db import connection

    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, Recipient._meta.db_table)
    on_campaign = {
        name: info
        for name, info in constraints.items()
        if info["columns"] == ["campaign_id"] and (info["foreign_key"] or info["index"])
    }
    assert on_campaign == {}
