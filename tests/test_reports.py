import csv
import io

import pytest
from openpyxl import load_workbook

from campaigns.models import Campaign, Recipient
from tests.envelope import assert_error

pytestmark = pytest.mark.django_db
DOWNLOAD = "/api/system/campaigns/report/download/"


def make_campaign(owner, *, name="Dashain offer", recipients=3) -> Campaign:
    campaign = Campaign.objects.create(owner=owner, name=name, services="PHONE",
                                       usable_tags=["tags_name", "tags_city"])
    rows = [
        Recipient(campaign=campaign, number="+9779843818700", tags={"tags_name": "Sita", "tags_city": "ललितपुर"},
                  status="completed", duration=31, playback=30, credit_consumed=2, attempts=1),
        Recipient(campaign=campaign, number="+9779843818707", tags={"tags_name": "=1+1", "tags_city": "@x"},
                  status="hungup", duration=12, playback=12, credit_consumed=1, attempts=2, last_error=""),
        Recipient(campaign=campaign, number="+351911111119", tags={"tags_name": "Ram"}, status="failed",
                  attempts=1, last_error="simulated: call failed"),
    ][:recipients]
    Recipient.objects.bulk_create(rows)
    return campaign


EXPECTED = [
    ["id", "number", "status", "duration", "playback", "credit_consumed", "attempts", "last_attempt_at", "error",
     "tags_name", "tags_city"],
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
        with django_assert_max_num_queries(3):
            response = auth_client.get(DOWNLOAD, {"campaign_id": campaign.pk, "format": "csv"})
            b"".join(response.streaming_content)


@pytest.mark.parametrize(
    ("params", "field"),
    [({}, "campaign_id"), ({"campaign_id": "abc"}, "campaign_id"), ({"campaign_id": "-1"}, "campaign_id"),
     ({"campaign_id": "1", "format": "pdf"}, "format")],
)
def test_bad_report_parameters_are_400(auth_client, params, field):
    assert_error(auth_client.get(DOWNLOAD, params), status=400, field=field)


def test_unknown_campaign_report_is_404(auth_client):
    assert_error(auth_client.get(DOWNLOAD, {"campaign_id": 999999}), status=404)
