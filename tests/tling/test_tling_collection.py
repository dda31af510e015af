"""Paging, sorting, filtering of Tling collections, and their query counts."""

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from accounts import ledger
from tests.support.envelope import assert_tling_error
from tling import services
from tling.models import Contact, Message, MessageStatus

pytestmark = pytest.mark.django_db
V0 = "/api/v0"


def contacts(user, n, *, start=0):
    return [
        services.contact_create(
            owner=user, name=f"Name{i:03d}", phone_number=f"+35191{i:07d}", email=f"n{i}@example.com" if i % 2 else None
        )
        for i in range(start, start + n)
    ]


def names(response):
    assert response.status_code == 200, response.content
    return [row["name"] for row in response.json()["data"]]


def test_default_page_is_30_sorted_by_updated_at_with_the_total(key_client, user):
    contacts(user, 35)
    body = key_client.get(f"{V0}/contacts").json()
    assert list(body) == ["data", "total"]
    assert body["total"] == 35 and len(body["data"]) == 30
    assert [r["name"] for r in body["data"]] == [f"Name{i:03d}" for i in range(30)]
    second = key_client.get(f"{V0}/contacts", {"page[number]": "2"}).json()
    assert [r["name"] for r in second["data"]] == [f"Name{i:03d}" for i in range(30, 35)]
    assert key_client.get(f"{V0}/contacts", {"page[number]": "9"}).json() == {"data": [], "total": 35}


def test_page_size_above_the_maximum_is_clamped_to_100(key_client, user):
    contacts(user, 101)
    assert len(key_client.get(f"{V0}/contacts", {"page[size]": "1000"}).json()["data"]) == 100
    assert len(key_client.get(f"{V0}/contacts", {"page[size]": "7"}).json()["data"]) == 7


@pytest.mark.parametrize("parameter", ["page[size]", "page[number]"])
@pytest.mark.parametrize("value", ["0", "-1", "abc", "1.5", ""])
def test_page_parameters_that_are_not_positive_whole_numbers_are_400(key_client, parameter, value):
    body = assert_tling_error(key_client.get(f"{V0}/contacts", {parameter: value}), status=400)
    assert body["errors"][0]["source"] == {"parameter": parameter}


def test_sort_descending_and_by_several_fields(key_client, user):
    contacts(user, 3)
    assert names(key_client.get(f"{V0}/contacts", {"sort": "-name"})) == ["Name002", "Name001", "Name000"]
    Contact.objects.filter(name="Name000").update(name="Name002")
    assert names(key_client.get(f"{V0}/contacts", {"sort": "-name,phoneNumber"})) == ["Name002", "Name002", "Name001"]


def test_unknown_sort_field_is_400_naming_it(key_client):
    body = assert_tling_error(key_client.get(f"{V0}/contacts", {"sort": "-secret"}), status=400)
    assert body["errors"][0]["source"] == {"parameter": "sort"} and "secret" in body["errors"][0]["detail"]


def test_filters_eq_like_in_ne_null(key_client, user):
    contacts(user, 5)
    get = lambda params: names(key_client.get(f"{V0}/contacts", params))  # noqa: E731
    assert get({"filter[name]": "Name001"}) == ["Name001"]
    assert get({"filter[name][eq]": "Name001,Name003"}) == ["Name001", "Name003"]
    assert get({"filter[name][in]": "Name001,Name004"}) == ["Name001", "Name004"]
    assert get({"filter[name][like]": "me00"}) == [f"Name00{i}" for i in range(5)]
    assert get({"filter[name][like]": "NAME004"}) == ["Name004"]
    assert get({"filter[name][ne]": "Name001,Name002"}) == ["Name000", "Name003", "Name004"]
    assert get({"filter[email][null]": "true"}) == ["Name000", "Name002", "Name004"]
    assert get({"filter[email][null]": "false", "filter[name][gte]": "Name002"}) == ["Name003"]
    assert get({"filter[phoneCode]": "+351", "filter[phoneNumber][lt]": "910000002"}) == ["Name000", "Name001"]


def test_date_filters_accept_dates_and_datetimes(key_client, user):
    old, new = contacts(user, 2)
    Contact.objects.filter(pk=old.pk).update(created_at=datetime(2023, 1, 25, 15, 38, 37, tzinfo=UTC))
    get = lambda params: names(key_client.get(f"{V0}/contacts", params))  # noqa: E731
    assert get({"filter[createdAt]": "2023-01-25"}) == [old.name]
    assert get({"filter[createdAt][gt]": "2023-01-25"}) == [new.name]
    assert get({"filter[createdAt][lte]": "2023-01-25"}) == [old.name]
    assert get({"filter[createdAt][lt]": "2023-01-25T15:38:38Z"}) == [old.name]
    assert get({"filter[createdAt][gte]": "2023-01-25T15:38:38+00:00"}) == [new.name]


@pytest.mark.parametrize(
    ("params", "parameter"),
    [
        ({"filter[password][eq]": "x"}, "filter[password][eq]"),
        ({"filter[updatedAt]": "2023-01-01"}, "filter[updatedAt][eq]"),
        ({"filter[name][regex]": "x"}, "filter[name][regex]"),
        ({"filter[createdAt][gt]": "yesterday"}, "filter[createdAt][gt]"),
        ({"filter[email][null]": "maybe"}, "filter[email][null]"),
        ({"filter[createdAt][like]": "2023-01-01"}, "filter[createdAt][like]"),
        ({"filter[name": "x"}, "filter[name"),
        ({"listId": "nope"}, "listId"),
    ],
)
def test_unknown_field_or_operator_or_bad_value_is_400_naming_the_parameter(key_client, params, parameter):
    body = assert_tling_error(key_client.get(f"{V0}/contacts", params), status=400)
    assert body["errors"][0]["source"] == {"parameter": parameter}


def test_message_status_filter(key_client, user):
    ledger.top_up(user_id=user.pk, amount=10)
    first, second = services.messages_create(owner=user, text="hi", to=["+9779801234560", "+9779801234561"])
    services.message_record_status(message_id=first.pk, status=MessageStatus.DELIVERED, occurred_at=timezone.now())
    body = key_client.get(f"{V0}/messages", {"status": "delivered"}).json()
    assert [m["id"] for m in body["data"]] == [str(first.pk)] and body["total"] == 1
    assert key_client.get(f"{V0}/messages", {"status": "created"}).json()["total"] == 1
    assert_tling_error(key_client.get(f"{V0}/messages", {"status": "lost"}), status=400)


def _messages(user, n):
    ledger.top_up(user_id=user.pk, amount=n)
    services.messages_create(owner=user, text="hi", to=[f"+97798{i:08d}" for i in range(n)])
    ids = list(Message.objects.values_list("pk", flat=True))
    for pk in ids:
        services.message_record_status(message_id=pk, status=MessageStatus.SENT, occurred_at=timezone.now())


@pytest.mark.parametrize("rows", [1, 100])
def test_query_counts_are_constant_per_page(key_client, user, rows, django_assert_num_queries):
    listed = contacts(user, rows)
    contact_list = services.list_create(owner=user, name="L")
    services.list_add_contacts(contact_list=contact_list, ids=[c.pk for c in listed])
    for extra in range(rows):
        services.list_create(owner=user, name=f"L{extra}")
    services.schedule_create(owner=user, send_at=timezone.now() + timedelta(hours=1), text="x", to=["+9779801234560"])
    _messages(user, rows)
    key_client.get(f"{V0}/contacts")  # the key's last_used_at write happens once a minute; not measured
    # auth + total + page (the messages' timelines are built in their page query)
    for url, queries in [("contacts", 3), ("lists", 3), ("messages", 3), ("schedule/message", 3)]:
        with django_assert_num_queries(queries):
            response = key_client.get(
                f"{V0}/{url}",
                {"page[size]": "100", "sort": "-createdAt" if url != "schedule/message" else "-createdon"},
            )
        assert response.status_code == 200 and len(response.json()["data"]) >= 1
    # The total from the tally, or a COUNT when the filters need one: the same queries.
    for filters in (
        {"filter[phoneCode]": "+977"},
        {"filter[phoneNumber][like]": "98"},
        {"filter[createdAt][gte]": "2000-01-01T10:00:00Z", "status": "sent"},
    ):
        with django_assert_num_queries(3):
            body = key_client.get(f"{V0}/messages", {"page[size]": "100", **filters}).json()
        assert len(body["data"]) == rows and body["total"] == rows


# --- NUL in filter values (issue 18 defect 6) ----------------------------------------------


@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("/api/v0/contacts", "name"),
        ("/api/v0/contacts", "email"),
        ("/api/v0/contacts", "phoneNumber"),
        ("/api/v0/lists", "name"),
        ("/api/v0/messages", "phoneCode"),
        ("/api/v0/messages", "phoneNumber"),
        ("/api/v0/schedule/message", "name"),
    ],
)
@pytest.mark.parametrize("op", ["eq", "ne", "like"])
def test_a_nul_in_a_filter_value_is_400_naming_the_parameter(key_client, path, name, op):
    parameter = f"filter[{name}][{op}]"
    response = key_client.get(path, {parameter: "a\x00b"})
    body = assert_tling_error(response, status=400)
    assert [e["source"] for e in body["errors"]] == [{"parameter": parameter}]
