"""v1 contacts (docs/api/API_CONTRACT_V1.md §4): add one or many, bulk file, campaign-detail, update, delete, attributes."""

import pytest

from campaigns.models import Campaign, Recipient
from tests.support.campaign_helpers import make_campaign, upload, xlsx_bytes
from tests.support.workers import running_worker, wait_until
from voices.selectors import voice_list

pytestmark = pytest.mark.django_db

CONTACT_KEYS = {
    "id", "number", "status", "updated_at", "call_duration", "playback", "credit_consumed",
    "credit_consumed_SMS", "carrier", "attributes", "other_variables",
}  # fmt: skip


@pytest.fixture
def campaign(user):
    return Campaign.objects.create(owner=user, name="C", services="PHONE")


def test_add_one_as_the_sdk_sends_it(auth_client, campaign):
    body = {
        "id": None,
        "number": "9841000001",
        "campaign_id": campaign.pk,
        "status": "not started",
        "duration": "",
        "playback": "",
        "credit_consumed": 0,
        "credit_consumed_SMS": 0,
        "carrier": "other",
        "other_variables": {"name": "John", "age": 100},
    }
    response = auth_client.post(f"/api/v1/campaign/{campaign.pk}/add-contact/", body, format="json")
    assert response.status_code == 201, response.content
    contact = response.json()
    assert set(contact) == CONTACT_KEYS | {"message"}
    assert contact["message"] == "New Contact added"
    assert contact["number"] == "+9779841000001" and contact["carrier"] == "NTC"
    assert contact["status"] == "not started" and contact["call_duration"] is None
    assert contact["attributes"] == contact["other_variables"] == {"name": "John", "age": 100}
    campaign.refresh_from_db()
    assert campaign.usable_tags == ["tags_name", "tags_age"]  # usable as {tags_name} in messages
    assert Recipient.objects.get(pk=contact["id"]).tags == {"tags_name": "John", "tags_age": 100}


def test_add_duplicate_is_409_and_bad_number_400(auth_client, campaign):
    url = f"/api/v1/campaign/{campaign.pk}/add-contact"
    assert auth_client.post(url, {"number": "9801000001"}, format="json").status_code == 201
    assert auth_client.post(url, {"number": "+9779801000001"}, format="json").status_code == 409
    bad = auth_client.post(url, {"number": "12"}, format="json")
    assert bad.status_code == 400 and "number" in bad.json()
    assert auth_client.post(url, {"number": {"x": 1}}, format="json").status_code == 400


def test_add_many(auth_client, campaign):
    url = f"/api/v1/campaign/{campaign.pk}/add-contact/"
    auth_client.post(url, {"number": "9801000001"}, format="json")
    body = {
        "contacts": [
            {"number": "9801000001"},
            {"number": "9611000002", "other_variables": {"x": "y"}},
            {"number": "nope"},
        ]
    }
    response = auth_client.post(url, body, format="json")
    assert response.status_code == 201
    result = response.json()
    assert result["created"] == 1 and result["skipped"] == 1
    assert [c["carrier"] for c in result["contacts"]] == ["Smart"]
    assert result["errors"] == [{"index": 2, "number": "nope", "error": result["errors"][0]["error"]}]


def test_campaign_detail_pages_contacts_with_summaries(auth_client, campaign):
    for number in ("9841000001", "9851000002", "9801000003", "9611000004", "+14155550100"):
        Recipient.objects.create(campaign=campaign, number=number if number.startswith("+") else f"+977{number}")
    Recipient.objects.filter(campaign=campaign, number="+9779841000001").update(
        credit_consumed=4, sms_credit_consumed=1, duration=10, status="completed"
    )
    body = auth_client.get(f"/api/v1/campaign-detail/{campaign.pk}/?limit=2").json()
    assert body["count"] == 5 and body["total_pages"] == 3 and len(body["results"]) == 2
    assert body["carrier_summary"] == {"NTC": 2, "Ncell": 1, "Smart": 1, "other": 1}
    assert body["total_credits_consumed"] == 5
    first = body["results"][0]
    assert set(first) == CONTACT_KEYS
    assert first["call_duration"] == "10s" and first["credit_consumed_SMS"] == 1 and first["status"] == "completed"


@pytest.mark.parametrize("count", [1, 50])
def test_campaign_detail_query_count_is_constant(auth_client, user, count, django_assert_num_queries):
    campaign = make_campaign(user, recipients=count)
    voice_list()
    # user, campaign, its caller IDs, count, page, credits, carriers
    with django_assert_num_queries(7):
        response = auth_client.get(f"/api/v1/campaign-detail/{campaign.pk}/?limit=100")
    assert len(response.json()["results"]) == count


def test_update_delete_and_attributes(auth_client, campaign):
    contact = auth_client.post(
        f"/api/v1/campaign/{campaign.pk}/add-contact/",
        {"number": "9801000001", "other_variables": {"a": 1}},
        format="json",
    ).json()
    update = auth_client.patch(
        f"/api/v1/phone-number/update/{contact['id']}/",
        {"number": "9801000009", "other_variables": {"b": "2"}},
        format="json",
    )
    assert update.status_code == 200
    assert update.json()["number"] == "+9779801000009" and update.json()["other_variables"] == {"b": "2"}
    # The SDK's form update sends other_variables as its keys only: they are not taken as variables.
    form = auth_client.patch(
        f"/api/v1/phone-number/update/{contact['id']}", {"number": "9801000009", "other_variables": ["b"]}
    )
    assert form.status_code == 200 and form.json()["other_variables"] == {"b": "2"}

    url = f"/api/v1/campaign/{contact['id']}/attributes/"
    assert auth_client.get(url).json() == {"b": "2"}
    merged = auth_client.patch(url, {"c": 3}, format="json")
    assert merged.status_code == 200 and merged.json() == {"b": "2", "c": 3}
    assert auth_client.patch(url, {"bad": {"x": 1}}, format="json").status_code == 400

    deleted = auth_client.delete(f"/api/v1/phone-number/delete/{contact['id']}/")
    assert deleted.status_code == 200 and deleted.json() == {"message": "Successfully Deleted."}
    assert not Recipient.objects.filter(pk=contact["id"]).exists()


def test_bulk_file_imports_and_previews(auth_client, campaign):
    Recipient.objects.create(campaign=campaign, number="+9779801000001")
    csv = b"number,name\n9801000001,Old\n9841000002,Ram\nnot-a-number,X\n9611000003,Sita\n"
    response = auth_client.patch(
        f"/api/v1/campaign/create/{campaign.pk}/detail/",
        {"bulk_file": upload("contacts.csv", csv, "text/csv")},
        format="multipart",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["total_validated_rows"] == 3
    assert [e["row"] for e in body["error_list"]] == [4] and body["error_list"][0]["value"] == "not-a-number"
    assert body["samples"] == [
        {"column": "number", "sample": ["+9779841000002", "+9779611000003"]},
        {"column": "name", "sample": ["Ram", "Sita"]},
    ]
    assert Recipient.objects.filter(campaign=campaign).count() == 3


def test_bulk_xlsx_and_bad_files(auth_client, campaign):
    url = f"/api/v1/campaign/create/{campaign.pk}/detail"
    xlsx = xlsx_bytes([["number"], ["9801000005"]])
    assert (
        auth_client.post(url, {"bulk_file": upload("c.xlsx", xlsx)}, format="multipart").json()["total_validated_rows"]
        == 1
    )
    assert (
        auth_client.post(url, {"bulk_file": upload("c.pdf", b"%PDF-1.4 junk")}, format="multipart").status_code == 415
    )
    missing = auth_client.post(url, {}, format="multipart")
    assert missing.status_code == 400 and "bulk_file" in missing.json()


def test_foreign_contact_routes_are_404(auth_client, other_client, campaign):
    contact = auth_client.post(
        f"/api/v1/campaign/{campaign.pk}/add-contact/", {"number": "9801000001"}, format="json"
    ).json()
    for method, url in [
        ("post", f"/api/v1/campaign/{campaign.pk}/add-contact/"),
        ("get", f"/api/v1/campaign-detail/{campaign.pk}/"),
        ("patch", f"/api/v1/phone-number/update/{contact['id']}/"),
        ("delete", f"/api/v1/phone-number/delete/{contact['id']}/"),
        ("get", f"/api/v1/campaign/{contact['id']}/attributes/"),
    ]:
        response = getattr(other_client, method)(url, {"number": "9801000002"}, format="json")
        assert response.status_code == 404, url


@pytest.mark.django_db(transaction=True)
def test_bulk_file_over_the_sync_limit_is_imported_by_a_worker(auth_client, campaign, settings, purge_broker):
    settings.IMPORT_SYNC_ROWS = 50
    Recipient.objects.create(campaign=campaign, number="+9779841000000", tags={"tags_city": "Pokhara"})
    campaign.usable_tags = ["tags_city"]
    campaign.save(update_fields=["usable_tags"])
    rows = "".join(f"98410{i:05d},n{i}\n" for i in range(120))
    csv = ("number,name\n" + rows + "bad,x\n").encode()
    url = f"/api/v1/campaign/create/{campaign.pk}/detail/"
    response = auth_client.patch(url, {"bulk_file": upload("big.csv", csv, "text/csv")}, format="multipart")
    assert response.status_code == 202, response.content  # no worker yet: it waits on the broker
    body = response.json()
    assert set(body) == {"error_list", "samples", "total_validated_rows", "import"}
    assert (body["error_list"], body["samples"], body["total_validated_rows"]) == ([], [], None)
    assert body["import"]["state"] == "pending" and body["import"]["rows_expected"] == 121
    again = auth_client.patch(url, {"bulk_file": upload("big.csv", csv, "text/csv")}, format="multipart")
    assert again.status_code == 409 and "detail" in again.json()
    with running_worker(env={"IMPORT_SYNC_ROWS": "50", "IMPORT_BATCH_ROWS": "40"}):
        wait_until(
            lambda: Campaign.objects.get(pk=campaign.pk).import_state == "done", timeout=60, message="the import"
        )
    campaign.refresh_from_db()
    report = campaign.import_report
    # The number already in the campaign is a duplicate; its tag column stays usable beside the file's.
    assert (report["rows"], report["added"], report["duplicates"], report["invalid_count"]) == (121, 119, 1, 1)
    assert campaign.usable_tags == ["tags_city", "tags_name"] and not campaign.import_file
    detail = auth_client.get(f"/api/v1/campaign-detail/{campaign.pk}/?limit=1").json()
    assert detail["count"] == 120
    # A small file afterwards is previewed at once again.
    small = auth_client.patch(
        url, {"bulk_file": upload("s.csv", b"number\n9801999999\n", "text/csv")}, format="multipart"
    )
    assert small.status_code == 200 and small.json()["total_validated_rows"] == 1
