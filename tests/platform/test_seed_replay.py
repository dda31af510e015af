"""Every request example of the two seed documents (docs/api/seeds/: the TingTing
API page and the Tling API page), sent as written, succeeds (issue 20).

The bodies below are copied from the documents character for character. Only what
cannot be literal is replaced, each marked ``# live:`` — ids the server assigns
(campaign, recipient, contact, list, schedule ids), tokens, the file an example names
by path (uploaded as that file), and dates that have passed since the documents were
written (the same day and time next year). The Tling schedule example's ``"to":
"["+351999999999"]`` is not JSON (a stray quote); it is sent as the array it means.
The filter illustration ``filter[foo][eq]=bar,biz&filter[qux]=qix`` names fields no
collection has; it is replayed with the documented contact fields.
"""

from __future__ import annotations

import io

import pytest
from django.utils import timezone

from accounts.models import User
from campaigns.models import Campaign, Recipient
from phonenumbers_app.models import PhoneNumber
from tests.support.audio import mp3_file
from tests.support.campaign_helpers import wav_upload, xlsx_bytes
from tests.support.clients import client_for, key_client_for
from tests.support.envelope import assert_envelope

pytestmark = pytest.mark.django_db
SYSTEM = "/api/system"
V0 = "/api/v0"
MESSAGE = "नमस्कार, टिङ्टिंगमा हजुरलाई स्वागत छ "


def _next_year(moment: str) -> str:
    """A documented date that has passed, moved to the same moment next year."""
    return f"{timezone.now().year + 1}{moment[4:]}"


@pytest.fixture
def seed_user(db):
    # The login sample's own credentials.
    user = User.objects.create_user(email="test@gmail.com", password="test", first_name="Adwait")
    user.credits = 10_000
    user.save(update_fields=["credits"])
    return user


@pytest.fixture
def client(seed_user):
    return client_for(seed_user)


def _create(client, body: dict) -> int:
    body = assert_envelope(client.post(f"{SYSTEM}/campaigns", body, format="json"), status=201)
    return body["data"]["details"][0]["id"]


def _individual_campaign(client) -> int:
    return _create(
        client,
        {"name": "sample individual campaign", "services": "PHONE", "individual_number": [9876543210, 98675432123]},
    )


def _bulk_campaign(client) -> int:
    sheet = xlsx_bytes([["number", "name", "age"], ["9843818700", "Ram", 25], ["9843818701", "Sita", 30]])
    upload = io.BytesIO(sheet)
    upload.name = "numbers.xlsx"  # live: the file the example names
    response = client.post(
        f"{SYSTEM}/campaigns", {"name": "sample bulk campaign", "services": "SMS", "send_to_number_file": upload}
    )
    return assert_envelope(response, status=201)["data"]["details"][0]["id"]


# --- TingTing: authentication, numbers ----------------------------------------------------------


def test_login_and_refresh_samples(api_client, seed_user):
    response = api_client.post("/api/accounts/login/", {"email": "test@gmail.com", "password": "test"}, format="json")
    body = assert_envelope(response, status=200, message="Successfully logged in")
    refresh = body["data"]["token"]["refresh"]
    response = api_client.post("/api/accounts/token/refresh/", {"refresh": refresh}, format="json")  # live: token
    assert response.status_code == 200 and "access" in response.json()
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {body['data']['token']['access']}")
    details = assert_envelope(api_client.get("/api/accounts/user_details/"), status=200)
    assert details["data"]["user_details"]["email"] == "test@gmail.com"


def test_buy_and_release_samples(client):
    # The seed's number on sale: 9876565435 is possible for Nepal, outside listed ranges.
    PhoneNumber.objects.create(phone_number="+9779876565435", sid="b7142c5ae3b673d944d81c83bda4f5de", rate=40)
    listed = assert_envelope(client.get(f"{SYSTEM}/phone_numbers"), status=200)
    assert listed["data"]["number_lists"][0]["phone_number"] == "9876565435"
    response = client.post(f"{SYSTEM}/phone_numbers", {"phone_sid": "b7142c5ae3b673d944d81c83bda4f5de"}, format="json")
    assert_envelope(response, status=200, message="9876565435 number bought successfully!!")
    owned = assert_envelope(client.get(f"{SYSTEM}/owned/phone_numbers"), status=200)
    assert owned["data"]["owned_numbers"][0]["phone_number"] == "9876565435"
    response = client.delete(
        f"{SYSTEM}/phone_numbers", {"phone_sid": "b7142c5ae3b673d944d81c83bda4f5de"}, format="json"
    )
    assert_envelope(response, status=200, body_status=204, message="9876565435 number released successfully!!")


# --- TingTing: campaigns ------------------------------------------------------------------------


def test_add_campaign_samples(client):
    _individual_campaign(client)
    _bulk_campaign(client)
    _create(
        client,
        {
            "name": "sample individual campaign",
            "services": "PHONE",
            "individual_number": [9876543210, 98675432123],
            "description": "This campaign is to notify users that an IPO has been opened",
        },
    )
    assert Campaign.objects.count() == 3
    assert Campaign.objects.get(name="sample bulk campaign").usable_tags == ["tags_name", "tags_age"]


def test_update_details_report_and_delete_samples(client):
    campaign_id = _individual_campaign(client)  # live: the id in the URL
    response = client.put(
        f"{SYSTEM}/campaigns/{campaign_id}/update/",
        {"name": "new campaign name", "services": "SMS", "description": "Election campaign for 2023"},
        format="json",
    )
    assert_envelope(response, status=200, message="Campaign details successfully updated.")
    details = assert_envelope(client.get(f"{SYSTEM}/campaigns/{campaign_id}/details"), status=200)
    assert details["data"]["details"][0]["name"] == "new campaign name"
    download = client.get(f"{SYSTEM}/campaigns/report/download/", {"campaign_id": campaign_id})
    assert download.status_code == 200
    assert client.get(f"{SYSTEM}/campaigns/report/summary/").status_code == 200
    assert client.get(f"{SYSTEM}/campaigns").status_code == 200
    assert_envelope(client.delete(f"{SYSTEM}/campaigns/{campaign_id}/delete"), status=200)


def test_number_samples(client):
    campaign_id = _bulk_campaign(client)  # usable_tags tags_name, tags_age, as the samples use
    url = f"{SYSTEM}/campaigns/number/{campaign_id}/"
    assert_envelope(client.post(url, {"number": 9843812344}, format="json"), status=201)
    response = client.post(
        url, {"number": 9832123432, "available_tags": {"tags_name": "name", "tags_age": 25}}, format="json"
    )
    added = assert_envelope(response, status=201)
    listed = assert_envelope(client.get(f"{SYSTEM}/campaigns/number/{campaign_id}"), status=200)
    assert 9832123432 in [row["number"] for row in listed["data"]["number-lists"]]
    number_id = Recipient.objects.get(number="+9779832123432").pk  # live: the id in the URL
    assert added["status"] == 201
    assert_envelope(client.get(f"{SYSTEM}/number/{number_id}/"), status=200)
    response = client.put(
        f"{SYSTEM}/number/{number_id}/",
        {"number": 9832123432, "available_tags": {"tags_name": "name", "tags_age": 25}},
        format="json",
    )
    assert_envelope(response, status=200, message="Action details successfully updated.")
    assert_envelope(client.delete(f"{SYSTEM}/campaigns/number/{number_id}/delete/"), status=200)


# --- TingTing: begin ----------------------------------------------------------------------------


def _stored_content(campaign_id: int, *, statuses: tuple[str, ...], audio: bool) -> list[int]:
    """A campaign that ran before: its message (and ``audio``) stored, recipients in ``statuses``."""
    campaign = Campaign.objects.get(pk=campaign_id)
    campaign.message = MESSAGE
    if audio:  # "a campaign that has Message and Audio input set" (the priority sample)
        campaign.audio_file.save("greeting.wav", wav_upload(20.0), save=False)
        campaign.audio_seconds = 20.0
    campaign.save(update_fields=["message", "audio_file", "audio_seconds"])
    recipients = list(campaign.recipients.order_by("id"))
    for recipient, status in zip(recipients, statuses, strict=False):
        recipient.status = status
        recipient.save(update_fields=["status"])
    return [r.pk for r in recipients]


@pytest.mark.parametrize(
    "sample",
    [
        {"message": "नमस्कार, टिङ्टिंगमा हजुरलाई स्वागत छ "},
        {"length_factor": "1.4"},
        {"schedule_date": "2023-05-09T17:07"},
        {"message": "नमस्कार, टिङ्टिंगमा हजुरलाई स्वागत छ"},
        {"message": "Message to Convey", "voice_input": "np_prasanna"},
        {"message": "नमस्कार, टिङ्टिंगमा हजुरलाई स्वागत छ ", "individual": [2, 3]},
        {"message": "नमस्कार, टिङ्टिंगमा हजुरलाई स्वागत छ ", "individual": [305, 306]},
        {"message": "Here you send your message you want to convey", "status": ["failed, hungup"]},
        {
            "priority": "audio",
            "voice_input": "np_prasanna",
            "schedule_date": "2023-05-09T17:07",
            "status": ["failed", "hungup"],
        },
    ],
)
def test_begin_samples(client, sample):
    campaign_id = _individual_campaign(client)
    statuses = ("failed", "hungup") if "status" in sample else ("not started", "not started")
    ids = _stored_content(campaign_id, statuses=statuses, audio="priority" in sample)
    body = dict(sample)
    if "individual" in body:
        body["individual"] = ids  # live: the campaign's recipient ids
    if "schedule_date" in body:
        body["schedule_date"] = _next_year(body["schedule_date"])  # live: the date has passed
    response = client.post(f"{SYSTEM}/campaigns/{campaign_id}/begin/", body, format="json")
    answer = assert_envelope(response, status=200)
    assert answer["message"].startswith("Campaign scheduled for" if "schedule_date" in body else "Campaign is running")
    assert answer["data"]["hold amount"].endswith("credits on hold for sample individual campaign campaign.")


def test_begin_with_the_audio_sample(client):
    campaign_id = _individual_campaign(client)
    audio = io.BytesIO(mp3_file(10.0))
    audio.name = "audio.mp3"  # live: "path/containing/audio.mp3", uploaded
    response = client.post(f"{SYSTEM}/campaigns/{campaign_id}/begin/", {"aud_file": audio})
    assert_envelope(response, status=200, message="Campaign is running!!")


# --- TingTing: OTP ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "sample",
    [
        {
            "number": "9851023212",
            "message": "Hi your OTP is {otp}",
            "sms_send_options": "text",
            "otp_options": "personnel",
            "otp": "12345",
        },
        {
            "number": "9851023212",
            "message": "Hi your OTP is {otp}",
            "sms_send_options": "voice",
            "otp_options": "generated",
            "otp_length": "4",
        },
    ],
)
def test_otp_samples(client, sample):
    body = assert_envelope(client.post(f"{SYSTEM}/send/otp/", sample, format="json"), status=200)
    assert body["message"] == "OTP Sent Successfully."
    assert body["data"]["details"]["number"] == "9851023212"


# --- Tling ---------------------------------------------------------------------------------------


@pytest.fixture
def tling(seed_user):
    return key_client_for(seed_user)


def test_tling_contact_and_list_samples(tling):
    created = tling.post(f"{V0}/contacts", {"name": "Foobar", "phoneNumber": "+351911111111"}, format="json")
    assert created.status_code == 200 and created.json()["phoneNumber"] == "911111111"
    contact_id = created.json()["id"]  # live
    patched = tling.patch(f"{V0}/contacts/{contact_id}", {"phoneNumber": "+351911111122"}, format="json")
    assert patched.status_code == 200 and patched.json()["phoneNumber"] == "911111122"
    listed = tling.post(f"{V0}/lists", {"name": "List1"}, format="json")
    assert listed.status_code == 200
    list_id = listed.json()["id"]  # live
    assert tling.post(f"{V0}/lists/{list_id}/contacts", [contact_id], format="json").status_code == 204
    assert tling.patch(f"{V0}/lists/{list_id}", {"name": "List2"}, format="json").status_code == 200
    assert tling.get(f"{V0}/lists/{list_id}").status_code == 200
    assert tling.delete(f"{V0}/lists/{list_id}/contacts", [contact_id], format="json").status_code == 204
    assert tling.delete(f"{V0}/lists/{list_id}").status_code == 204
    assert tling.get(f"{V0}/contacts/{contact_id}").status_code == 200
    assert tling.delete(f"{V0}/contacts/{contact_id}").status_code == 204


def test_tling_message_samples(tling):
    cost = tling.post(f"{V0}/messages/costs", {"text": "Foobar", "to": ["+351911111111"]}, format="json")
    assert cost.status_code == 200 and "credits" in cost.json()
    assert (
        tling.post(f"{V0}/messages/cost", {"text": "Foobar", "to": ["+351911111111"]}, format="json").status_code == 200
    )
    assert tling.post(f"{V0}/messages", {"text": "Foobar", "to": ["+351911111111"]}, format="json").status_code == 204
    assert tling.get(f"{V0}/messages").json()["total"] == 1
    message_id = tling.get(f"{V0}/messages").json()["data"][0]["id"]  # live
    assert tling.get(f"{V0}/messages/{message_id}").status_code == 200
    for query in ("page[size]=10&page[number]=2", "sort=createdAt", "sort=-createdAt", "status=queued"):
        assert tling.get(f"{V0}/messages?{query}").status_code == 200, query
    for collection in ("contacts", "lists", "schedule/message"):
        assert tling.get(f"{V0}/{collection}").status_code == 200, collection
    # live: the filter illustration's fields (foo, qux) are placeholders.
    response = tling.get(f"{V0}/contacts?filter[name][eq]=bar,biz&filter[email]=qix")
    assert response.status_code == 200


def test_tling_schedule_samples(tling):
    response = tling.post(
        f"{V0}/schedule/message",
        {"date": _next_year("2025-01-01T12:30:00.000Z"), "text": "foo", "to": ["+351999999999"]},  # live: date, JSON
        format="json",
    )
    assert response.status_code == 204, response.content
    listed = tling.get(f"{V0}/schedule/message").json()
    assert listed["data"][0]["data"]["to"] == ["+351999999999"]
    schedule_id = listed["data"][0]["id"]  # live
    response = tling.patch(
        f"{V0}/schedule/message/{schedule_id}", {"text": "bar", "to": ["+351987653321", "+351987654322"]}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["data"][0]["data"]["to"] == ["+351987653321", "+351987654322"]
    assert tling.delete(f"{V0}/schedule/message/{schedule_id}").status_code == 204
    # The list sample's own number.
    response = tling.post(
        f"{V0}/schedule/message",
        {"date": _next_year("2025-01-01T12:30:00.000Z"), "text": "foo", "to": ["+351987654323"]},
        format="json",
    )
    assert response.status_code == 204
