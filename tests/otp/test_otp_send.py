"""POST /api/system/send/otp/: envelope, validation, credits, limits (docs/api/API_CONTRACT.md §2 "OTP", §9)."""

from __future__ import annotations

import re

import pytest

from accounts.models import LedgerEntry
from otp.models import Otp
from tests.support.envelope import assert_envelope, assert_error
from tests.support.factories import UserFactory
from tests.support.threads import run_in_threads
from tingting.models import IdempotencyRecord

URL = "/api/system/send/otp/"
NUMBER = "9851023212"
E164 = "+9779851023212"


def send(client, **fields):
    body = {"number": NUMBER, "message": "Hi your OTP is {otp}", "sms_send_options": "text", **fields}
    return client.post(URL, body, format="json")


@pytest.mark.django_db
def test_generated_text_otp_answers_the_contract_envelope(auth_client, user):
    response = send(auth_client, otp_options="generated", otp_length="4")
    body = assert_envelope(response, status=200, message="OTP Sent Successfully.")
    details = body["data"]["details"]
    assert list(body["data"]) == ["details"]
    assert list(details) == ["number", "otp_options", "message", "otp", "sms_send_options"]
    code = details["otp"]
    assert re.fullmatch(r"[0-9]{4}", code)
    assert details == {
        "number": NUMBER,
        "otp_options": "generated",
        "message": "Hi your OTP is " + " ".join(code),
        "otp": code,
        "sms_send_options": "text",
    }
    row = Otp.objects.get()
    assert (row.user_id, row.number, row.channel, row.status, row.billing, row.price) == (
        user.pk,
        E164,
        "text",
        "queued",
        "held",
        1,
    )
    user.refresh_from_db()
    assert (user.credits, user.credits_held) == (999, 1)


@pytest.mark.django_db
def test_personnel_voice_otp_without_trailing_slash(auth_client, user):
    response = auth_client.post(
        URL.rstrip("/"),
        {
            "number": NUMBER,
            "message": "Hi your OTP is {otp}",
            "sms_send_options": "voice",
            "otp_options": "personnel",
            "otp": "12345",
        },
        format="json",
    )
    body = assert_envelope(response, status=200, message="OTP Sent Successfully.")
    assert body["data"] == {
        "details": {
            "number": NUMBER,
            "otp_options": "personnel",
            "message": "Hi your OTP is 1 2 3 4 5",
            "otp": "12345",
            "sms_send_options": "voice",
        }
    }
    row = Otp.objects.get()
    assert (row.channel, row.price, row.code_length) == ("voice", 1, 5)


@pytest.mark.django_db
def test_defaults_are_generated_and_six_digits(auth_client):
    details = assert_envelope(send(auth_client), status=200)["data"]["details"]
    assert details["otp_options"] == "generated"
    assert re.fullmatch(r"[0-9]{6}", details["otp"])


@pytest.mark.django_db
def test_generated_ignores_an_otp_sent_along(auth_client):
    details = assert_envelope(send(auth_client, otp_options="generated", otp="4444", otp_length=8), status=200)["data"][
        "details"
    ]
    assert len(details["otp"]) == 8


@pytest.mark.django_db
def test_text_price_follows_segments_and_account_rate(auth_client, user):
    user.sms_credits_per_segment = 3
    user.save(update_fields=["sms_credits_per_segment"])
    assert_envelope(send(auth_client, message="x" * 155 + " {otp}"), status=200)  # 162 characters: 2 segments
    assert Otp.objects.get().price == 6
    user.refresh_from_db()
    assert (user.credits, user.credits_held) == (994, 6)


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"message": "Hi, no code here"}, "message"),
        ({"message": "{otp} and again {otp}"}, "message"),
        ({"message": ""}, "message"),
        ({"message": None}, "message"),
        ({"otp_length": "3"}, "otp_length"),
        ({"otp_length": 11}, "otp_length"),
        ({"otp_length": "six"}, "otp_length"),
        ({"otp_options": "personnel"}, "otp"),
        ({"otp_options": "personnel", "otp": ""}, "otp"),
        ({"otp_options": "personnel", "otp": "12a45"}, "otp"),
        ({"otp_options": "personnel", "otp": "123"}, "otp"),
        ({"otp_options": "personnel", "otp": "١٢٣٤٥"}, "otp"),  # non-ASCII digits
        ({"sms_send_options": "fax"}, "sms_send_options"),
        ({"sms_send_options": None}, "sms_send_options"),
        ({"otp_options": "mine"}, "otp_options"),
        ({"number": "12"}, "number"),
        ({"number": "not a number"}, "number"),
        ({"number": ["9851023212"]}, "number"),
    ],
)
@pytest.mark.django_db
def test_bad_input_is_400_naming_the_field(auth_client, user, fields, field):
    body = assert_error(send(auth_client, **fields), status=400, field=field)
    assert body["data"] == {}
    assert not Otp.objects.exists()
    user.refresh_from_db()
    assert (user.credits, user.credits_held) == (1000, 0)


@pytest.mark.django_db
def test_missing_fields_are_named(auth_client):
    body = assert_error(auth_client.post(URL, {}, format="json"), status=400)
    assert {e["field"] for e in body["errors"]} == {"number", "message", "sms_send_options"}


@pytest.mark.django_db
def test_not_enough_credits_is_402_and_creates_nothing(api_client):
    from tests.support.clients import client_for

    poor = UserFactory(credits=0)
    assert_error(send(client_for(poor)), status=402, code="insufficient_credits")
    assert not Otp.objects.exists()
    assert not LedgerEntry.objects.filter(user=poor).exists()


@pytest.mark.django_db
def test_unauthenticated_is_401(api_client):
    assert_error(send(api_client), status=401)


@pytest.mark.django_db
def test_sixth_send_to_a_number_is_429_with_retry_after(auth_client, user):
    for _ in range(5):
        assert_envelope(send(auth_client), status=200)
    response = send(auth_client)
    assert_error(response, status=429, code="otp_rate_limited")
    assert 1 <= int(response["Retry-After"]) <= 601
    # Another number and another account are not affected.
    assert_envelope(send(auth_client, number="9851023213"), status=200)
    assert Otp.objects.filter(user=user).count() == 6
    user.refresh_from_db()
    assert user.credits_held == 6


@pytest.mark.django_db
def test_limit_window_slides(auth_client):
    from datetime import timedelta

    for _ in range(5):
        assert_envelope(send(auth_client), status=200)
    oldest = Otp.objects.order_by("id").first()
    Otp.objects.filter(pk=oldest.pk).update(created_at=oldest.created_at - timedelta(minutes=11))
    assert_envelope(send(auth_client), status=200)
    assert_error(send(auth_client), status=429)


@pytest.mark.django_db(transaction=True)
def test_parallel_sends_to_one_number_never_pass_the_limit(purge_broker):
    from tests.support.clients import client_for

    account = UserFactory(credits=1000)

    def work(_index: int):
        return send(client_for(account))

    responses = run_in_threads(20, work)
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] * 5 + [429] * 15, statuses
    assert all(int(r["Retry-After"]) >= 1 for r in responses if r.status_code == 429)
    assert Otp.objects.filter(user=account).count() == 5
    account.refresh_from_db()
    assert (account.credits, account.credits_held) == (995, 5)


@pytest.mark.django_db(transaction=True)
def test_parallel_sends_from_one_account_never_pass_the_account_limit(settings, purge_broker):
    from tests.support.clients import client_for

    settings.THROTTLE_RATES = {**settings.THROTTLE_RATES, "otp_account": "7/h"}
    account = UserFactory(credits=1000)

    def work(index: int):
        return send(client_for(account), number=f"98510232{index:02d}")

    responses = run_in_threads(20, work)
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] * 7 + [429] * 13, statuses
    assert Otp.objects.filter(user=account).count() == 7


@pytest.mark.django_db
def test_idempotency_key_replays_the_same_otp_and_keeps_it_sealed(auth_client, user):
    first = auth_client.post(
        URL,
        {"number": NUMBER, "message": "Code {otp}", "sms_send_options": "text"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="otp-1",
    )
    again = auth_client.post(
        URL,
        {"number": NUMBER, "message": "Code {otp}", "sms_send_options": "text"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="otp-1",
    )
    assert again.status_code == 200 and again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert Otp.objects.count() == 1
    code = first.json()["data"]["details"]["otp"]
    record = IdempotencyRecord.objects.get(key="otp-1")
    assert code not in str(record.response_body) and " ".join(code) not in str(record.response_body)
    other = auth_client.post(
        URL,
        {"number": NUMBER, "message": "Other {otp}", "sms_send_options": "text"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="otp-1",
    )
    assert_error(other, status=422)
