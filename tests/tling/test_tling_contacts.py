"""Tling contacts and lists, through the API with an X-API-Key (docs/api/API_CONTRACT.md §3)."""

import re
import uuid

import pytest

from tests.support.envelope import assert_tling_error
from tling.models import Contact, ContactList, Membership

pytestmark = pytest.mark.django_db
V0 = "/api/v0"
TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
CONTACT_KEYS = ["birthDate", "createdAt", "email", "id", "listsCount", "name", "phoneCode", "phoneNumber", "updatedAt"]
LIST_KEYS = ["contactsCount", "createdAt", "id", "name", "updatedAt"]


def make_contact(client, name="Foobar", number="+351911111111", **extra) -> dict:
    response = client.post(f"{V0}/contacts", {"name": name, "phoneNumber": number, **extra}, format="json")
    assert response.status_code == 200, response.content
    return response.json()


def make_list(client, name="List1") -> dict:
    response = client.post(f"{V0}/lists", {"name": name}, format="json")
    assert response.status_code == 200, response.content
    return response.json()


# --- auth ------------------------------------------------------------------------------


def test_missing_or_wrong_key_is_401_in_the_tling_shape(api_client, auth_client):
    body = assert_tling_error(api_client.get(f"{V0}/contacts"), status=401)
    assert body["errors"][0]["code"] == "not_authenticated"
    api_client.credentials(HTTP_X_API_KEY="tt_000000000000_wrong")
    assert assert_tling_error(api_client.get(f"{V0}/contacts"), status=401)["errors"][0]["code"] == "invalid_api_key"
    # A JWT is not a Tling credential.
    assert_tling_error(auth_client.get(f"{V0}/contacts"), status=401)


def test_header_name_is_case_insensitive(key_client, api_client):
    raw = key_client._credentials["HTTP_X_API_KEY"]
    response = api_client.get(f"{V0}/contacts", headers={"x-api-key": raw})
    assert response.status_code == 200


# --- contacts --------------------------------------------------------------------------


def test_create_contact_returns_the_object_key_by_key(key_client, user):
    body = make_contact(key_client)
    assert list(body) == CONTACT_KEYS
    assert body["birthDate"] is None and body["email"] is None
    assert body["listsCount"] == "0"
    assert body["name"] == "Foobar"
    assert (body["phoneCode"], body["phoneNumber"]) == ("+351", "911111111")
    assert TIMESTAMP.match(body["createdAt"]) and TIMESTAMP.match(body["updatedAt"])
    assert uuid.UUID(body["id"])
    assert Contact.objects.get(pk=body["id"]).owner == user


def test_contact_with_email_and_birth_date(key_client):
    body = make_contact(key_client, email="a@example.com", birthDate="2000-01-01T00:00:00.000Z")
    assert body["email"] == "a@example.com"
    assert body["birthDate"] == "2000-01-01T00:00:00.000Z"
    assert (
        make_contact(key_client, number="+351911111112", birthDate="1990-05-06")["birthDate"]
        == "1990-05-06T00:00:00.000Z"
    )


@pytest.mark.parametrize(
    ("payload", "pointer"),
    [
        ({"name": "x", "phoneNumber": "911111111"}, "/phoneNumber"),
        ({"name": "x", "phoneNumber": "+35191"}, "/phoneNumber"),
        ({"name": "x", "phoneNumber": 351911111111}, "/phoneNumber"),
        ({"phoneNumber": "+351911111111"}, "/name"),
        ({"name": "x", "phoneNumber": "+351911111111", "email": "nope"}, "/email"),
        ({"name": "x", "phoneNumber": "+351911111111", "birthDate": "yesterday"}, "/birthDate"),
    ],
)
def test_invalid_contact_input_names_the_field(key_client, payload, pointer):
    assert_tling_error(key_client.post(f"{V0}/contacts", payload, format="json"), status=400, pointer=pointer)
    assert Contact.objects.count() == 0


def test_body_that_is_not_an_object_is_400(key_client):
    assert_tling_error(key_client.post(f"{V0}/contacts", ["a"], format="json"), status=400)


def test_duplicate_phone_number_is_409_per_owner(key_client, other_key_client):
    make_contact(key_client)
    body = assert_tling_error(
        key_client.post(f"{V0}/contacts", {"name": "b", "phoneNumber": "+351911111111"}, format="json"),
        status=409,
        pointer="/phoneNumber",
    )
    assert body["errors"][0]["code"] == "duplicate_phone_number"
    make_contact(other_key_client)  # another account may hold the same number


def test_get_patch_delete_contact(key_client):
    created = make_contact(key_client)
    url = f"{V0}/contacts/{created['id']}"
    got = key_client.get(url)
    assert got.status_code == 200 and got.json() == created
    patched = key_client.patch(url, {"phoneNumber": "+351911111122", "email": None}, format="json")
    assert patched.status_code == 200
    body = patched.json()
    assert list(body) == CONTACT_KEYS
    assert (body["phoneCode"], body["phoneNumber"], body["name"]) == ("+351", "911111122", "Foobar")
    assert body["createdAt"] == created["createdAt"] and body["updatedAt"] >= created["updatedAt"]
    response = key_client.delete(url)
    assert response.status_code == 204 and response.content == b""
    assert_tling_error(key_client.get(url), status=404)


def test_patch_to_an_existing_number_is_409(key_client):
    make_contact(key_client)
    other = make_contact(key_client, number="+351911111112")
    assert_tling_error(
        key_client.patch(f"{V0}/contacts/{other['id']}", {"phoneNumber": "+351911111111"}, format="json"), status=409
    )


def test_non_uuid_or_unknown_id_is_404(key_client):
    assert_tling_error(key_client.get(f"{V0}/contacts/not-a-uuid"), status=404)
    assert_tling_error(key_client.get(f"{V0}/contacts/{uuid.uuid4()}"), status=404)


def test_bulk_delete_is_all_or_nothing(key_client, other_key_client):
    mine = [make_contact(key_client, number=f"+35191111111{i}")["id"] for i in range(3)]
    foreign = make_contact(other_key_client)["id"]
    response = key_client.delete(f"{V0}/contacts", [mine[0], foreign], format="json")
    assert_tling_error(response, status=404, pointer="/1")
    assert Contact.objects.filter(pk__in=mine).count() == 3
    assert_tling_error(key_client.delete(f"{V0}/contacts", [mine[0], "nope"], format="json"), status=404)
    assert_tling_error(key_client.delete(f"{V0}/contacts", {"id": mine[0]}, format="json"), status=400)
    assert_tling_error(key_client.delete(f"{V0}/contacts", [], format="json"), status=400)
    response = key_client.delete(f"{V0}/contacts", mine[:2], format="json")
    assert response.status_code == 204
    assert list(Contact.objects.values_list("pk", flat=True).filter(pk__in=mine)) == [uuid.UUID(mine[2])]
    assert Contact.objects.filter(pk=foreign).exists()


# --- lists -----------------------------------------------------------------------------


def test_list_lifecycle_key_by_key(key_client):
    created = make_list(key_client)
    assert list(created) == ["createdAt", "id", "name", "updatedAt"]  # create omits contactsCount (seed)
    url = f"{V0}/lists/{created['id']}"
    got = key_client.get(url).json()
    assert list(got) == LIST_KEYS and got["contactsCount"] == "0"
    patched = key_client.patch(url, {"name": "List2"}, format="json")
    assert patched.status_code == 200
    assert list(patched.json()) == LIST_KEYS and patched.json()["name"] == "List2"
    assert_tling_error(key_client.patch(url, {"name": ""}, format="json"), status=400, pointer="/name")
    assert key_client.delete(url).status_code == 204
    assert_tling_error(key_client.get(url), status=404)


def test_membership_add_twice_is_a_noop_and_counts_are_strings(key_client):
    contact_list = make_list(key_client)
    a, b = make_contact(key_client)["id"], make_contact(key_client, number="+351911111112")["id"]
    url = f"{V0}/lists/{contact_list['id']}/contacts"
    assert key_client.post(url, [a, b], format="json").status_code == 204
    assert key_client.post(url, [a], format="json").status_code == 204
    assert Membership.objects.count() == 2
    assert key_client.get(f"{V0}/lists/{contact_list['id']}").json()["contactsCount"] == "2"
    assert key_client.get(f"{V0}/contacts/{a}").json()["listsCount"] == "1"
    members = key_client.get(f"{V0}/contacts", {"listId": contact_list["id"]}).json()
    assert {c["id"] for c in members["data"]} == {a, b} and members["total"] == 2
    assert key_client.delete(url, [a], format="json").status_code == 204
    assert key_client.get(f"{V0}/contacts", {"listId": contact_list["id"]}).json()["total"] == 1
    outside = key_client.get(f"{V0}/contacts", {"listId": "!" + contact_list["id"]}).json()
    assert [c["id"] for c in outside["data"]] == [a]


def test_membership_with_a_foreign_contact_changes_nothing(key_client, other_key_client):
    contact_list = make_list(key_client)
    mine = make_contact(key_client)["id"]
    foreign = make_contact(other_key_client)["id"]
    url = f"{V0}/lists/{contact_list['id']}/contacts"
    assert_tling_error(key_client.post(url, [mine, foreign], format="json"), status=404)
    assert Membership.objects.count() == 0
    assert_tling_error(key_client.post(url, "nope", format="json"), status=400)


def test_deleting_a_list_keeps_its_contacts(key_client):
    contact_list = make_list(key_client)
    contact = make_contact(key_client)["id"]
    key_client.post(f"{V0}/lists/{contact_list['id']}/contacts", [contact], format="json")
    assert key_client.delete(f"{V0}/lists/{contact_list['id']}").status_code == 204
    assert not ContactList.objects.exists()
    assert key_client.get(f"{V0}/contacts/{contact}").json()["listsCount"] == "0"


def test_trailing_slash_is_served_too(key_client):
    assert key_client.get(f"{V0}/contacts/").status_code == 200
    assert key_client.post(f"{V0}/lists/", {"name": "x"}, format="json").status_code == 200
