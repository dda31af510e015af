"""The Twilio number backend over real HTTP against a local fake of Twilio's REST API."""

from __future__ import annotations

import base64
import contextlib
import json
import socket
import threading
import time
from datetime import timedelta
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import StringIO
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.management import call_command
from django.utils import timezone

from accounts import ledger
from accounts.models import LedgerEntry
from phonenumbers_app.models import PhoneNumber
from phonenumbers_app.services import inventory_sync, number_purchases_reconcile
from tests.support.envelope import assert_envelope, assert_error
from tingting.providers import number_backend, reset_backends
from tingting.providers.base import (
    NumberOffer,
    ProviderPermanentError,
    ProviderTemporaryError,
    ProviderTimeoutError,
)
from tingting.providers.twilio_numbers import offer_sid

pytestmark = pytest.mark.django_db

ACCOUNT = "AC" + "a" * 32
TOKEN = "secret-token"
LIST = "/api/system/phone_numbers"
PREFIX = f"/2010-04-01/Accounts/{ACCOUNT}"


class FakeTwilio:
    """Speaks the 2010-04-01 JSON shapes of AvailablePhoneNumbers and IncomingPhoneNumbers."""

    def __init__(self) -> None:
        self.available = {
            "+14155550100": {"voice": True, "SMS": True, "MMS": False},
            "+14155550101": {"voice": True, "SMS": False, "MMS": False},
        }
        self.incoming: dict[str, str] = {}  # PN sid -> number
        self.requests: list[tuple[str, str, dict]] = []
        self.fail_status: int | None = None
        self.purchase_delay = 0.0
        self.drop_after_purchase = False  # bought, then the connection breaks before the answer
        self.purchase_undone = False  # with drop_after_purchase: Twilio did not keep the number
        self.fail_get_status: int | None = None  # every GET (the reconciling lookup) answers this
        self.delay = 0.0
        self._lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                fake.handle(self, "GET")

            def do_POST(self):
                fake.handle(self, "POST")

            def do_DELETE(self):
                fake.handle(self, "DELETE")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def handle(self, request: BaseHTTPRequestHandler, method: str) -> None:
        url = urlsplit(request.path)
        length = int(request.headers.get("Content-Length") or 0)
        form = {k: v[0] for k, v in parse_qs(request.rfile.read(length).decode()).items()}
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        with self._lock:
            self.requests.append((method, url.path, {**query, **form}))
        expected = "Basic " + base64.b64encode(f"{ACCOUNT}:{TOKEN}".encode()).decode()
        if request.headers.get("Authorization") != expected:
            return self.reply(request, 401, {"code": 20003, "message": "Authenticate", "status": 401})
        time.sleep(self.delay)
        if self.fail_get_status and method == "GET":
            return self.reply(request, self.fail_get_status, {"code": 20500, "message": "Internal", "status": 500})
        if self.fail_status:
            return self.reply(request, self.fail_status, {"code": 20500, "message": "Internal", "status": 500})
        path = url.path.removeprefix(PREFIX)
        if method == "GET" and path == "/AvailablePhoneNumbers/US/Local.json":
            items = [
                {
                    "friendly_name": f"({n[2:5]}) {n[5:8]}-{n[8:]}",
                    "phone_number": n,
                    "iso_country": "US",
                    "capabilities": caps,
                    "beta": False,
                    "region": "CA",
                }
                for n, caps in self.available.items()
            ]
            return self.reply(request, 200, {"available_phone_numbers": items, "uri": url.path})
        if method == "POST" and path == "/IncomingPhoneNumbers.json":
            number = form.get("PhoneNumber")
            if number not in self.available:
                return self.reply(
                    request, 400, {"code": 21422, "status": 400, "message": "PhoneNumber requested is not available"}
                )
            sid = "PN" + f"{len(self.incoming) + 1:032x}"
            self.incoming[sid] = number
            del self.available[number]
            time.sleep(self.purchase_delay)
            if self.drop_after_purchase:
                self.drop_after_purchase = False
                if self.purchase_undone:  # the connection broke before Twilio completed it
                    self.purchase_undone = False
                    del self.incoming[sid]
                request.close_connection = True
                request.connection.shutdown(socket.SHUT_RDWR)
                return None
            return self.reply(
                request,
                201,
                {
                    "sid": sid,
                    "account_sid": ACCOUNT,
                    "phone_number": number,
                    "capabilities": {"voice": True, "sms": True, "mms": False, "fax": False},
                },
            )
        if method == "GET" and path == "/IncomingPhoneNumbers.json":
            items = [
                {"sid": sid, "phone_number": n} for sid, n in self.incoming.items() if n == query.get("PhoneNumber")
            ]
            return self.reply(request, 200, {"incoming_phone_numbers": items})
        if method == "DELETE" and path.startswith("/IncomingPhoneNumbers/") and path.endswith(".json"):
            sid = path.removeprefix("/IncomingPhoneNumbers/").removesuffix(".json")
            if sid not in self.incoming:
                return self.reply(request, 404, {"code": 20404, "message": "not found", "status": 404})
            self.available[self.incoming.pop(sid)] = {"voice": True, "SMS": True}
            request.send_response(204)
            request.end_headers()
            return None
        return self.reply(request, 404, {"code": 20404, "message": "not found", "status": 404})

    @staticmethod
    def reply(request: BaseHTTPRequestHandler, status: int, body: dict) -> None:
        payload = json.dumps(body).encode()
        request.send_response(status)
        request.send_header("Content-Type", "application/json")
        request.send_header("Content-Length", str(len(payload)))
        request.end_headers()
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the client timed out
            request.wfile.write(payload)


@pytest.fixture
def twilio(settings):
    fake = FakeTwilio()
    settings.NUMBER_BACKEND = "tingting.providers.twilio_numbers.TwilioNumberBackend"
    settings.TWILIO_ACCOUNT_SID = ACCOUNT
    settings.TWILIO_AUTH_TOKEN = TOKEN
    settings.TWILIO_API_BASE = fake.base
    settings.TWILIO_NUMBER_COUNTRY = "US"
    settings.TWILIO_NUMBER_RATE = 100
    settings.PROVIDER_TIMEOUT_SECONDS = 2
    reset_backends()
    yield fake
    fake.server.shutdown()
    fake.server.server_close()
    reset_backends()


def test_search_maps_twilio_offers_with_basic_auth(twilio):
    offers = number_backend().available()
    assert offers == [
        NumberOffer("+14155550100", offer_sid("+14155550100"), Decimal(100), ("Voice", "SMS"), "(415) 555-0100"),
        NumberOffer("+14155550101", offer_sid("+14155550101"), Decimal(100), ("Voice",), "(415) 555-0101"),
    ]
    assert twilio.requests == [("GET", f"{PREFIX}/AvailablePhoneNumbers/US/Local.json", {"PageSize": "50"})]


def test_wrong_credentials_and_4xx_are_permanent(twilio, settings):
    settings.TWILIO_AUTH_TOKEN = "wrong"
    reset_backends()
    with pytest.raises(ProviderPermanentError, match="401"):
        number_backend().available()


@pytest.mark.parametrize("status", [500, 503, 429])
def test_5xx_and_429_are_temporary(twilio, status):
    twilio.fail_status = status
    with pytest.raises(ProviderTemporaryError) as caught:
        number_backend().available()
    assert not isinstance(caught.value, ProviderTimeoutError)


def test_purchase_answered_too_late_is_found_by_lookup(twilio, settings):
    settings.PROVIDER_TIMEOUT_SECONDS = 0.3
    reset_backends()
    twilio.purchase_delay = 1.0
    offer = NumberOffer("+14155550100", offer_sid("+14155550100"), Decimal(1))
    assert number_backend().purchase(offer) == "PN" + f"{1:032x}"
    assert [r[:2] for r in twilio.requests] == [
        ("POST", f"{PREFIX}/IncomingPhoneNumbers.json"),
        ("GET", f"{PREFIX}/IncomingPhoneNumbers.json"),
    ]


def test_a_connection_dropped_after_the_purchase_keeps_the_number_twilio_bills(twilio, auth_client, user):
    # issue 18: it was "nothing sent": refunded and unassigned, while Twilio owned (and billed) the number.
    inventory_sync()
    sid = offer_sid("+14155550100")
    twilio.drop_after_purchase = True
    response = auth_client.post(LIST, {"phone_sid": sid}, format="json")
    assert_envelope(response, status=200, message="14155550100 number bought successfully!!")
    number = PhoneNumber.objects.get(sid=sid)
    assert number.owner == user and number.vendor_id == "PN" + f"{1:032x}" == next(iter(twilio.incoming))
    assert [r[:2] for r in twilio.requests[-2:]] == [
        ("POST", f"{PREFIX}/IncomingPhoneNumbers.json"),
        ("GET", f"{PREFIX}/IncomingPhoneNumbers.json"),
    ]
    user.refresh_from_db()
    assert user.credits == 900 and not LedgerEntry.objects.filter(user=user, kind="refund").exists()
    assert ledger.invariant_gap(user_id=user.pk) == 0


def test_a_lost_purchase_answer_with_the_lookup_failing_too_stays_charged_until_twilio_answers(
    twilio, auth_client, user
):
    # issue 18: the lookup's failure was taken as "not bought": refunded while Twilio owned the number.
    inventory_sync()
    sid = offer_sid("+14155550100")
    twilio.drop_after_purchase = True
    twilio.fail_get_status = 503
    body = assert_error(
        auth_client.post(LIST, {"phone_sid": sid}, format="json"), status=503, code="purchase_unconfirmed"
    )
    assert "refunded if it did not go through" in body["message"]
    number = PhoneNumber.objects.get(sid=sid)
    assert number.owner == user and number.purchase_unconfirmed_at is not None
    user.refresh_from_db()
    assert user.credits == 900 and not LedgerEntry.objects.filter(user=user, kind="refund").exists()
    assert_error(auth_client.delete(LIST, {"phone_sid": sid}, format="json"), status=409, code="purchase_unconfirmed")

    assert number_purchases_reconcile() == {"bought": 0, "refunded": 0, "unknown": 1}  # Twilio still down
    twilio.fail_get_status = None
    assert number_purchases_reconcile() == {"bought": 1, "refunded": 0, "unknown": 0}
    number.refresh_from_db()
    assert number.owner == user and number.purchase_unconfirmed_at is None
    assert number.vendor_id == "PN" + f"{1:032x}" == next(iter(twilio.incoming))
    assert number_purchases_reconcile() == {"bought": 0, "refunded": 0, "unknown": 0}
    user.refresh_from_db()
    assert user.credits == 900 and ledger.invariant_gap(user_id=user.pk) == 0
    assert_envelope(auth_client.delete(LIST, {"phone_sid": sid}, format="json"), status=200, body_status=204)
    assert twilio.incoming == {}


def test_an_unconfirmed_purchase_twilio_does_not_list_is_refunded(twilio, auth_client, user):
    inventory_sync()
    sid = offer_sid("+14155550100")
    twilio.drop_after_purchase = True
    twilio.fail_get_status = 503
    auth_client.post(LIST, {"phone_sid": sid}, format="json")
    twilio.incoming.clear()  # Twilio never completed it
    twilio.fail_get_status = None
    assert number_purchases_reconcile() == {"bought": 0, "refunded": 1, "unknown": 0}
    number = PhoneNumber.objects.get(sid=sid)
    assert number.owner is None and number.purchase_unconfirmed_at is None
    user.refresh_from_db()
    assert user.credits == 1000 and ledger.invariant_gap(user_id=user.pk) == 0
    assert LedgerEntry.objects.filter(user=user, kind="refund").count() == 1
    assert number_purchases_reconcile() == {"bought": 0, "refunded": 0, "unknown": 0}


def test_an_unconfirmed_purchase_is_refunded_after_the_deadline_when_twilio_stays_down(
    twilio, auth_client, user, settings
):
    inventory_sync()
    sid = offer_sid("+14155550100")
    twilio.drop_after_purchase = True
    twilio.fail_get_status = 503
    auth_client.post(LIST, {"phone_sid": sid}, format="json")
    before = timezone.now() + timedelta(seconds=settings.PROVIDER_UNKNOWN_DEADLINE_SECONDS - 60)
    assert number_purchases_reconcile(now=before) == {"bought": 0, "refunded": 0, "unknown": 1}
    user.refresh_from_db()
    assert user.credits == 900
    after = timezone.now() + timedelta(seconds=settings.PROVIDER_UNKNOWN_DEADLINE_SECONDS + 60)
    assert number_purchases_reconcile(now=after) == {"bought": 0, "refunded": 1, "unknown": 0}
    assert PhoneNumber.objects.get(sid=sid).owner is None
    user.refresh_from_db()
    assert user.credits == 1000 and user.credits_held == 0 and ledger.invariant_gap(user_id=user.pk) == 0


def test_a_lost_purchase_answer_twilio_does_not_list_is_503_and_refunded(twilio, auth_client, user):
    inventory_sync()
    sid = offer_sid("+14155550100")
    twilio.drop_after_purchase = True
    twilio.purchase_undone = True
    body = assert_error(
        auth_client.post(LIST, {"phone_sid": sid}, format="json"), status=503, code="provider_unavailable"
    )
    assert "nothing was charged" in body["message"]
    assert PhoneNumber.objects.get(sid=sid).owner is None
    user.refresh_from_db()
    assert user.credits == 1000 and ledger.invariant_gap(user_id=user.pk) == 0


def test_no_answer_in_time_is_a_timeout(twilio, settings):
    settings.PROVIDER_TIMEOUT_SECONDS = 0.3
    reset_backends()
    twilio.delay = 1.0
    with pytest.raises(ProviderTimeoutError):
        number_backend().available()


def test_sync_buy_and_release_through_the_api(twilio, auth_client, user):
    assert inventory_sync() == {"added": 2, "updated": 0}
    assert inventory_sync() == {"added": 0, "updated": 2}
    rows = auth_client.get(LIST).json()["data"]["number_lists"]
    assert [(r["phone_number"], r["rate"], r["available_capabilities"], r["phone_number_sid"]) for r in rows] == [
        ("14155550100", 100.0, "Voice, SMS", offer_sid("+14155550100")),
        ("14155550101", 100.0, "Voice", offer_sid("+14155550101")),
    ]
    sid = offer_sid("+14155550100")
    assert_envelope(
        auth_client.post(LIST, {"phone_sid": sid}, format="json"),
        status=200,
        message="14155550100 number bought successfully!!",
    )
    number = PhoneNumber.objects.get(sid=sid)
    assert number.owner == user and number.vendor_id == "PN" + f"{1:032x}"
    assert ("POST", f"{PREFIX}/IncomingPhoneNumbers.json", {"PhoneNumber": "+14155550100"}) in twilio.requests
    user.refresh_from_db()
    assert user.credits == 900

    response = auth_client.delete(LIST, {"phone_sid": sid}, format="json")
    assert_envelope(response, status=200, body_status=204, message="14155550100 number released successfully!!")
    assert twilio.requests[-1][:2] == ("DELETE", f"{PREFIX}/IncomingPhoneNumbers/PN{1:032x}.json")
    number.refresh_from_db()
    assert number.owner is None and number.vendor_id == "" and twilio.incoming == {}


def test_number_gone_at_twilio_is_409_and_refunded(twilio, auth_client, user):
    inventory_sync()
    twilio.available.pop("+14155550100")
    sid = offer_sid("+14155550100")
    body = assert_error(
        auth_client.post(LIST, {"phone_sid": sid}, format="json"),
        status=409,
        code="number_unavailable",
        field="phone_sid",
    )
    assert body["message"] == "14155550100 number is no longer available."
    assert PhoneNumber.objects.get(sid=sid).owner is None
    user.refresh_from_db()
    assert user.credits == 1000
    assert sorted(LedgerEntry.objects.filter(user=user).exclude(kind="topup").values_list("kind", "amount")) == [
        ("purchase", 100),
        ("refund", 100),
    ]
    assert ledger.invariant_gap(user_id=user.pk) == 0


def test_twilio_down_on_buy_is_503_and_nothing_charged(twilio, auth_client, user):
    inventory_sync()
    twilio.fail_status = 500
    body = assert_error(
        auth_client.post(LIST, {"phone_sid": offer_sid("+14155550101")}, format="json"),
        status=503,
        code="provider_unavailable",
    )
    assert "nothing was charged" in body["message"]
    user.refresh_from_db()
    assert user.credits == 1000 and ledger.invariant_gap(user_id=user.pk) == 0


def test_twilio_down_on_release_is_503_and_the_number_stays_yours(twilio, auth_client, user):
    inventory_sync()
    sid = offer_sid("+14155550100")
    auth_client.post(LIST, {"phone_sid": sid}, format="json")
    twilio.fail_status = 502
    assert_error(auth_client.delete(LIST, {"phone_sid": sid}, format="json"), status=503)
    assert PhoneNumber.objects.get(sid=sid).owner == user


def test_release_of_a_number_already_gone_at_twilio_succeeds(twilio, auth_client, user):
    inventory_sync()
    sid = offer_sid("+14155550100")
    auth_client.post(LIST, {"phone_sid": sid}, format="json")
    twilio.incoming.clear()
    assert_envelope(auth_client.delete(LIST, {"phone_sid": sid}, format="json"), status=200, body_status=204)
    assert PhoneNumber.objects.get(sid=sid).owner is None


def test_sync_leaves_owned_numbers_alone_and_runs_as_a_command(twilio, user):
    inventory_sync()
    PhoneNumber.objects.filter(phone_number="+14155550101").update(owner=user, rate=7)
    out = StringIO()
    call_command("sync_numbers", stdout=out)
    assert out.getvalue().strip() == "Added 0, updated 1."
    assert PhoneNumber.objects.get(phone_number="+14155550101").rate == 7


def test_sync_is_a_no_op_for_the_local_inventory():
    reset_backends()
    assert inventory_sync() == {"added": 0, "updated": 0}
