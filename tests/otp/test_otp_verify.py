"""POST /api/system/verify/otp/: latest per (account, number), 10 minutes, single use, 5 tries."""

from __future__ import annotations

from datetime import timedelta

import pytest

from otp.models import Otp
from tests.support.envelope import assert_envelope, assert_error
from tests.support.threads import run_in_threads

SEND = "/api/system/send/otp/"
VERIFY = "/api/system/verify/otp/"
NUMBER = "9851023212"


def send(client, code: str | None = None, number: str = NUMBER) -> str:
    body = {"number": number, "message": "Code {otp}", "sms_send_options": "text"}
    if code:
        body |= {"otp_options": "personnel", "otp": code}
    response = client.post(SEND, body, format="json")
    assert response.status_code == 200, response.json()
    return response.json()["data"]["details"]["otp"]


def verify(client, code, number=NUMBER, url=VERIFY):
    return client.post(url, {"number": number, "otp": code}, format="json")


def assert_not_verified(response, *, code: str, status: int = 400) -> dict:
    body = assert_error(response, status=status, code=code)
    assert body["data"] == ({"verified": False} if status == 400 else {})
    return body


@pytest.mark.django_db
def test_right_code_verifies_once(auth_client):
    code = send(auth_client)
    body = assert_envelope(verify(auth_client, code), status=200, message="OTP verified.")
    assert body["data"] == {"verified": True}
    assert Otp.objects.get().verified_at is not None
    # Single use: the same code again is refused.
    assert_not_verified(verify(auth_client, code), code="otp_expired")


@pytest.mark.django_db
def test_number_is_parsed_like_on_send_and_slashless_path_works(auth_client):
    code = send(auth_client)
    response = verify(auth_client, code, number="+977 985-1023212", url=VERIFY.rstrip("/"))
    assert assert_envelope(response, status=200)["data"] == {"verified": True}


@pytest.mark.django_db
def test_wrong_code_is_otp_invalid_and_counts_a_try(auth_client):
    send(auth_client, "1111")
    body = assert_not_verified(verify(auth_client, "2222"), code="otp_invalid")
    assert body["errors"][0]["field"] == "otp"
    assert "4 tries left" in body["message"]
    assert Otp.objects.get().attempts == 1
    assert_envelope(verify(auth_client, "1111"), status=200)


@pytest.mark.django_db
def test_nothing_sent_to_the_number_is_otp_invalid(auth_client):
    assert_not_verified(verify(auth_client, "123456"), code="otp_invalid")


@pytest.mark.django_db
def test_expired_code_is_otp_expired(auth_client):
    code = send(auth_client)
    # Move the clock 10 minutes and 1 second on, from the row's point of view.
    row = Otp.objects.get()
    shift = timedelta(minutes=10, seconds=1)
    Otp.objects.filter(pk=row.pk).update(created_at=row.created_at - shift, expires_at=row.expires_at - shift)
    assert_not_verified(verify(auth_client, code), code="otp_expired")


@pytest.mark.django_db
def test_still_valid_just_before_ten_minutes(auth_client):
    code = send(auth_client)
    row = Otp.objects.get()
    shift = timedelta(minutes=9, seconds=50)
    Otp.objects.filter(pk=row.pk).update(created_at=row.created_at - shift, expires_at=row.expires_at - shift)
    assert_envelope(verify(auth_client, code), status=200)


@pytest.mark.django_db
def test_five_wrong_tries_lock_until_expiry(auth_client):
    send(auth_client, "123456")
    for _ in range(5):
        assert_not_verified(verify(auth_client, "654321"), code="otp_invalid")
    response = verify(auth_client, "123456")  # even the right code now
    assert_not_verified(response, code="otp_locked", status=429)
    assert 1 <= int(response["Retry-After"]) <= 601
    assert Otp.objects.get().verified_at is None
    # A new OTP supersedes the locked one.
    fresh = send(auth_client)
    assert_envelope(verify(auth_client, fresh), status=200)


@pytest.mark.django_db
def test_new_otp_supersedes_the_old_one(auth_client):
    send(auth_client, "1111")
    send(auth_client, "2222")
    assert_not_verified(verify(auth_client, "1111"), code="otp_invalid")
    assert_envelope(verify(auth_client, "2222"), status=200)


@pytest.mark.django_db
def test_another_accounts_otp_cannot_be_verified(auth_client, other_client):
    code = send(auth_client)
    assert_not_verified(verify(other_client, code), code="otp_invalid")
    assert Otp.objects.get().attempts == 0
    assert_envelope(verify(auth_client, code), status=200)


@pytest.mark.django_db
def test_otp_for_another_number_does_not_verify_this_one(auth_client):
    code = send(auth_client, number="9851023213")
    assert_not_verified(verify(auth_client, code), code="otp_invalid")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"number": NUMBER}, "otp"),
        ({"number": NUMBER, "otp": "12ab"}, "otp"),
        ({"number": NUMBER, "otp": "123"}, "otp"),
        ({"number": NUMBER, "otp": "12345678901"}, "otp"),
        ({"otp": "1234"}, "number"),
        ({"number": "12", "otp": "1234"}, "number"),
    ],
)
@pytest.mark.django_db
def test_bad_verify_input_is_400_naming_the_field(auth_client, body, field):
    assert_error(auth_client.post(VERIFY, body, format="json"), status=400, field=field)


@pytest.mark.django_db(transaction=True)
def test_parallel_wrong_tries_count_exactly(purge_broker):
    from tests.support.clients import client_for
    from tests.support.factories import UserFactory

    account = UserFactory(credits=100)
    send(client_for(account), "123456")
    responses = run_in_threads(20, lambda i: verify(client_for(account), "000000"))
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [400] * 5 + [429] * 15, statuses
    assert Otp.objects.get().attempts == 5


@pytest.mark.django_db(transaction=True)
def test_parallel_right_tries_verify_once(purge_broker):
    from tests.support.clients import client_for
    from tests.support.factories import UserFactory

    account = UserFactory(credits=100)
    code = send(client_for(account))
    responses = run_in_threads(10, lambda i: verify(client_for(account), code))
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] + [400] * 9, statuses
