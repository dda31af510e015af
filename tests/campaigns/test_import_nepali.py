"""Spreadsheets written in Nepali (issue 20): Devanagari headers kept as tags, the number
column found by Nepali names or by its content, the import report naming the columns,
the tags used in a personalised Nepali message and named in the report columns."""

from __future__ import annotations

import csv
import io

import pytest

from campaigns.models import Attempt, Campaign, Recipient
from tests.support.campaign_helpers import begin_url, upload, xlsx_bytes
from tests.support.envelope import assert_envelope, assert_error
from tests.support.reports import DOWNLOAD
from tingting.phones import UNLISTED_WARNING

pytestmark = pytest.mark.django_db
URL = "/api/system/campaigns"


def post_file(client, name: str, content: bytes, services: str = "SMS"):
    body = {"name": "दशैं शुभकामना", "services": services, "send_to_number_file": upload(name, content)}
    return client.post(URL, body, format="multipart")


def csv_bytes(rows: list[list]) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode("utf-8")


ALL_NEPALI = [
    ["फोन नम्बर", "नाम", "जिल्ला", "वडा नं."],
    ["९८४१०००००१", "राम", "काठमाडौं", 4],
    [9841000002, "सीता", "ललितपुर", None],
    ["9841000003", "हरि", None, 7],
]


@pytest.mark.parametrize("kind", ["xlsx", "csv"])
def test_all_nepali_header_imports_every_column_as_a_tag(auth_client, user, kind):
    content = xlsx_bytes(ALL_NEPALI) if kind == "xlsx" else csv_bytes(ALL_NEPALI)
    body = assert_envelope(post_file(auth_client, f"सूची.{kind}", content), status=201)
    assert body["data"]["details"][0]["usable_tags"] == ["tags_नाम", "tags_जिल्ला", "tags_वडा_नं"]
    report = body["data"]["import"]
    assert (report["added"], report["invalid_count"], report["warnings_count"]) == (3, 0, 0)
    assert report["columns"] == {
        "number": {"column": 1, "header": "फोन नम्बर", "found_by": "header"},
        "tags": [
            {"column": 2, "header": "नाम", "tag": "tags_नाम"},
            {"column": 3, "header": "जिल्ला", "tag": "tags_जिल्ला"},
            {"column": 4, "header": "वडा नं.", "tag": "tags_वडा_नं"},
        ],
    }
    rows = list(Recipient.objects.order_by("id").values_list("number", "tags"))
    four = 4 if kind == "xlsx" else "4"  # a CSV cell is text
    assert rows[0] == ("+9779841000001", {"tags_नाम": "राम", "tags_जिल्ला": "काठमाडौं", "tags_वडा_नं": four})
    assert rows[1][1] == {"tags_नाम": "सीता", "tags_जिल्ला": "ललितपुर"}


def test_nepali_tags_personalise_a_message_and_name_the_report_columns(auth_client, user):
    body = assert_envelope(post_file(auth_client, "सूची.xlsx", xlsx_bytes(ALL_NEPALI)), status=201)
    campaign_id = body["data"]["details"][0]["id"]
    campaign = Campaign.objects.get(pk=campaign_id)
    response = auth_client.post(
        begin_url(campaign), {"message": "नमस्ते {tags_नाम} जी, {tags_जिल्ला} शाखाबाट शुभकामना"}, format="json"
    )
    begun = assert_envelope(response, status=200)
    assert begun["data"]["empty_tags"]["count"] == 1  # हरि has no जिल्ला
    texts = list(Attempt.objects.order_by("recipient_id").values_list("text", flat=True))
    assert texts == [
        "नमस्ते राम जी, काठमाडौं शाखाबाट शुभकामना",
        "नमस्ते सीता जी, ललितपुर शाखाबाट शुभकामना",
        "नमस्ते हरि जी, शाखाबाट शुभकामना",
    ]
    report = auth_client.get(DOWNLOAD, {"campaign_id": campaign_id, "format": "csv"})
    lines = b"".join(report.streaming_content).decode("utf-8-sig").splitlines()
    header = next(csv.reader(lines[:1]))
    assert header[-3:] == ["tags_नाम", "tags_जिल्ला", "tags_वडा_नं"]


@pytest.mark.parametrize(
    "number_header",
    ["फोन", "फोन नम्बर", "मोबाइल", "नम्बर", "मोबाइल नं.", "Mobile Number", "PHONE", "contact_no"],
)
def test_number_column_found_by_nepali_and_english_names(auth_client, user, number_header):
    content = csv_bytes([["नाम", number_header], ["राम", "9841000001"]])
    body = assert_envelope(post_file(auth_client, "list.csv", content), status=201)
    report = body["data"]["import"]
    assert report["columns"]["number"] == {"column": 2, "header": number_header, "found_by": "header"}
    assert body["data"]["details"][0]["usable_tags"] == ["tags_नाम"]


def test_without_a_number_header_the_first_column_of_numbers_is_used(auth_client, user):
    content = xlsx_bytes(
        [
            ["नाम", "ठेगाना", "सम्पर्क ठेगाना", "उमेर"],
            ["राम", "काठमाडौं", "9841000001", 30],
            ["सीता", "ललितपुर", "9841000002", 25],
            ["हरि", "भक्तपुर", "not a number", 40],
        ]
    )
    body = assert_envelope(post_file(auth_client, "list.xlsx", content), status=201)
    report = body["data"]["import"]
    assert report["columns"]["number"] == {"column": 3, "header": "सम्पर्क ठेगाना", "found_by": "content"}
    assert [t["tag"] for t in report["columns"]["tags"]] == ["tags_नाम", "tags_ठेगाना", "tags_उमेर"]
    assert (report["added"], report["invalid_count"]) == (2, 1)
    assert report["invalid"][0]["row"] == 4


def test_a_first_row_of_data_is_still_refused(auth_client, user):
    content = csv_bytes([["9841000001", "राम"], ["9841000002", "सीता"]])
    body = assert_error(post_file(auth_client, "list.csv", content), status=400, code="header_required")
    assert "it holds a phone number" in body["message"]
    assert not Campaign.objects.exists()


def test_unlisted_numbers_are_imported_with_a_warning(auth_client, user):
    content = csv_bytes([["मोबाइल", "नाम"], ["9876543210", "राम"], ["+351987654323", "Ana"], ["9841000001", "हरि"]])
    body = assert_envelope(post_file(auth_client, "list.csv", content), status=201)
    report = body["data"]["import"]
    assert report["added"] == 3
    assert report["warnings_count"] == 2
    assert report["warnings"] == [
        {"row": 2, "value": "9876543210", "warning": UNLISTED_WARNING},
        {"row": 3, "value": "+351987654323", "warning": UNLISTED_WARNING},
    ]


def test_inline_unlisted_numbers_are_warned_by_position(auth_client, user):
    response = auth_client.post(
        URL, {"name": "x", "services": "PHONE", "individual_number": [9841000001, 98675432123]}, format="json"
    )
    report = assert_envelope(response, status=201)["data"]["import"]
    assert report["warnings"] == [{"row": 2, "value": "98675432123", "warning": UNLISTED_WARNING}]
    assert "columns" not in report


def test_strict_policy_refuses_unlisted_numbers_in_a_file(auth_client, user, settings):
    settings.PHONE_VALIDATION = "valid"
    content = csv_bytes([["फोन"], ["9876543210"], ["9841000001"]])
    report = assert_envelope(post_file(auth_client, "list.csv", content), status=201)["data"]["import"]
    assert (report["added"], report["invalid_count"], report["warnings_count"]) == (1, 1, 0)
    assert report["invalid"][0]["error"] == "is not a valid phone number"
