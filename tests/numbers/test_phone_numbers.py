"""Phone numbers over the TingTing API (docs/api/API_CONTRACT.md §2 "Phone numbers", §5)."""

from decimal import Decimal

import pytest

from accounts import ledger
from accounts.models import LedgerEntry
from phonenumbers_app.models import PhoneNumber
from phonenumbers_app.services import number_buy
from tests.support.clients import client_for
from tests.support.envelope import assert_envelope, assert_error
from tests.support.factories import UserFactory
from tests.support.threads import run_in_threads
from tingting.errors import ConflictError

pytestmark = pytest.mark.django_db

LIST = "/api/system/phone_numbers"
OWNED = "/api/system/owned/phone_numbers"
SID = "b7142c5ae3b673d944d81c83bda4f5de"


def make_number(phone="+9779841000000", *, rate=40, sid=None, owner=None, **fields) -> PhoneNumber:
    return PhoneNumber.objects.create(
        phone_number=phone, rate=Decimal(rate), owner=owner, **({"sid": sid} if sid else {}), **fields
    )


def contract_object(phone="9841000000", sid=SID, rate=40.0, capabilities="Voice, SMS") -> dict:
    return {
        "phone_number": phone,
        "rate": rate,
        "available_capabilities": capabilities,
        "phone_number_sid": sid,
        "friendly_name": "",
        "accept_incoming": None,
        "configure_with": "",
        "call_comes_in": None,
        "call_url": None,
        "http_request": None,
    }


@pytest.mark.parametrize("url", [LIST, LIST + "/"])
def test_available_list_is_the_contract_object_key_by_key(auth_client, other_user, url):
    make_number(sid=SID)
    make_number("+9779851234567", owner=other_user)
    body = assert_envelope(auth_client.get(url), status=200, message="Number Lists Retrived Successfully!!")
    assert body["data"] == {"number_lists": [contract_object()]}
    assert list(body["data"]["number_lists"][0]) == list(contract_object())


def test_capabilities_string_and_foreign_numbers_shown_as_digits(auth_client):
    make_number("+9779801000001", sid="1" * 32, has_voice=True, has_sms=False)
    make_number("+9779801000002", sid="2" * 32, has_voice=False, has_sms=True)
    make_number("+14155550100", sid="3" * 32, rate=5, has_mms=True, has_fax=True)
    rows = auth_client.get(LIST).json()["data"]["number_lists"]
    assert [(r["phone_number"], r["available_capabilities"], r["rate"]) for r in rows] == [
        ("14155550100", "Voice, SMS, MMS, Fax", 5.0),
        ("9801000001", "Voice", 40.0),
        ("9801000002", "SMS", 40.0),
    ]


@pytest.mark.parametrize("url", [OWNED, OWNED + "/"])
def test_owned_list_shows_only_my_numbers(auth_client, user, other_user, url):
    make_number(sid=SID, owner=user)
    make_number("+9779851234567", owner=other_user)
    make_number("+9779801000001")
    body = assert_envelope(auth_client.get(url), status=200, message=None)
    assert body["data"] == {"owned_numbers": [contract_object()]}


def test_lists_need_a_token(api_client):
    assert_error(api_client.get(LIST), status=401)
    assert_error(api_client.get(OWNED), status=401)
    assert_error(api_client.post(LIST, {"phone_sid": SID}, format="json"), status=401)


@pytest.mark.parametrize("url", [LIST, LIST + "/"])
def test_buy_charges_the_rate_once_and_assigns_the_number(auth_client, user, url):
    make_number(sid=SID)
    response = auth_client.post(url, {"phone_sid": SID}, format="json")
    body = assert_envelope(response, status=200, message="9841000000 number bought successfully!!")
    assert body["data"] == {"number_details": [contract_object()]}
    number = PhoneNumber.objects.get(sid=SID)
    assert number.owner == user and number.bought_at is not None
    user.refresh_from_db()
    assert user.credits == 960
    entry = LedgerEntry.objects.get(user=user, kind="purchase")
    assert (entry.amount, entry.reference, entry.idempotency_key) == (40, f"number:{SID}", f"number:{SID}:purchase:1")
    assert ledger.invariant_gap(user_id=user.pk) == 0
    assert auth_client.get(OWNED).json()["data"]["owned_numbers"] == [contract_object()]
    assert auth_client.get(LIST).json()["data"]["number_lists"] == []


def test_sid_is_matched_case_insensitively_and_trimmed(auth_client):
    make_number(sid=SID)
    assert_envelope(auth_client.post(LIST, {"phone_sid": f" {SID.upper()} "}, format="json"), status=200)


def test_buying_a_bought_number_is_409_and_not_charged(auth_client, other_client, user, other_user):
    make_number(sid=SID)
    assert_envelope(auth_client.post(LIST, {"phone_sid": SID}, format="json"), status=200)
    body = assert_error(
        other_client.post(LIST, {"phone_sid": SID}, format="json"),
        status=409,
        field="phone_sid",
        code="number_unavailable",
    )
    assert body["message"] == "9841000000 number is already bought."
    assert_error(auth_client.post(LIST, {"phone_sid": SID}, format="json"), status=409, code="number_unavailable")
    other_user.refresh_from_db()
    user.refresh_from_db()
    assert (other_user.credits, user.credits) == (1000, 960)
    assert LedgerEntry.objects.filter(kind="purchase").count() == 1


def test_unknown_sid_is_404(auth_client):
    body = assert_error(
        auth_client.post(LIST, {"phone_sid": "f" * 32}, format="json"), status=404, field="phone_sid", code="not_found"
    )
    assert body["message"] == "No phone number with this phone_sid."


def test_not_enough_credits_is_402_and_nothing_changes(db):
    poor = UserFactory(credits=39)
    make_number(sid=SID)
    body = assert_error(
        client_for(poor).post(LIST, {"phone_sid": SID}, format="json"), status=402, code="insufficient_credits"
    )
    assert body["message"] == "Not enough credits: 40 needed, 39 available."
    number = PhoneNumber.objects.get(sid=SID)
    assert number.owner is None and number.purchases == 0
    poor.refresh_from_db()
    assert poor.credits == 39 and not poor.ledger_entries.filter(kind="purchase").exists()


@pytest.mark.parametrize(
    ("payload", "fmt"),
    [
        ({}, "json"),
        ({"phone_sid": ""}, "json"),
        ({"phone_sid": "   "}, "json"),
        ({"phone_sid": None}, "json"),
        ({"phone_sid": 12345}, "json"),
        ({"phone_sid": [SID]}, "json"),
        ({"phone_sid": {"a": 1}}, "json"),
        ({"phone_sid": "x" * 65}, "json"),
        ([SID], "json"),
        ('"just a string"', None),
        ("{not json", None),
    ],
    ids=[
        "missing",
        "empty",
        "blank",
        "null",
        "integer",
        "list",
        "object",
        "too-long",
        "array-body",
        "string-body",
        "broken-json",
    ],
)
@pytest.mark.parametrize("method", ["post", "delete"])
def test_bad_input_is_400_naming_phone_sid(auth_client, payload, fmt, method):
    send = getattr(auth_client, method)
    kwargs = {"format": "json"} if fmt else {"content_type": "application/json"}
    response = send(LIST, payload, **kwargs)
    assert_error(response, status=400, field="phone_sid")


@pytest.mark.parametrize("url", [LIST, LIST + "/"])
def test_release_answers_body_status_204_and_the_number_can_be_bought_again(auth_client, user, url):
    make_number(sid=SID)
    auth_client.post(LIST, {"phone_sid": SID}, format="json")
    response = auth_client.delete(url, {"phone_sid": SID}, format="json")
    assert response.status_code == 200
    assert response.json() == {
        "status": 204,
        "success": True,
        "message": "9841000000 number released successfully!!",
        "errors": [],
        "data": {},
    }
    number = PhoneNumber.objects.get(sid=SID)
    assert number.owner is None and number.bought_at is None
    assert auth_client.get(OWNED).json()["data"]["owned_numbers"] == []
    assert auth_client.get(LIST).json()["data"]["number_lists"] == [contract_object()]
    user.refresh_from_db()
    assert user.credits == 960  # bought outright: no refund

    assert_envelope(
        auth_client.post(LIST, {"phone_sid": SID}, format="json"),
        status=200,
        message="9841000000 number bought successfully!!",
    )
    keys = list(LedgerEntry.objects.filter(kind="purchase").order_by("pk").values_list("idempotency_key", flat=True))
    assert keys == [f"number:{SID}:purchase:1", f"number:{SID}:purchase:2"]
    user.refresh_from_db()
    assert user.credits == 920 and ledger.invariant_gap(user_id=user.pk) == 0


def test_release_of_unknown_foreign_or_already_released_number_is_404(auth_client, other_client, user):
    make_number(sid=SID, owner=user)
    assert_error(other_client.delete(LIST, {"phone_sid": SID}, format="json"), status=404, field="phone_sid")
    assert PhoneNumber.objects.get(sid=SID).owner == user
    assert_error(auth_client.delete(LIST, {"phone_sid": "a" * 32}, format="json"), status=404)
    assert_envelope(auth_client.delete(LIST, {"phone_sid": SID}, format="json"), status=200, body_status=204)
    body = assert_error(auth_client.delete(LIST, {"phone_sid": SID}, format="json"), status=404)
    assert body["message"] == "You own no phone number with this phone_sid."


def test_buy_with_idempotency_key_is_replayed_and_charged_once(auth_client, user):
    make_number(sid=SID)
    first = auth_client.post(LIST, {"phone_sid": SID}, format="json", HTTP_IDEMPOTENCY_KEY="buy-1")
    again = auth_client.post(LIST, {"phone_sid": SID}, format="json", HTTP_IDEMPOTENCY_KEY="buy-1")
    assert first.status_code == again.status_code == 200
    assert again.json() == first.json() and again["Idempotent-Replayed"] == "true"
    user.refresh_from_db()
    assert user.credits == 960 and LedgerEntry.objects.filter(kind="purchase").count() == 1


def test_free_number_writes_no_ledger_entry_and_fractional_rate_is_rounded_up(auth_client, user):
    make_number("+9779801000001", sid="1" * 32, rate=0)
    make_number("+9779801000002", sid="2" * 32, rate=Decimal("2.50"))
    assert_envelope(auth_client.post(LIST, {"phone_sid": "1" * 32}, format="json"), status=200)
    assert not LedgerEntry.objects.filter(kind="purchase").exists()
    body = assert_envelope(auth_client.post(LIST, {"phone_sid": "2" * 32}, format="json"), status=200)
    assert body["data"]["number_details"][0]["rate"] == 2.5
    assert LedgerEntry.objects.get(kind="purchase").amount == 3


@pytest.mark.parametrize(("url", "key", "owned"), [(LIST, "number_lists", False), (OWNED, "owned_numbers", True)])
def test_list_query_count_is_constant(auth_client, user, django_assert_num_queries, url, key, owned):
    make_number("+9779801000000", owner=user if owned else None)
    with django_assert_num_queries(2):  # the token's user, the numbers
        assert len(auth_client.get(url).json()["data"][key]) == 1
    for index in range(1, 40):
        make_number(f"+97798010000{index:02d}", owner=user if owned else None)
    with django_assert_num_queries(2):
        assert len(auth_client.get(url).json()["data"][key]) == 40


@pytest.mark.django_db(transaction=True)
def test_concurrent_buyers_one_wins_the_others_get_409_and_pay_nothing():
    buyers = [UserFactory(credits=100) for _ in range(6)]
    make_number(sid=SID)
    results = run_in_threads(len(buyers), lambda i: number_buy(user=buyers[i], sid=SID))
    won = [r for r in results if isinstance(r, PhoneNumber)]
    refused = [r for r in results if isinstance(r, ConflictError)]
    assert len(won) == 1 and len(refused) == 5, results
    winner = PhoneNumber.objects.get(sid=SID).owner
    for buyer in buyers:
        buyer.refresh_from_db()
        assert buyer.credits == (60 if buyer == winner else 100)
        assert ledger.invariant_gap(user_id=buyer.pk) == 0
    assert LedgerEntry.objects.filter(kind="purchase").count() == 1
