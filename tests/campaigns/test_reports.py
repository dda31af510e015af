import csv
import io

import pytest
from openpyxl import load_workbook

from campaigns.models import Recipient
from tests.support.envelope import assert_error
from tests.support.reports import DOWNLOAD, make_campaign

pytestmark = pytest.mark.django_db

EXPECTED = [
    [
        "id",
        "number",
        "status",
        "duration",
        "playback",
        "credit_consumed",
        "attempts",
        "last_attempt_at",
        "error",
        "tags_name",
        "tags_city",
    ],
    ["9843818700", "completed", 31, 30, 2, 1, None, None, "Sita", "ललितपुर"],
    ["9843818707", "hungup", 12, 12, 1, 2, None, None, "'=1+1", "'@x"],
    ["351911111119", "failed", None, None, 0, 1, None, "simulated: call failed", "Ram", None],
]


def test_xlsx_report_rows_equal_the_recipients(auth_client, user):
    campaign = make_campaign(user)
    response = auth_client.get(DOWNLOAD, {"campaign_id": campaign.pk})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert response["Content-Disposition"].startswith('attachment; filename="dashain-offer-')
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)
    rows = [list(row) for row in workbook.active.iter_rows(values_only=True)]
    ids = list(campaign.recipients.order_by("id").values_list("id", flat=True))
    assert rows[0] == EXPECTED[0]
    assert [row[1:] for row in rows[1:]] == EXPECTED[1:]
    assert [row[0] for row in rows[1:]] == ids


def test_csv_report_rows_equal_the_recipients(auth_client, user):
    campaign = make_campaign(user)
    response = auth_client.get(DOWNLOAD, {"campaign_id": campaign.pk, "format": "csv"})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    as_text = [["" if cell is None else str(cell) for cell in row] for row in EXPECTED[1:]]
    assert rows[0] == EXPECTED[0]
    assert [row[1:] for row in rows[1:]] == as_text


def test_report_query_count_does_not_grow(auth_client, user, django_assert_max_num_queries):
    small = make_campaign(user, recipients=1)
    big = make_campaign(user, name="big")
    Recipient.objects.bulk_create(Recipient(campaign=big, number=f"+97798000{i:05d}") for i in range(500))
    for campaign in (small, big):
        with django_assert_max_num_queries(4):  # user, campaign, its caller IDs, the rows
            response = auth_client.get(DOWNLOAD, {"campaign_id": campaign.pk, "format": "csv"})
            b"".join(response.streaming_content)


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({}, "campaign_id"),
        ({"campaign_id": "abc"}, "campaign_id"),
        ({"campaign_id": "-1"}, "campaign_id"),
        ({"campaign_id": "1", "format": "pdf"}, "format"),
    ],
)
def test_bad_report_parameters_are_400(auth_client, params, field):
    assert_error(auth_client.get(DOWNLOAD, params), status=400, field=field)


def test_unknown_campaign_report_is_404(auth_client):
    assert_error(auth_client.get(DOWNLOAD, {"campaign_id": 999999}), status=404)


SUMMARY = "/api/system/campaigns/report/summary/"


def test_summary_matches_a_hand_built_fixture(auth_client, user):
    from campaigns.services.begin import run_begin
    from tests.support.envelope import assert_envelope
    from tests.support.factories_campaigns import campaign_with_recipients

    reported = make_campaign(user)  # completed 2 credits, hungup 1, failed 0
    running = campaign_with_recipients(user, 4, message="hi")  # 4 SMS of one segment each
    run_begin(user=user, campaign_id=running.pk)
    body = assert_envelope(auth_client.get(SUMMARY), status=200, message=None)
    by_id = {row["campaign_id"]: row for row in body["data"]["summary"]}
    assert list(by_id) == [running.pk, reported.pk]  # newest first
    first = by_id[reported.pk]
    assert first["campaign_name"] == "Dashain offer" and first["services"] == "PHONE"
    assert first["total_numbers"] == 3 and first["credit_consumed"] == 3 and first["credit_on_hold"] == 0
    assert first["last_run_at"] is None
    assert {k: v for k, v in first["status_counts"].items() if v} == {"completed": 1, "hungup": 1, "failed": 1}
    assert set(first["status_counts"]) == {
        "not started",
        "scheduled",
        "queued",
        "ringing",
        "sent",
        "completed",
        "hungup",
        "unanswered",
        "failed",
        "terminated",
    }
    second = by_id[running.pk]
    user.refresh_from_db()
    assert second["credit_on_hold"] == 4 == user.credits_held
    assert second["last_run_at"] is not None
    totals = body["data"]["totals"]
    assert totals["campaigns"] == 2 and totals["total_numbers"] == 7
    assert totals["credit_consumed"] == 3 and totals["credit_on_hold"] == 4
    one = assert_envelope(auth_client.get(SUMMARY, {"campaign_id": reported.pk}), status=200)
    assert [row["campaign_id"] for row in one["data"]["summary"]] == [reported.pk]


@pytest.mark.parametrize("campaigns", [1, 50])
def test_summary_query_count_is_constant(auth_client, user, campaigns, django_assert_num_queries):
    for index in range(campaigns):
        make_campaign(user, name=f"c{index}", recipients=2)
    with django_assert_num_queries(2):  # the token's user, then the summary
        response = auth_client.get(SUMMARY)
    assert len(response.json()["data"]["summary"]) == campaigns


def test_summary_bad_or_foreign_campaign(auth_client, other_user):
    assert_error(auth_client.get(SUMMARY, {"campaign_id": "x"}), status=400, field="campaign_id")
    assert_error(auth_client.get(SUMMARY, {"campaign_id": make_campaign(other_user).pk}), status=404)


def test_admin_download_report_action(user):
    from django.test import Client

    from tests.support.factories import UserFactory

    campaign = make_campaign(user)
    staff = Client()
    staff.force_login(UserFactory(is_staff=True, is_superuser=True))
    response = staff.post(
        "/admin/campaigns/campaign/", {"action": "download_report", "_selected_action": [campaign.pk]}
    )
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="dashain-offer-')
    rows = list(
        load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True).active.iter_rows(
            values_only=True
        )
    )
    assert len(rows) == 4


@pytest.mark.parametrize("form", ["xlsx", "csv"])
def test_formula_text_after_a_line_break_is_escaped_and_numbers_keep_their_value(auth_client, user, form):
    # issue 18: "\n=1+1" was written unescaped; "-5" became "'-5".
    campaign = make_campaign(user, recipients=0)
    values = ["\n=1+1", "\n@SUM(A1)", "-5", "+3.5", "-1e3", 7, "-5+3", "-", "plain"]
    Recipient.objects.bulk_create(
        Recipient(campaign=campaign, number=f"+97798438187{i:02d}", tags={"tags_name": value})
        for i, value in enumerate(values)
    )
    response = auth_client.get(DOWNLOAD, {"campaign_id": campaign.pk, "format": form})
    content = b"".join(response.streaming_content)
    if form == "xlsx":
        rows = list(load_workbook(io.BytesIO(content), read_only=True).active.iter_rows(values_only=True))
    else:
        rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    written = [row[EXPECTED[0].index("tags_name")] for row in rows[1:]]
    expected = ["'\n=1+1", "'\n@SUM(A1)", "-5", "+3.5", "-1e3", 7, "'-5+3", "'-", "plain"]
    assert written == (expected if form == "xlsx" else [str(v) for v in expected])
