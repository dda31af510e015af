"""The v1 campaign object (docs/api/API_CONTRACT_V1.md §4): create, list, get, update, delete, message settings."""

import pytest
from django.db import connection

from campaigns.models import Campaign
from campaigns.services.begin import run_begin
from tests.support.campaign_helpers import make_campaign, owned_number
from voices.models import Voice
from voices.selectors import voice_list

pytestmark = pytest.mark.django_db

OBJECT_KEYS = {
    "id", "name", "services", "status", "sms_message", "message", "description", "schedule", "audio_file",
    "bulk_file", "category", "user_phone", "campaign_action_count", "progress_percent", "updated_at",
    "credit_limit", "voice", "draft", "failover_target", "length_factor",
}  # fmt: skip


def _create(client, **body):
    return client.post("/api/v1/campaign/create/", {"name": "Promo", **body}, format="json")


def test_create_with_only_a_name(auth_client, user):
    response = _create(auth_client)
    assert response.status_code == 201
    body = response.json()
    assert set(body) == OBJECT_KEYS
    rija = Voice.objects.get(internal_name="np_rija")
    assert body["services"] == "PHONE" and body["status"] == "Not Started"
    assert body["failover_target"] == [] and body["user_phone"] == [] and body["draft"] is False
    assert body["voice"] == {
        "id": rija.pk,
        "voice_display_name": "Rija",
        "voice_internal_name": "np_rija",
        "is_premium": False,
    }
    assert body["length_factor"] == "1.00" and body["category"] == "Text"
    assert body["campaign_action_count"] == 0 and body["progress_percent"] == 0
    assert Campaign.objects.get(pk=body["id"]).owner == user


def test_create_as_the_sdk_sends_it(auth_client, user):
    number = owned_number(user)
    shreegya = Voice.objects.get(internal_name="np_shreegya")
    body = {
        "id": None,
        "name": "SDK",
        "services": "SMS & PHONE",
        "status": "Not Started",
        "sms_message": "sms text",
        "message": "call text {tags_name}",
        "description": "d",
        "schedule": "2030-01-02T03:04:05.000Z",
        "audio_file": None,
        "bulk_file": None,
        "category": "Text",
        "user_phone": [number.pk],
        "campaign_action_count": 0,
        "progress_percent": 0,
        "updated_at": None,
        "credit_limit": 0,
        "voice": {"id": shreegya.pk, "voice_display_name": "Shreegya", "voice_internal_name": "np_shreegya"},
        "draft": False,
        "failover_target": ["unanswered", "failed"],
        "length_factor": 1,
        "steps": [],
    }
    response = auth_client.post("/api/v1/campaign/create/", body, format="json")
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["services"] == "SMS & PHONE"
    assert created["user_phone"] == [number.pk]
    assert created["voice"]["voice_internal_name"] == "np_shreegya"
    assert created["failover_target"] == ["unanswered", "failed"]
    assert created["schedule"] == "2030-01-02T03:04:05+00:00"
    assert created["sms_message"] == "sms text"


@pytest.mark.parametrize("voice", ["np_binod", "NP_BINOD", "binod-id"])
def test_voice_by_name_or_id(auth_client, voice):
    binod = Voice.objects.get(internal_name="np_binod")
    value = binod.pk if voice == "binod-id" else voice
    assert _create(auth_client, voice=value).json()["voice"]["id"] == binod.pk


def test_naive_schedule_is_the_account_time_zone_and_a_date_its_midnight(auth_client):
    naive = _create(auth_client, schedule="2030-01-02T10:00:00").json()
    assert naive["schedule"] == "2030-01-02T04:15:00+00:00"  # Asia/Kathmandu is +05:45
    date = _create(auth_client, schedule="2030-01-02").json()
    assert date["schedule"] == "2030-01-01T18:15:00+00:00"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"services": "FAX"}, "services"),
        ({"voice": "np_nobody"}, "voice"),
        ({"voice": 999999}, "voice"),
        ({"schedule": "tomorrow"}, "schedule"),
        ({"failover_target": ["sometimes"]}, "failover_target"),
        ({"length_factor": 9}, "length_factor"),
        ({"name": ""}, "name"),
        ({"user_phone": [{"a": 1}]}, "user_phone"),
        ({"user_phone": [10**30]}, "user_phone"),  # past a bigint: never reaches the database as an id
        ({"user_phone": ["-5"]}, "user_phone"),
    ],
)
def test_bad_input_names_the_field(auth_client, body, field):
    response = _create(auth_client, **body)
    assert response.status_code == 400
    assert field in response.json()


def test_foreign_or_unknown_caller_id_is_400(auth_client, other_user):
    foreign = owned_number(other_user)
    response = _create(auth_client, user_phone=[foreign.pk])
    assert response.status_code == 400
    assert "user_phone" in response.json()


def test_create_from_a_form_body(auth_client, user):
    number = owned_number(user)
    response = auth_client.post(
        "/api/v1/campaign/create",
        {"name": "Form", "services": "sms", "user_phone": [str(number.pk)], "draft": "true"},
    )
    assert response.status_code == 201, response.content
    assert response.json()["services"] == "SMS" and response.json()["draft"] is True
    assert response.json()["user_phone"] == [number.pk]


def test_list_is_paged_with_absolute_links(auth_client, user):
    for index in range(3):
        _create(auth_client, name=f"C{index}")
    body = auth_client.get("/api/v1/campaign/?limit=2").json()
    assert body["count"] == 3 and body["total_pages"] == 2
    assert body["next"].startswith("http://testserver/api/v1/campaign/") and body["previous"] is None
    assert [c["name"] for c in body["results"]] == ["C2", "C1"]
    second = auth_client.get(body["next"]).json()
    assert [c["name"] for c in second["results"]] == ["C0"] and second["previous"]
    assert auth_client.get("/api/v1/campaign/?offset=99999999999999999999").json()["results"] == []


def test_list_filters(auth_client, user):
    _create(auth_client, name="Alpha", draft=True)
    beta = _create(auth_client, name="Beta").json()
    make_campaign(user, name="Other", recipients=0)

    def names(query):
        return [c["name"] for c in auth_client.get(f"/api/v1/campaign/?{query}").json()["results"]]

    assert names("search=alp") == ["Alpha"]
    assert names("draft=true") == ["Alpha"]
    assert names("draft=false&sort_by=asc") == ["Beta", "Other"]
    assert names("status=Not Started&search=beta") == ["Beta"]
    assert names("status=Running") == []
    updated = Campaign.objects.get(pk=beta["id"]).updated_at.timestamp()
    assert "Beta" in names(f"from_date={int(updated)}&to_date={int(updated) + 1}")


def test_other_accounts_campaigns_are_not_listed(auth_client, other_user):
    make_campaign(other_user, recipients=0)
    assert auth_client.get("/api/v1/campaign").json()["count"] == 0


@pytest.mark.parametrize("count", [1, 30])
def test_list_query_count_is_constant(auth_client, user, count, django_assert_num_queries):
    number = owned_number(user)
    for index in range(count):
        campaign = make_campaign(user, name=f"C{index}", recipients=2)
        campaign.user_phone.add(number)
    voice_list()  # the catalogue is cached (one query when cold)
    # user (JWT), count, page with its summary subqueries, user_phone prefetch
    with django_assert_num_queries(4):
        response = auth_client.get("/api/v1/campaign/?limit=100")
    assert len(response.json()["results"]) == count
    assert response.json()["results"][0]["campaign_action_count"] == 2


def test_get_update_and_clear_the_schedule(auth_client):
    campaign = _create(auth_client, schedule="2030-01-02T03:04:05Z").json()
    url = f"/api/v1/campaign/{campaign['id']}/"
    assert auth_client.get(url).json()["schedule"] == "2030-01-02T03:04:05+00:00"
    response = auth_client.patch(url, {"name": "Renamed", "schedule": None}, format="json")
    assert response.status_code == 200
    assert response.json()["name"] == "Renamed" and response.json()["schedule"] is None


def test_update_as_the_sdk_posts_it_as_a_form(auth_client):
    campaign = _create(auth_client, message="old", draft=True).json()
    # requests' form encoding of Campaign.json(): lists as repeated fields, None left out.
    form = {
        "id": str(campaign["id"]),
        "name": "SDK update",
        "services": "PHONE",
        "status": "Not Started",
        "message": "new",
        "sms_message": "s",
        "description": "d",
        "category": "Text",
        "campaign_action_count": "0",
        "progress_percent": "0",
        "credit_limit": "0",
        "voice": str(campaign["voice"]["id"]),
        "draft": "False",
        "failover_target": ["failed", "unanswered"],
        "length_factor": "1.5",
    }
    response = auth_client.post(f"/api/v1/campaign/{campaign['id']}/", form)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["message"] == "new" and body["draft"] is False and body["length_factor"] == "1.50"
    assert body["failover_target"] == ["failed", "unanswered"]


def test_run_fields_cannot_change_while_running(auth_client, user):
    campaign = make_campaign(user, services="SMS", recipients=1)
    run_begin(user=user, campaign_id=campaign.pk, message="hello")
    url = f"/api/v1/campaign/{campaign.pk}/"
    response = auth_client.patch(url, {"message": "changed"}, format="json")
    assert response.status_code == 409 and "detail" in response.json()
    assert auth_client.patch(url, {"name": "renamed"}, format="json").status_code == 200
    assert auth_client.delete(url).status_code == 409


def test_delete(auth_client):
    campaign = _create(auth_client).json()
    assert auth_client.delete(f"/api/v1/campaign/{campaign['id']}").status_code == 204
    assert auth_client.get(f"/api/v1/campaign/{campaign['id']}").status_code == 404


def test_foreign_campaign_is_404(auth_client, other_client):
    campaign = _create(auth_client).json()
    for method in ("get", "patch", "delete"):
        response = getattr(other_client, method)(f"/api/v1/campaign/{campaign['id']}/", {}, format="json")
        assert response.status_code == 404
        assert response.json() == {"detail": "Campaign not found."}


@pytest.mark.parametrize("method", ["patch", "put", "post"])
def test_message_settings(auth_client, method):
    campaign = _create(auth_client).json()
    response = getattr(auth_client, method)(
        f"/api/v1/campaign/create/{campaign['id']}/message/",
        {"voice": "np_anita", "category": "audio", "length_factor": "1.2", "message": "m", "sms_message": "s"},
        format="json",
    )
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"voice", "sms_message", "message", "category", "draft", "length_factor"}
    assert body["voice"]["voice_internal_name"] == "np_anita"
    assert body["category"] == "Audio" and body["length_factor"] == "1.20"


def test_huge_path_id_is_404(auth_client):
    assert auth_client.get(f"/api/v1/campaign/{2**70}/").status_code == 404
    assert connection.vendor == "postgresql"
