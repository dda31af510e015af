import pytest

from accounts.api_keys import api_key_authenticate
from accounts.models import ApiKey
from tests.support.envelope import assert_envelope, assert_error
from tingting.models import IdempotencyRecord

pytestmark = pytest.mark.django_db
KEYS = "/api/accounts/api-keys/"


def test_create_shows_key_once_and_stores_only_a_hash(auth_client, user):
    body = assert_envelope(auth_client.post(KEYS, {"name": "crm"}, format="json"), status=201)
    raw = body["data"]["key"]
    assert raw.startswith("tt_")
    stored = ApiKey.objects.get(user=user)
    assert raw not in (stored.key_hash, stored.prefix)
    assert api_key_authenticate(raw).user == user
    listed = assert_envelope(auth_client.get(KEYS), status=200)["data"]["api_keys"]
    assert [k["name"] for k in listed] == ["crm"]
    assert "key" not in listed[0] and raw not in str(listed)


def test_revoked_or_wrong_key_does_not_authenticate(auth_client):
    raw = auth_client.post(KEYS, {"name": "x"}, format="json").json()["data"]["key"]
    key_id = auth_client.get(KEYS).json()["data"]["api_keys"][0]["id"]
    assert api_key_authenticate(raw[:-1] + ("A" if raw[-1] != "A" else "B")) is None
    assert_envelope(auth_client.delete(f"{KEYS}{key_id}"), status=200)
    assert api_key_authenticate(raw) is None
    assert auth_client.get(KEYS).json()["data"]["api_keys"] == []


def test_delete_without_id_names_the_field(auth_client):
    assert_error(auth_client.delete(KEYS, {"id": "abc"}, format="json"), status=400, field="id")


def test_idempotency_key_replays_the_first_answer_without_the_secret(auth_client, user, staff_client):
    # issue 18 defect 5: the raw key was stored in the idempotency table for 24 h and shown in the admin.
    first = auth_client.post(KEYS, {"name": "a"}, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    again = auth_client.post(KEYS, {"name": "a"}, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == again.status_code == 201
    raw = first.json()["data"]["key"]
    assert raw.startswith("tt_")
    replayed = again.json()
    assert replayed["data"] == {**first.json()["data"], "key": None}
    assert "shown once" in replayed["message"]
    assert again["Idempotent-Replayed"] == "true"
    assert ApiKey.objects.filter(user=user).count() == 1
    record = IdempotencyRecord.objects.get(user=user, key="k-1")
    assert raw not in str(record.response_body)
    page = staff_client.get(f"/admin/tingting/idempotencyrecord/{record.pk}/change/")
    assert page.status_code == 200
    assert raw[-16:] not in page.content.decode()  # the secret part (the prefix is public)


def test_idempotency_key_with_another_body_is_422(auth_client, user):
    auth_client.post(KEYS, {"name": "a"}, format="json", HTTP_IDEMPOTENCY_KEY="k-2")
    response = auth_client.post(KEYS, {"name": "b"}, format="json", HTTP_IDEMPOTENCY_KEY="k-2")
    assert_error(response, status=422, code="idempotency_key_reused")
    assert ApiKey.objects.filter(user=user).count() == 1


def test_idempotency_keys_are_per_account(auth_client, other_client, user, other_user):
    auth_client.post(KEYS, {"name": "a"}, format="json", HTTP_IDEMPOTENCY_KEY="shared")
    response = other_client.post(KEYS, {"name": "a"}, format="json", HTTP_IDEMPOTENCY_KEY="shared")
    assert response.status_code == 201
    assert ApiKey.objects.filter(user=other_user).count() == 1
