"""v1 OTP (docs/api/API_CONTRACT_V1.md §6): send with company_name and voice_input, the masked list, verify."""

import pytest

from otp import codes
from otp.models import Otp
from otp.services import otp_deliver, spoken_text
from tests.support.envelope import assert_envelope, assert_error
from tingting.models import SimulatedDelivery
from tingting.voice.render import OTP_SCOPE, render_cached

pytestmark = pytest.mark.django_db

URL = "/api/v1/auths/send/otp/"


def _send(client, **fields):
    body = {
        "number": "9851023212",
        "message": "{company_name}: your OTP is {otp}",
        "sms_send_options": "text",
        "company_name": "Acme",
        **fields,
    }
    return client.post(URL, body, format="json")


def test_send_keeps_the_envelope_and_adds_the_v1_details(auth_client, user):
    body = assert_envelope(_send(auth_client, otp_length=4), status=200, message="OTP Sent Successfully.")
    details = body["data"]["details"]
    code = details["otp"]
    assert details["message"] == "Acme: your OTP is " + " ".join(code)
    user.refresh_from_db()
    assert details["credits_used"] == 1 and details["company_name"] == "Acme"
    assert details["remaining_sms_credits"] == details["remaining_phone_credits"] == user.credits == 999


def test_company_name_is_required_and_short(auth_client):
    assert_error(_send(auth_client, company_name=""), status=400, field="company_name")
    assert_error(_send(auth_client, company_name="x" * 61), status=400, field="company_name")
    assert_error(_send(auth_client, voice_input="np_nobody"), status=400, field="voice_input")


def test_voice_otp_is_spoken_with_the_voice_input(auth_client, user, media, settings):
    settings.PUBLIC_BASE_URL = "http://testserver"
    _send(auth_client, sms_send_options="voice", voice_input="np_shreegya")
    row = Otp.objects.get()
    assert row.voice == "np_shreegya"
    sealed = _sealed_of(row)
    otp_deliver(otp_id=row.pk, sealed=sealed)
    call = SimulatedDelivery.objects.get(channel="voice", to=row.number)
    # The call played the code spoken by Shreegya (the render key names text and voice).
    spoken = spoken_text(row.message_template, "4321")
    factor = settings.OTP_VOICE_LENGTH_FACTOR
    expected = render_cached(text=spoken, voice="np_shreegya", length_factor=factor, scope=OTP_SCOPE)
    default = render_cached(text=spoken, voice=settings.OTP_VOICE, length_factor=factor, scope=OTP_SCOPE)
    assert expected.key in call.audio_url and default.key not in call.audio_url


def _sealed_of(row):
    # The code itself is only in the answer; a fresh sealed payload with a known code for delivery.
    code = "4321"
    row.code_salt = codes.new_salt()
    row.code_hmac = codes.code_hmac(code=code, salt=row.code_salt, user_id=row.user_id, number=row.number)
    row.code_length = 4
    row.save(update_fields=["code_salt", "code_hmac", "code_length"])
    return codes.seal({"otp": row.pk, "code": code})


def test_list_is_paged_and_masked(auth_client, other_client):
    sent = [_send(auth_client).json()["data"]["details"]["otp"] for _ in range(3)]
    _send(other_client)
    body = auth_client.get("/api/v1/auths/list/send-otps/?limit=2").json()
    assert body["count"] == 3 and body["total_pages"] == 2 and body["next"]
    results = body["results"]
    assert set(results) == {"status", "success", "errors", "data"} and results["success"] is True
    assert len(results["data"]) == 2
    row = results["data"][0]
    assert set(row) == {"id", "phone_number", "message", "otp", "otp_options", "sms_send_options", "created_at"}
    assert row["otp"] == "••••" and all(code not in str(body) for code in sent)


def test_verify_is_served_on_v1(auth_client):
    code = _send(auth_client).json()["data"]["details"]["otp"]
    response = auth_client.post("/api/v1/auths/verify/otp/", {"number": "9851023212", "otp": code}, format="json")
    assert assert_envelope(response, status=200)["data"] == {"verified": True}
