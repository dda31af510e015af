"""Tling numbers (docs/nepali-input.md): the seed document's own samples are accepted on
every endpoint that takes a number, impossible numbers are refused naming the index,
and the filters find a number back in any form the API shows it."""

from datetime import UTC, timedelta

import pytest
from django.utils import timezone

from tests.support.envelope import assert_tling_error
from tling.models import Contact, Message, ScheduledMessage

pytestmark = pytest.mark.django_db
V0 = "/api/v0"
# The Tling seed's samples: possible for Portugal, outside the ranges phonenumbers lists.
SEED_NUMBERS = ["+351987654323", "+351999999999", "+351987653321"]


def _future() -> str:
    return (timezone.now() + timedelta(hours=1)).astimezone(UTC).isoformat().replace("+00:00", "Z")


@pytest.mark.parametrize("number", SEED_NUMBERS)
def test_seed_numbers_are_accepted_as_contacts_and_shown_split(key_client, number):
    created = key_client.post(f"{V0}/contacts", {"name": "Foobar", "phoneNumber": number}, format="json")
    assert created.status_code == 200, created.content
    assert (created.json()["phoneCode"], created.json()["phoneNumber"]) == ("+351", number[4:])
    other = SEED_NUMBERS[(SEED_NUMBERS.index(number) + 1) % 3]
    patched = key_client.patch(f"{V0}/contacts/{created.json()['id']}", {"phoneNumber": other}, format="json")
    assert patched.status_code == 200, patched.content
    assert patched.json()["phoneNumber"] == other[4:]
    assert Contact.objects.get().e164 == other


def test_seed_numbers_are_accepted_by_send_cost_and_schedule(key_client):
    cost = key_client.post(f"{V0}/messages/costs", {"text": "Foobar", "to": SEED_NUMBERS}, format="json")
    assert cost.status_code == 200, cost.content
    assert int(cost.json()["credits"]) == 3
    sent = key_client.post(f"{V0}/messages", {"text": "Foobar", "to": SEED_NUMBERS}, format="json")
    assert sent.status_code == 204, sent.content
    assert sorted(m.e164 for m in Message.objects.all()) == sorted(SEED_NUMBERS)
    scheduled = key_client.post(
        f"{V0}/schedule/message", {"date": _future(), "text": "foo", "to": SEED_NUMBERS[1:2]}, format="json"
    )
    assert scheduled.status_code == 204, scheduled.content
    schedule = ScheduledMessage.objects.get()
    patched = key_client.patch(
        f"{V0}/schedule/message/{schedule.pk}", {"text": "bar", "to": ["+351987653321", "+351987654322"]}, format="json"
    )
    assert patched.status_code == 200, patched.content
    assert patched.json()["data"][0]["data"]["to"] == ["+351987653321", "+351987654322"]


@pytest.mark.parametrize(
    ("value", "detail"),
    [
        ("+977984381123", "'+977984381123' has the wrong number of digits for its country."),
        ("+35198765432", "'+35198765432' is too short."),
        ("+3519876543231", "'+3519876543231' is too long."),
        ("+999123456789", "'+999123456789' has no known country code."),
    ],
)
def test_impossible_numbers_are_refused_naming_the_index_and_the_reason(key_client, value, detail):
    response = key_client.post(f"{V0}/messages", {"text": "Foobar", "to": [SEED_NUMBERS[0], value]}, format="json")
    body = assert_tling_error(response, status=400, pointer="/to/1")
    assert body["errors"][0]["detail"] == detail
    assert not Message.objects.exists()


def test_strict_policy_refuses_unlisted_ranges(key_client, settings):
    settings.PHONE_VALIDATION = "valid"
    response = key_client.post(f"{V0}/messages", {"text": "Foobar", "to": SEED_NUMBERS[:1]}, format="json")
    body = assert_tling_error(response, status=400, pointer="/to/0")
    assert body["errors"][0]["detail"] == "'+351987654323' is not a valid phone number."
    assert key_client.post(f"{V0}/messages", {"text": "x", "to": ["+351911111111"]}, format="json").status_code == 204


@pytest.mark.parametrize("form", ["987654323", "+351987654323", "351987654323"])
@pytest.mark.parametrize("collection", ["contacts", "messages"])
def test_phone_number_filter_finds_a_number_in_any_form(key_client, form, collection):
    key_client.post(f"{V0}/contacts", {"name": "A", "phoneNumber": SEED_NUMBERS[0]}, format="json")
    key_client.post(f"{V0}/contacts", {"name": "B", "phoneNumber": "+9779801000001"}, format="json")
    key_client.post(f"{V0}/messages", {"text": "x", "to": [SEED_NUMBERS[0], "+9779801000001"]}, format="json")
    found = key_client.get(f"{V0}/{collection}", {"filter[phoneNumber][eq]": form}).json()
    assert found["total"] == 1 if collection == "messages" else len(found["data"]) == 1
    assert [(r["phoneCode"], r["phoneNumber"]) for r in found["data"]] == [("+351", "987654323")]
    others = key_client.get(f"{V0}/{collection}", {"filter[phoneNumber][ne]": form}).json()
    assert [r["phoneNumber"] for r in others["data"]] == ["9801000001"]


def test_phone_code_filter_takes_the_code_with_or_without_plus(key_client):
    key_client.post(f"{V0}/messages", {"text": "x", "to": [SEED_NUMBERS[0], "+9779801000001"]}, format="json")
    for code in ("+351", "351"):
        body = key_client.get(f"{V0}/messages", {"filter[phoneCode]": code}).json()
        assert body["total"] == 1 and body["data"][0]["phoneCode"] == "+351"
