"""Campaigns and campaign actions through the API (docs/api/API_CONTRACT.md §2), key by key."""

from __future__ import annotations

import pytest

from campaigns.models import Campaign, Recipient
from tests.support.campaign_helpers import make_campaign, np_mobile, owned_number
from tests.support.envelope import assert_envelope, assert_error

pytestmark = pytest.mark.django_db

# status and number_count: docs/api/API_CONTRACT_V1.md §7 (what clients of the hosted seed API read).
CAMPAIGN_KEYS = ["id", "name", "user_phone", "services", "description", "usable_tags", "status", "number_count"]
ACTION_KEYS = ["id", "number", "campaing", "available_tags", "status", "duration", "playback", "credit_consumed"]


def create(client, slash: str = "", **body):
    return client.post(f"/api/system/campaigns{slash}", body, format="json")


# --- create ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("slash", ["", "/"])
def test_create_with_individual_numbers(auth_client, user, slash):
    response = create(
        auth_client,
        slash,
        name="Dashain",
        services="SMS",
        description="Greetings",
        individual_number=[9841000001, "9841000002", "+9779841000001", "+351911111111"],
    )
    body = assert_envelope(response, status=201, message="Campaign Created Successfully")
    assert list(body["data"]) == ["details", "import"]
    campaign = Campaign.objects.get(owner=user)
    assert body["data"]["details"] == [
        {
            "id": campaign.pk,
            "name": "Dashain",
            "user_phone": [],
            "services": "SMS",
            "description": "Greetings",
            "usable_tags": [],
            "status": "Not Started",
            "number_count": 3,
        }
    ]
    assert list(body["data"]["details"][0]) == CAMPAIGN_KEYS
    assert body["data"]["import"] == {
        "state": "done",
        "rows": 4,
        "added": 3,
        "duplicates": 1,
        "invalid": [],
        "invalid_count": 0,
        "warnings": [],
        "warnings_count": 0,
    }
    assert list(campaign.recipients.values_list("number", "status", "tags")) == [
        ("+9779841000001", "not started", {}),
        ("+9779841000002", "not started", {}),
        ("+351911111111", "not started", {}),
    ]


def test_create_with_many_inline_numbers(auth_client, user):
    numbers = [f"98410{i:05d}" for i in range(5000)] + [9841000001, "+9779841000002"]
    response = create(auth_client, name="Many", services="SMS", individual_number=numbers)
    report = assert_envelope(response, status=201)["data"]["import"]
    assert (report["rows"], report["added"], report["duplicates"]) == (5002, 5000, 2)
    assert Recipient.objects.count() == 5000


def test_create_names_each_invalid_number_and_creates_nothing(auth_client, user):
    response = create(
        auth_client,
        name="x",
        services="PHONE",
        individual_number=["9841000001", "nope", True, "12", 9841000002.0, 9841000003],
    )
    body = assert_error(response, status=400, code="invalid_phone_number")
    assert [e["field"] for e in body["errors"]] == [
        "individual_number.1",
        "individual_number.2",
        "individual_number.3",
        "individual_number.4",
    ]
    assert not Campaign.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"services": "SMS", "individual_number": ["9841000001"]}, "name"),
        ({"name": "x", "individual_number": ["9841000001"]}, "services"),
        ({"name": "x", "services": "FAX", "individual_number": ["9841000001"]}, "services"),
        ({"name": "x", "services": "SMS"}, "individual_number"),
        ({"name": "x", "services": "SMS", "individual_number": []}, "individual_number"),
        ({"name": "x", "services": "SMS", "individual_number": "9841000001"}, "individual_number"),
        ({"name": "", "services": "SMS", "individual_number": ["9841000001"]}, "name"),
    ],
)
def test_create_bad_input_names_the_field(auth_client, body, field):
    assert_error(auth_client.post("/api/system/campaigns", body, format="json"), status=400, field=field)
    assert not Campaign.objects.exists()


def test_create_resolves_user_phone_with_the_needed_capability(auth_client, user, other_user):
    voice = owned_number(user, voice=True, sms=False)
    sms = owned_number(user, voice=False, sms=True)
    foreign = owned_number(other_user)
    response = create(
        auth_client, name="Call", services="phone", individual_number=["9841000001"], user_phone=[voice.sid]
    )
    body = assert_envelope(response, status=201)
    assert body["data"]["details"][0]["user_phone"] == [voice.phone_number.removeprefix("+977")]
    assert body["data"]["details"][0]["services"] == "PHONE"

    response = create(
        auth_client,
        name="Call",
        services="PHONE",
        individual_number=["9841000001"],
        user_phone=[voice.phone_number, sms.phone_number, foreign.sid],
    )
    body = assert_error(response, status=400, code="unknown_number")
    assert [e["field"] for e in body["errors"]] == ["user_phone.1", "user_phone.2"]


def test_create_is_idempotent_with_a_key(auth_client, user):
    headers = {"HTTP_IDEMPOTENCY_KEY": "create-1"}
    body = {"name": "Once", "services": "SMS", "individual_number": ["9841000001"]}
    first = auth_client.post("/api/system/campaigns", body, format="json", **headers)
    second = auth_client.post("/api/system/campaigns", body, format="json", **headers)
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    assert Campaign.objects.filter(owner=user).count() == 1


# --- list --------------------------------------------------------------------------------------------


def test_list_envelope_pages_and_links(auth_client, user, other_user):
    for index in range(3):
        make_campaign(user, name=f"C{index}")
    make_campaign(other_user, name="theirs")
    response = auth_client.get("/api/system/campaigns?page_size=2")
    body = response.json()
    assert response.status_code == 200
    assert list(body) == ["pagination", "result"]
    newest = list(Campaign.objects.filter(owner=user).order_by("-created_at", "-id"))
    assert body["pagination"] == {
        "total_items": 3,
        "total_pages": 2,
        "page_number": 1,
        "has_next": True,
        "has_previous": False,
        "links": [{"page_number": 2, "url": "http://testserver/api/system/campaigns?page_size=2&page=2"}],
    }
    assert body["result"]["messages"] == "Campaign Successfully Retrieved"
    assert [c["name"] for c in body["result"]["campaign-lists"]] == [c.name for c in newest[:2]]
    assert list(body["result"]["campaign-lists"][0]) == CAMPAIGN_KEYS

    second = auth_client.get("/api/system/campaigns/?page_size=2&page=2").json()
    assert second["pagination"]["links"] == [
        {"page_number": 1, "url": "http://testserver/api/system/campaigns/?page_size=2&page=1"}
    ]
    assert [c["name"] for c in second["result"]["campaign-lists"]] == [newest[2].name]

    single = auth_client.get("/api/system/campaigns").json()
    assert single["pagination"]["links"] == [] and single["pagination"]["total_pages"] == 1


def test_list_filters_search_and_services(auth_client, user):
    make_campaign(user, name="Dashain offer", services="SMS")
    make_campaign(user, name="Tihar call", services="PHONE")

    def names(query: str) -> list[str]:
        body = auth_client.get(f"/api/system/campaigns?{query}").json()
        return [c["name"] for c in body["result"]["campaign-lists"]]

    assert names("search=dashain") == ["Dashain offer"]
    assert names("services=PHONE") == ["Tihar call"]
    assert names("services=phone&search=dashain") == []


def test_list_bad_query_is_400_and_missing_page_404(auth_client, user):
    make_campaign(user)
    assert_error(auth_client.get("/api/system/campaigns?page=x"), status=400, field="page")
    assert_error(auth_client.get("/api/system/campaigns?services=FAX"), status=400, field="services")
    assert_error(auth_client.get("/api/system/campaigns?page=9"), status=404, code="invalid_page")
    body = auth_client.get("/api/system/campaigns?page_size=1000").json()
    assert body["pagination"]["total_items"] == 1


def test_empty_list(auth_client):
    body = auth_client.get("/api/system/campaigns").json()
    assert body["pagination"]["total_items"] == 0 and body["result"]["campaign-lists"] == []


@pytest.mark.parametrize("count", [1, 100])
def test_list_query_count_is_constant(auth_client, user, count, django_assert_num_queries):
    for index in range(count):
        campaign = make_campaign(user, name=f"C{index}", recipients=0)
        campaign.user_phone.add(owned_number(user))
    # user (JWT), count, page, user_phone prefetch
    with django_assert_num_queries(4):
        response = auth_client.get("/api/system/campaigns?page_size=100")
    assert len(response.json()["result"]["campaign-lists"]) == count


# --- update / delete / details -------------------------------------------------------------------------


@pytest.mark.parametrize("slash", ["", "/"])
def test_update_is_partial(auth_client, user, slash):
    campaign = make_campaign(user, name="Old", services="SMS")
    number = owned_number(user, voice=True, sms=False)
    response = auth_client.put(
        f"/api/system/campaigns/{campaign.pk}/update{slash}",
        {"name": "New", "services": "PHONE", "user_phone": [number.phone_number]},
        format="json",
    )
    body = assert_envelope(response, status=200, message="Campaign details successfully updated.")
    assert body["data"] == {
        "details": [
            {
                "id": campaign.pk,
                "name": "New",
                "user_phone": [number.phone_number.removeprefix("+977")],
                "services": "PHONE",
                "description": "",
                "usable_tags": [],
                "status": "Not Started",
                "number_count": 1,
            }
        ]
    }
    response = auth_client.put(f"/api/system/campaigns/{campaign.pk}/update", {"description": "d"}, format="json")
    assert assert_envelope(response, status=200)["data"]["details"][0]["name"] == "New"
    campaign.refresh_from_db()
    assert (campaign.name, campaign.services, campaign.description) == ("New", "PHONE", "d")


def test_update_services_rechecks_caller_ids(auth_client, user):
    campaign = make_campaign(user, services="PHONE")
    campaign.user_phone.add(owned_number(user, voice=True, sms=False))
    response = auth_client.put(f"/api/system/campaigns/{campaign.pk}/update", {"services": "SMS"}, format="json")
    assert_error(response, status=400, field="user_phone")
    response = auth_client.put(
        f"/api/system/campaigns/{campaign.pk}/update", {"services": "SMS", "user_phone": []}, format="json"
    )
    assert assert_envelope(response, status=200)["data"]["details"][0]["user_phone"] == []


def test_update_bad_input_is_400(auth_client, user):
    campaign = make_campaign(user)
    assert_error(
        auth_client.put(f"/api/system/campaigns/{campaign.pk}/update", {"name": ""}, format="json"),
        status=400,
        field="name",
    )
    assert_error(
        auth_client.put(f"/api/system/campaigns/{campaign.pk}/update", {"user_phone": ["1"]}, format="json"),
        status=400,
        field="user_phone.0",
    )


@pytest.mark.parametrize("slash", ["", "/"])
def test_delete(auth_client, user, slash):
    campaign = make_campaign(user, recipients=3)
    response = auth_client.delete(f"/api/system/campaigns/{campaign.pk}/delete{slash}")
    body = assert_envelope(response, status=200, message=None)
    assert body["data"] == {"camaign": "Campaign Deleted Succesfully"}
    assert not Campaign.objects.exists() and not Recipient.objects.exists()


def test_delete_removes_runs_attempts_and_recipients_without_loading_them(auth_client, user):
    """A campaign of a million recipients must not be read into the request's
    memory to be deleted: no query selects or lists recipients by id, and
    another campaign's rows stay."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from campaigns.models import Attempt, Run
    from campaigns.services.begin import run_begin

    campaign, kept = make_campaign(user, recipients=40), make_campaign(user, name="Kept", recipients=5)
    for each in (campaign, kept):
        run_begin(user=user, campaign_id=each.pk, message="hi")
    Attempt.objects.update(status="completed")
    Recipient.objects.update(status="completed")
    Run.objects.update(state="finished", finished_at=timezone.now())

    with CaptureQueriesContext(connection) as queries:
        response = auth_client.delete(f"/api/system/campaigns/{campaign.pk}/delete")

    assert_envelope(response, status=200, message=None)
    # The ORM's cascade reads every recipient's id into memory and deletes by those ids.
    per_row = [
        q["sql"] for q in queries if '"recipient_id" IN (' in q["sql"] or '"campaigns_recipient"."id" IN (' in q["sql"]
    ]
    assert per_row == []
    assert not Recipient.objects.filter(campaign_id=campaign.pk).exists()
    assert not Attempt.objects.filter(run__campaign_id=campaign.pk).exists()
    assert not Run.objects.filter(campaign_id=campaign.pk).exists()
    assert (Recipient.objects.filter(campaign=kept).count(), Attempt.objects.filter(run__campaign=kept).count()) == (
        5,
        5,
    )


def test_delete_running_campaign_is_409(auth_client, user):
    campaign = make_campaign(user, status=Recipient.Status.QUEUED)
    assert_error(auth_client.delete(f"/api/system/campaigns/{campaign.pk}/delete"), status=409, code="campaign_running")
    assert Campaign.objects.filter(pk=campaign.pk).exists()


@pytest.mark.parametrize("slash", ["", "/"])
def test_details(auth_client, user, slash):
    campaign = make_campaign(user, name="Info", usable_tags=["tags_name"])
    body = assert_envelope(
        auth_client.get(f"/api/system/campaigns/{campaign.pk}/details{slash}"), status=200, message=None
    )
    assert body["data"] == {
        "messages": "Details Retrived successfully",
        "details": [
            {
                "id": campaign.pk,
                "name": "Info",
                "user_phone": [],
                "services": "SMS",
                "description": "",
                "usable_tags": ["tags_name"],
                "status": "Not Started",
                "number_count": 1,
            }
        ],
    }


@pytest.mark.parametrize(
    "url",
    [
        "/api/system/campaigns/abc/details",
        "/api/system/campaigns/99999999999999999999999/details",
        "/api/system/campaigns/0/details",
        "/api/system/campaigns/123/details",
        "/api/system/number/x",
        "/api/system/number/99999999999999999999999",
        "/api/system/campaigns/number/abc",
        "/api/system/campaigns/number/99999999999999999999999",
    ],
)
def test_unknown_or_malformed_ids_are_404(auth_client, url):
    assert_error(auth_client.get(url), status=404)


def test_requires_authentication(api_client):
    assert_error(api_client.get("/api/system/campaigns"), status=401)


# --- campaign actions ----------------------------------------------------------------------------------


@pytest.mark.parametrize("slash", ["", "/"])
def test_number_list(auth_client, user, slash):
    campaign = make_campaign(user, name="Sample campaign name", recipients=2)
    first = campaign.recipients.order_by("id").first()
    Recipient.objects.filter(pk=first.pk).update(
        status="completed", duration=12, playback=10, credit_consumed=8, tags={"tags_name": "Ram"}
    )
    response = auth_client.get(f"/api/system/campaigns/number/{campaign.pk}{slash}")
    body = assert_envelope(response, status=200, message=None)
    assert list(body["data"]) == ["messages", "truncated", "number-lists"]
    assert body["data"]["messages"] == "Number related to Sample campaign name campaign Retrived successfully"
    assert body["data"]["truncated"] is False
    assert body["data"]["number-lists"][0] == {
        "id": first.pk,
        "number": 9841000000,
        "campaing": "Sample campaign name",
        "available_tags": {"tags_name": "Ram"},
        "status": "completed",
        "duration": 12,
        "playback": 10,
        "credit_consumed": 8,
    }
    assert list(body["data"]["number-lists"][1]) == ACTION_KEYS

    completed = auth_client.get(f"/api/system/campaigns/number/{campaign.pk}?status=completed").json()
    assert [r["id"] for r in completed["data"]["number-lists"]] == [first.pk]
    assert_error(auth_client.get(f"/api/system/campaigns/number/{campaign.pk}?status=done"), status=400, field="status")


def test_number_list_pages(auth_client, user):
    campaign = make_campaign(user, recipients=5)
    body = auth_client.get(f"/api/system/campaigns/number/{campaign.pk}?page=2&page_size=2").json()
    assert body["data"]["pagination"] == {
        "total_items": 5,
        "total_pages": 3,
        "page_number": 2,
        "has_next": True,
        "has_previous": True,
    }
    assert [r["number"] for r in body["data"]["number-lists"]] == [9841000002, 9841000003]


def test_number_list_without_page_is_capped(auth_client, user):
    campaign = make_campaign(user, recipients=10_001)
    body = auth_client.get(f"/api/system/campaigns/number/{campaign.pk}").json()
    assert body["data"]["truncated"] is True and len(body["data"]["number-lists"]) == 10_000


@pytest.mark.parametrize("count", [1, 1000])
def test_number_list_query_count_is_constant(auth_client, user, count, django_assert_num_queries):
    campaign = make_campaign(user, recipients=count)
    with django_assert_num_queries(4):  # user (JWT), campaign, its caller IDs, recipients
        response = auth_client.get(f"/api/system/campaigns/number/{campaign.pk}")
    assert len(response.json()["data"]["number-lists"]) == count


@pytest.mark.parametrize("slash", ["", "/"])
def test_number_add(auth_client, user, slash):
    campaign = make_campaign(user, name="Sample", recipients=0, usable_tags=["tags_name", "tags_age"])
    response = auth_client.post(
        f"/api/system/campaigns/number/{campaign.pk}{slash}",
        {"number": "9843818700", "available_tags": {"tags_name": "Sita", "tags_age": 30}},
        format="json",
    )
    body = assert_envelope(response, status=201, message="Number added successfully.")
    recipient = Recipient.objects.get(campaign=campaign)
    assert body["data"] == {
        "details": {
            "id": recipient.pk,
            "number": 9843818700,
            "campaing": "Sample",
            "available_tags": {"tags_name": "Sita", "tags_age": 30},
            "status": "not started",
            "duration": None,
            "playback": None,
            "credit_consumed": 0,
        }
    }
    assert recipient.number == "+9779843818700"
    assert_error(
        auth_client.post(f"/api/system/campaigns/number/{campaign.pk}", {"number": 9843818700}, format="json"),
        status=409,
        code="number_exists",
    )


def test_number_add_bad_input(auth_client, user):
    campaign = make_campaign(user, recipients=0, usable_tags=["tags_name"])
    url = f"/api/system/campaigns/number/{campaign.pk}"
    assert_error(auth_client.post(url, {"number": "12"}, format="json"), status=400, field="number")
    assert_error(auth_client.post(url, {}, format="json"), status=400, field="number")
    body = assert_error(
        auth_client.post(
            url, {"number": "9841000001", "available_tags": {"tags_age": 1, "tags_name": ["x"]}}, format="json"
        ),
        status=400,
    )
    assert [e["field"] for e in body["errors"]] == ["available_tags.tags_age", "available_tags.tags_name"]
    assert_error(
        auth_client.post(url, {"number": "9841000001", "available_tags": "x"}, format="json"),
        status=400,
        field="available_tags",
    )
    assert not Recipient.objects.exists()


@pytest.mark.parametrize("slash", ["", "/"])
def test_number_detail(auth_client, user, slash):
    campaign = make_campaign(user, name="Sample")
    recipient = campaign.recipients.get()
    body = assert_envelope(auth_client.get(f"/api/system/number/{recipient.pk}{slash}"), status=200, message=None)
    assert body["data"] == {
        "messages": "9841000000 details retrieved successfully!!",
        "number-detail": {
            "id": recipient.pk,
            "number": 9841000000,
            "campaing": "Sample",
            "available_tags": {},
            "status": "not started",
            "duration": None,
            "playback": None,
            "credit_consumed": 0,
        },
    }


def test_number_detail_of_a_foreign_number_shows_e164_digits(auth_client, user):
    campaign = make_campaign(user, recipients=0)
    recipient = Recipient.objects.create(campaign=campaign, number="+351911111111")
    body = auth_client.get(f"/api/system/number/{recipient.pk}").json()
    assert body["data"]["number-detail"]["number"] == 351911111111
    assert body["data"]["messages"] == "351911111111 details retrieved successfully!!"


@pytest.mark.parametrize("slash", ["", "/"])
def test_number_update(auth_client, user, slash):
    campaign = make_campaign(user, name="Sample", recipients=2, usable_tags=["tags_name"])
    first, second = campaign.recipients.order_by("id")
    response = auth_client.put(
        f"/api/system/number/{first.pk}{slash}",
        {"number": "+9779843818700", "available_tags": {"tags_name": "Hari"}},
        format="json",
    )
    body = assert_envelope(response, status=200, message="Action details successfully updated.")
    assert body["data"] == {
        "details": {
            "id": first.pk,
            "number": 9843818700,
            "campaing": "Sample",
            "available_tags": {"tags_name": "Hari"},
            "status": "not started",
            "duration": None,
            "playback": None,
            "credit_consumed": 0,
        }
    }
    assert_error(
        auth_client.put(f"/api/system/number/{first.pk}", {"number": second.number}, format="json"),
        status=409,
        code="number_exists",
    )
    assert_error(
        auth_client.put(f"/api/system/number/{first.pk}", {"available_tags": {"tags_x": 1}}, format="json"),
        status=400,
        field="available_tags.tags_x",
    )
    first.refresh_from_db()
    assert (first.number, first.tags) == ("+9779843818700", {"tags_name": "Hari"})


@pytest.mark.parametrize("slash", ["", "/"])
def test_number_delete(auth_client, user, slash):
    campaign = make_campaign(user, name="Sample", recipients=2)
    first = campaign.recipients.order_by("id").first()
    body = assert_envelope(
        auth_client.delete(f"/api/system/campaigns/number/{first.pk}/delete{slash}"), status=200, message=None
    )
    assert body["data"] == {"campaign-details": "9841000000 of campaign Sample deleted Successfully!!"}
    assert campaign.recipients.count() == 1


@pytest.mark.parametrize("status", list(Recipient.IN_FLIGHT))
def test_in_flight_number_cannot_be_edited_or_deleted(auth_client, user, status):
    campaign = make_campaign(user, status=status)
    recipient = campaign.recipients.get()
    assert_error(
        auth_client.put(f"/api/system/number/{recipient.pk}", {"number": "9843818700"}, format="json"),
        status=409,
        code="number_in_flight",
    )
    assert_error(
        auth_client.delete(f"/api/system/campaigns/number/{recipient.pk}/delete"), status=409, code="number_in_flight"
    )
    recipient.refresh_from_db()
    assert recipient.number == f"+977{np_mobile(0)}"


# --- admin ---------------------------------------------------------------------------------------------


def test_admin_lists_counts_pages_recipients_and_searches_numbers(client, user):
    from tests.support.factories import UserFactory

    staff = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(staff)
    campaign = make_campaign(user, name="Admin view", recipients=120)
    Recipient.objects.filter(pk=campaign.recipients.order_by("id").first().pk).update(status="failed")
    listing = client.get("/admin/campaigns/campaign/")
    assert listing.status_code == 200
    # the list's compact bar follows the campaign's run: none begun yet
    assert '<span class="tt-state" data-tt="state">not started</span>' in listing.content.decode()
    page = client.get(f"/admin/campaigns/campaign/{campaign.pk}/change/?recipients_page=3")
    assert page.status_code == 200
    html = page.content.decode()
    assert "+9779841000119" in html and "+9779841000000" not in html
    found = client.get("/admin/campaigns/recipient/?q=9841000007")
    assert found.status_code == 200 and "+9779841000007" in found.content.decode()
    client.post("/admin/campaigns/campaign/", {"action": "delete_campaigns", "_selected_action": [campaign.pk]})
    assert not Campaign.objects.filter(pk=campaign.pk).exists()


def test_list_filters_by_latest_run_state(auth_client, user):
    from datetime import timedelta

    from django.utils import timezone

    from campaigns.services.begin import run_begin
    from tests.support.factories_campaigns import campaign_with_recipients

    idle = campaign_with_recipients(user, 1, message="hi")
    running = campaign_with_recipients(user, 1, message="hi")
    later = campaign_with_recipients(user, 1, message="hi")
    run_begin(user=user, campaign_id=running.pk)
    run_begin(user=user, campaign_id=later.pk, schedule_at=timezone.now() + timedelta(hours=1))

    def ids(status):
        response = auth_client.get("/api/system/campaigns", {"status": status})
        assert response.status_code == 200, response.json()
        return [c["id"] for c in response.json()["result"]["campaign-lists"]]

    assert ids("not started") == [idle.pk]
    assert ids("running") == [running.pk]
    assert ids("scheduled") == [later.pk]
    assert ids("completed") == []
    assert_error(auth_client.get("/api/system/campaigns", {"status": "bogus"}), status=400, field="status")
