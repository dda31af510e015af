"""Numbers in any form the API shows them (docs/nepali-input.md): national, E.164 and
digits with the country code identify the same caller ID, DNC entry and OTP; what is
possible is accepted, what is impossible refused naming the reason."""

from __future__ import annotations

import phonenumbers
import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from accounts.models import DoNotContact
from campaigns.models import Campaign, Recipient
from otp.models import Otp
from phonenumbers_app.models import PhoneNumber
from tests.support.clients import client_for, key_client_for
from tests.support.envelope import assert_envelope, assert_error
from tests.support.examples import example_savepoint
from tests.support.factories import UserFactory
from tingting.phones import InvalidPhoneNumber, parse, to_e164

CAMPAIGNS = "/api/system/campaigns"
DNC = "/api/system/dnc/"
OWNED = "/api/system/owned/phone_numbers"
SEND = "/api/system/send/otp/"
VERIFY = "/api/system/verify/otp/"


def _own(user, e164: str, sid: str = "sid-1") -> PhoneNumber:
    return PhoneNumber.objects.create(phone_number=e164, sid=sid, rate=40, owner=user, has_voice=True, has_sms=True)


def _forms(e164: str) -> list[str]:
    parsed = phonenumbers.parse(e164)
    forms = [e164, e164[1:]]
    if parsed.country_code == 977:
        forms.append(str(parsed.national_number))
    return forms


@pytest.mark.django_db
@pytest.mark.parametrize("form", ["9801000001", "+9779801000001", "9779801000001", 9801000001, "sid-1"])
def test_caller_id_in_every_form_the_owned_list_shows(auth_client, user, form):
    _own(user, "+9779801000001")
    shown = assert_envelope(auth_client.get(OWNED), status=200)["data"]["owned_numbers"][0]["phone_number"]
    assert shown == "9801000001"
    response = auth_client.post(
        CAMPAIGNS,
        {"name": "Call", "services": "PHONE", "individual_number": ["9841000001"], "user_phone": [form]},
        format="json",
    )
    body = assert_envelope(response, status=201)
    assert body["data"]["details"][0]["user_phone"] == ["9801000001"]


@pytest.mark.django_db
def test_dnc_finds_and_removes_a_foreign_number_in_the_form_it_lists(auth_client, user):
    assert_envelope(auth_client.post(DNC, {"number": "+351987654323"}, format="json"), status=201)
    [item] = assert_envelope(auth_client.get(DNC), status=200)["data"]["numbers"]
    assert item["number"] == "351987654323" and item["e164"] == "+351987654323"
    for form in ("351987654323", "+351987654323", "+351 987 654 323"):
        listed = assert_envelope(auth_client.get(DNC, {"number": form}), status=200)["data"]["numbers"]
        assert [i["e164"] for i in listed] == ["+351987654323"], form
    response = auth_client.delete(DNC, {"number": item["number"]}, format="json")
    assert assert_envelope(response, status=200)["data"] == {"removed": 1}
    assert not DoNotContact.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("form", ["9851023212", "+9779851023212", "9779851023212", "९८५१०२३२१२"])
def test_otp_verifies_with_the_number_in_any_form(auth_client, form):
    sent = auth_client.post(
        SEND,
        {"number": "+9779851023212", "message": "Code {otp}", "sms_send_options": "text", "otp_options": "personnel"}
        | {"otp": "12345"},
        format="json",
    )
    assert assert_envelope(sent, status=200)["data"]["details"]["number"] == "9851023212"
    body = assert_envelope(auth_client.post(VERIFY, {"number": form, "otp": "12345"}, format="json"), status=200)
    assert body["data"] == {"verified": True}


@pytest.mark.django_db
def test_seed_campaign_numbers_are_accepted_and_stored_in_e164(auth_client, user):
    """The TingTing seed's own example: 9876543210 and the 11-digit 98675432123 are possible
    Nepali numbers outside the ranges phonenumbers lists."""
    response = auth_client.post(
        CAMPAIGNS,
        {"name": "sample individual campaign", "services": "PHONE", "individual_number": [9876543210, 98675432123]},
        format="json",
    )
    assert_envelope(response, status=201, message="Campaign Created Successfully")
    campaign = Campaign.objects.get()
    assert set(Recipient.objects.filter(campaign=campaign).values_list("number", flat=True)) == {
        "+9779876543210",
        "+97798675432123",
    }


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("984381123", "has the wrong number of digits for its country"),
        ("4411111", "lacks its area code"),
        ("98", "is too short"),
        ("+97798765432101234", "is too long"),
        ("+999123456789", "has no known country code"),
    ],
)
def test_impossible_numbers_are_refused_with_the_reason(value, reason):
    with pytest.raises(InvalidPhoneNumber) as caught:
        to_e164(value)
    assert str(caught.value) == reason


def test_possible_but_unlisted_is_accepted_flagged_and_refused_when_strict(settings):
    assert parse("+351987654323").is_valid is False
    assert parse("+351911111111").is_valid is True
    settings.PHONE_VALIDATION = "valid"
    with pytest.raises(InvalidPhoneNumber, match="is not a valid phone number"):
        to_e164("+351987654323")
    assert to_e164("+351911111111") == "+351911111111"


@pytest.mark.django_db
def test_dnc_refuses_an_impossible_number_naming_the_field(auth_client):
    body = assert_error(auth_client.post(DNC, {"number": "984381123"}, format="json"), status=400, field="number")
    assert body["errors"][0]["message"] == "number: '984381123' has the wrong number of digits for its country."


# --- the property: what the API prints, it takes back -------------------------------------------

_REGIONS = ["NP", "PT", "IN", "GB", "US", "AU", "JP", "DE"]


@st.composite
def possible_numbers(draw) -> str:
    """E.164 numbers the policy accepts: a country's possible length, any digits."""
    region = draw(st.sampled_from(_REGIONS))
    metadata = phonenumbers.PhoneMetadata.metadata_for_region(region)
    length = draw(st.sampled_from(sorted(metadata.general_desc.possible_length)))
    digits = draw(st.text("0123456789", min_size=length, max_size=length).filter(lambda d: d[0] != "0"))
    number = f"+{metadata.country_code}{digits}"
    try:
        return to_e164(number)
    except InvalidPhoneNumber:
        return draw(st.nothing())


@pytest.mark.django_db
@hypothesis_settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(e164=possible_numbers())
def test_every_number_the_api_prints_is_accepted_back(e164):
    """The owned list, the DNC list, the OTP answer and the recipient list print a number;
    each printed form identifies it again on every endpoint that looks a number up."""
    # Each example in a savepoint rolled back at its end: hypothesis runs many in one test.
    with example_savepoint():
        user = UserFactory(credits=1000)
        client = client_for(user)
        _own(user, e164, sid=f"sid-{e164}")
        shown = assert_envelope(client.get(OWNED), status=200)["data"]["owned_numbers"][0]["phone_number"]
        printed = {shown}
        assert_envelope(client.post(DNC, {"number": e164}, format="json"), status=201)
        printed.add(assert_envelope(client.get(DNC), status=200)["data"]["numbers"][0]["number"])
        sent = client.post(
            SEND,
            {
                "number": e164,
                "message": "Code {otp}",
                "sms_send_options": "text",
                "otp_options": "personnel",
                "otp": "1234",
            },
            format="json",
        )
        printed.add(assert_envelope(sent, status=200)["data"]["details"]["number"])
        created = client.post(CAMPAIGNS, {"name": "x", "services": "SMS", "individual_number": [e164]}, format="json")
        campaign_id = assert_envelope(created, status=201)["data"]["details"][0]["id"]
        listed = client.get(f"{CAMPAIGNS}/number/{campaign_id}")
        printed.add(str(assert_envelope(listed, status=200)["data"]["number-lists"][0]["number"]))

        assert printed == {shown}  # one printed form per number, whoever prints it
        for form in [shown, *_forms(e164)]:
            found = assert_envelope(client.get(DNC, {"number": form}), status=200)["data"]["numbers"]
            assert [i["e164"] for i in found] == [e164], form
            response = client.post(
                CAMPAIGNS,
                {"name": "y", "services": "SMS", "individual_number": ["9841000001"], "user_phone": [form]},
                format="json",
            )
            assert assert_envelope(response, status=201)["data"]["details"][0]["user_phone"] == [shown], form
            otp = Otp.objects.filter(user=user).latest("id")
            Otp.objects.filter(pk=otp.pk).update(verified_at=None, attempts=0)
            verified = client.post(VERIFY, {"number": form, "otp": "1234"}, format="json")
            assert assert_envelope(verified, status=200)["data"] == {"verified": True}, form


@pytest.mark.django_db
@hypothesis_settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(e164=possible_numbers())
def test_every_number_the_tling_face_prints_is_accepted_back(e164):
    """Tling prints ``phoneCode`` + ``phoneNumber``: together they are accepted by every
    endpoint that takes a number, and each printed form finds the number in the filters."""
    with example_savepoint():
        client = key_client_for(UserFactory(credits=1000))
        created = client.post("/api/v0/contacts", {"name": "A", "phoneNumber": e164}, format="json")
        assert created.status_code == 200, created.content
        code, national = created.json()["phoneCode"], created.json()["phoneNumber"]
        printed = code + national
        assert printed == e164
        for url, body in [
            ("/api/v0/messages/costs", {"text": "x", "to": [printed]}),
            ("/api/v0/messages", {"text": "x", "to": [printed]}),
        ]:
            response = client.post(url, body, format="json")
            assert response.status_code in (200, 204), (url, response.content)
        patched = client.patch(f"/api/v0/contacts/{created.json()['id']}", {"phoneNumber": printed}, format="json")
        assert patched.status_code == 200, patched.content
        for collection in ("contacts", "messages"):
            for form in (national, printed, printed[1:]):
                found = client.get(f"/api/v0/{collection}", {"filter[phoneNumber]": form}).json()["data"]
                assert [(r["phoneCode"], r["phoneNumber"]) for r in found] == [(code, national)], (collection, form)
            by_code = client.get(f"/api/v0/{collection}", {"filter[phoneCode]": code[1:]}).json()["data"]
            assert len(by_code) == 1, collection
