"""GET/POST/DELETE /api/system/dnc/ and the dispatcher's DNC selector."""

import pytest

from accounts.models import DoNotContact
from accounts.selectors import dnc_numbers_among
from accounts.services import dnc_add_from_inbound_stop
from tests.support.envelope import assert_envelope, assert_error

URL = "/api/system/dnc/"


@pytest.mark.django_db
@pytest.mark.parametrize("url", [URL, URL.rstrip("/")])
def test_add_one_number_then_list_it(auth_client, user, url):
    response = auth_client.post(url, {"number": "9843818700", "reason": "asked us"}, format="json")
    body = assert_envelope(response, status=201, message="Added to the do-not-contact list.")
    assert body["data"] == {"added": 1, "already_listed": 0}
    body = assert_envelope(auth_client.get(url), status=200)
    assert list(body["data"]) == ["numbers", "pagination"]
    [item] = body["data"]["numbers"]
    assert list(item) == ["id", "number", "e164", "reason", "source", "created_at"]
    assert item["number"] == "9843818700" and item["e164"] == "+9779843818700"
    assert item["reason"] == "asked us" and item["source"] == "api"
    assert body["data"]["pagination"] == {
        "total_items": 1,
        "total_pages": 1,
        "page_number": 1,
        "page_size": 50,
        "has_next": False,
        "has_previous": False,
    }


@pytest.mark.django_db
def test_add_many_counts_those_already_listed(auth_client, user):
    auth_client.post(URL, {"number": "+9779843818700"}, format="json")
    response = auth_client.post(
        URL, {"numbers": ["9843818700", 9801234567, "+9779801234568", "9801234567"]}, format="json"
    )
    assert assert_envelope(response, status=201)["data"] == {"added": 2, "already_listed": 1}
    assert DoNotContact.objects.filter(user=user).count() == 3


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"numbers": ["9843818700", "12", "abc"]}, "numbers.1"),
        ({"number": "12"}, "number"),
        ({"number": True}, "number"),
        ({}, "number"),
        ({"number": "9843818700", "numbers": ["9843818701"]}, "number"),
        ({"numbers": []}, "numbers"),
        ({"numbers": "9843818700"}, "numbers"),
    ],
)
def test_invalid_numbers_are_400_naming_each_index(auth_client, user, body, field):
    error = assert_error(auth_client.post(URL, body, format="json"), status=400, field=field)
    if field == "numbers.1":
        assert [e["field"] for e in error["errors"]] == ["numbers.1", "numbers.2"]
    assert not DoNotContact.objects.exists()


@pytest.mark.django_db
def test_delete_by_body(auth_client, user):
    auth_client.post(URL, {"numbers": ["9843818700", "9843818701"]}, format="json")
    response = auth_client.delete(URL, {"numbers": ["9843818700", "9843818709"]}, format="json")
    assert assert_envelope(response, status=200)["data"] == {"removed": 1}
    assert list(DoNotContact.objects.values_list("number", flat=True)) == ["+9779843818701"]
    assert_error(auth_client.delete(URL, {"number": "9843818700"}, format="json"), status=404)
    assert_error(auth_client.delete(URL, {"number": "nope"}, format="json"), status=400, field="number")


@pytest.mark.django_db
def test_lists_are_per_account(auth_client, other_client, user, other_user):
    auth_client.post(URL, {"number": "9843818700"}, format="json")
    assert other_client.get(URL).json()["data"]["numbers"] == []
    assert_error(other_client.delete(URL, {"number": "9843818700"}, format="json"), status=404)
    assert DoNotContact.objects.filter(user=user).count() == 1
    # The same number on another account's list is its own row.
    assert other_client.post(URL, {"number": "9843818700"}, format="json").json()["data"]["added"] == 1


@pytest.mark.django_db
def test_pages_and_filter(auth_client, user):
    auth_client.post(URL, {"numbers": [f"98438187{i:02d}" for i in range(5)]}, format="json")
    data = auth_client.get(URL, {"page": 2, "page_size": 2}).json()["data"]
    assert len(data["numbers"]) == 2
    assert data["pagination"] == {
        "total_items": 5,
        "total_pages": 3,
        "page_number": 2,
        "page_size": 2,
        "has_next": True,
        "has_previous": True,
    }
    assert_error(auth_client.get(URL, {"page": 9}), status=404, code="invalid_page", field="page")
    data = auth_client.get(URL, {"number": "9843818703"}).json()["data"]
    assert [n["number"] for n in data["numbers"]] == ["9843818703"]
    assert_error(auth_client.get(URL, {"page": 0}), status=400, field="page")
    assert auth_client.get(URL, {"page_size": 501}).json()["data"]["pagination"]["page_size"] == 500
    assert_error(auth_client.get(URL, {"page_size": "x"}), status=400, field="page_size")


@pytest.mark.django_db
@pytest.mark.parametrize("rows", [1, 60])
def test_list_queries_do_not_grow_with_rows(auth_client, user, rows, django_assert_num_queries):
    DoNotContact.objects.bulk_create(DoNotContact(user=user, number=f"+97798438{i:05d}") for i in range(rows))
    with django_assert_num_queries(3):  # user, count, page
        response = auth_client.get(URL)
    assert len(response.json()["data"]["numbers"]) == min(rows, 50)


@pytest.mark.django_db
def test_post_is_idempotent_with_a_key(auth_client, user):
    first = auth_client.post(URL, {"number": "9843818700"}, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    again = auth_client.post(URL, {"number": "9843818700"}, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    assert again.json() == first.json() and again["Idempotent-Replayed"] == "true"


@pytest.mark.django_db
def test_dispatcher_selector_finds_listed_numbers_in_one_query(user, other_user, django_assert_num_queries):
    DoNotContact.objects.create(user=user, number="+9779843818700")
    DoNotContact.objects.create(user=other_user, number="+9779843818701")
    candidates = ["+9779843818700", "+9779843818701", "+9779843818702"] * 100
    with django_assert_num_queries(1):
        assert dnc_numbers_among(user=user, numbers=candidates) == {"+9779843818700"}
    with django_assert_num_queries(0):
        assert dnc_numbers_among(user=user, numbers=[]) == set()


@pytest.mark.django_db
def test_inbound_stop_adds_once(user, auth_client):
    first = dnc_add_from_inbound_stop(user=user, number="+9779843818700")
    again = dnc_add_from_inbound_stop(user=user, number="+9779843818700")
    assert first.pk == again.pk and first.source == "stop" and first.reason == "STOP keyword"
    [item] = auth_client.get(URL).json()["data"]["numbers"]
    assert item["source"] == "stop"
