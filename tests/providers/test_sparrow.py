"""Sparrow SMS backend over real HTTP against a local fake Sparrow, and its
token-authenticated delivery reports."""

import pytest

from tests.support.fake_vendors import SPARROW_IDENTITY, SPARROW_TOKEN, FakeSparrow
from tingting.models import ProviderMessage
from tingting.providers import reports, reset_backends, sms_backend
from tingting.providers.base import (
    OutboundSms,
    ProviderPermanentError,
    ProviderTemporaryError,
    ProviderTimeoutError,
)
from tingting.providers.sparrow import SparrowSmsBackend

pytestmark = pytest.mark.django_db

PUBLIC = "https://tingting.example.org"


@pytest.fixture
def sparrow(settings):
    with FakeSparrow() as fake:
        settings.SPARROW_API_BASE = fake.base_url
        settings.SPARROW_TOKEN = SPARROW_TOKEN
        settings.SPARROW_FROM = SPARROW_IDENTITY
        settings.SPARROW_DLR_FIELD = ""
        settings.PUBLIC_BASE_URL = PUBLIC
        settings.PROVIDER_TIMEOUT_SECONDS = 0.5
        settings.SMS_BACKEND = "tingting.providers.sparrow.SparrowSmsBackend"
        reset_backends()
        yield fake
    reset_backends()


CALLS: list = []
STATE: dict = {}


def record(report):
    CALLS.append(report)
    if STATE.get(report.reference) in (None, "queued", "sent"):
        STATE[report.reference] = report.status


@pytest.fixture
def received():
    reports.register("test", "tests.providers.test_sparrow.record")
    CALLS.clear()
    STATE.clear()
    yield CALLS
    reports.ROUTES.pop("test")


def send(reference="test:sp", to="+9779841234567", body="नमस्ते"):
    return sms_backend().send(OutboundSms(to=to, body=body, reference=reference))


def test_sms_is_posted_with_token_identity_and_national_number(sparrow, received):
    result = send()

    (request,) = sparrow.posts()
    assert request["path"] == "/v2/sms/"
    assert request["form"] == {
        "token": [SPARROW_TOKEN],
        "from": [SPARROW_IDENTITY],
        "to": ["9841234567"],
        "text": ["नमस्ते"],
    }
    assert result.accepted and result.provider_id.startswith("SP") and len(result.provider_id) == 34
    assert [(r.reference, r.provider_id, r.status) for r in received] == [("test:sp", result.provider_id, "sent")]
    row = ProviderMessage.objects.get(reference="test:sp")
    assert (row.backend, row.state, row.status, row.to) == ("sparrow-sms", "accepted", "sent", "+9779841234567")


def test_sending_an_accepted_reference_again_does_not_resend(sparrow):
    first = send()
    assert send().provider_id == first.provider_id
    assert len(sparrow.sent) == 1


@pytest.mark.parametrize(
    ("token", "sender", "code"), [("bad", SPARROW_IDENTITY, "1002"), (SPARROW_TOKEN, "Unknown", "1008")]
)
def test_refusals_are_permanent_with_sparrows_code(sparrow, settings, token, sender, code):
    settings.SPARROW_TOKEN, settings.SPARROW_FROM = token, sender
    with pytest.raises(ProviderPermanentError) as info:
        send()
    assert (info.value.status, info.value.code) == (403, code)
    assert ProviderMessage.objects.get(reference="test:sp").state == "rejected"
    assert sparrow.sent == []


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (403, {"response_code": 1013, "response": "Insufficient Credits"}),
        (403, {"response_code": 1012, "response": "No Credits Available"}),
        (500, {"response_code": 500, "response": "Internal error"}),
        (429, {"response_code": 429, "response": "Too many requests"}),
    ],
)
def test_credit_exhaustion_5xx_and_429_are_temporary_and_resendable(sparrow, status, body):
    sparrow.fail_next(status, body)
    with pytest.raises(ProviderTemporaryError) as info:
        send()
    assert not isinstance(info.value, ProviderTimeoutError)
    assert info.value.code == str(body["response_code"])
    assert send().accepted
    assert len(sparrow.sent) == 1


def test_http_200_without_response_code_200_is_a_refusal(sparrow):
    sparrow.fail_next(200, {"response_code": 1011, "response": "No valid receiver"})
    with pytest.raises(ProviderPermanentError) as info:
        send()
    assert info.value.code == "1011"


def test_foreign_number_is_refused_without_a_request(sparrow):
    with pytest.raises(ProviderPermanentError) as info:
        send(to="+15005550006")
    assert info.value.code == "unsupported_destination"
    assert sparrow.requests == []


def test_timeout_after_acceptance_is_never_resent(sparrow, received):
    sparrow.stall_next(1.5)
    with pytest.raises(ProviderTimeoutError):
        send()
    assert len(sparrow.sent) == 1  # Sparrow accepted it

    report = SparrowSmsBackend().lookup("test:sp")
    assert (report.reference, report.status) == ("test:sp", "queued")
    assert "outcome unknown" in report.error
    with pytest.raises(ProviderTimeoutError):
        send()
    assert len(sparrow.posts()) == 1
    assert received == []


def test_lookup_of_unknown_reference_is_none(sparrow):
    assert SparrowSmsBackend().lookup("test:never") is None


@pytest.fixture
def with_dlr(sparrow, settings):
    settings.SPARROW_DLR_FIELD = "dlr_url"
    return sparrow


def dlr_path(fake) -> str:
    url = fake.posts()[-1]["form"]["dlr_url"][0]
    assert url.startswith(f"{PUBLIC}/webhooks/sparrow/dlr/")
    return url[len(PUBLIC) :]


def test_delivery_report_with_the_message_token_is_delivered(with_dlr, received, client):
    result = send()
    path = dlr_path(with_dlr)
    response = client.post(path, {"status": "DELIVRD"})
    assert response.status_code == 204
    assert [(r.status, r.provider_id) for r in received] == [
        ("sent", result.provider_id),
        ("delivered", result.provider_id),
    ]
    assert ProviderMessage.objects.get(reference="test:sp").status == "delivered"


def test_each_message_gets_its_own_unguessable_token(with_dlr):
    send("test:one")
    send("test:two")
    first, second = dlr_path(with_dlr).split("/")[-2], with_dlr.posts()[0]["form"]["dlr_url"][0].split("/")[-2]
    assert first != second and len(first) >= 32


def test_delivery_report_with_a_wrong_token_is_404_and_changes_nothing(with_dlr, received, client):
    send()
    path = dlr_path(with_dlr)
    response = client.post(path.replace(path.split("/")[-2], "guessed-token"), {"status": "delivered"})
    assert response.status_code == 404
    assert [r.status for r in received] == ["sent"]
    assert ProviderMessage.objects.get(reference="test:sp").status == "sent"


def test_delivery_report_without_or_with_unknown_status_is_refused(with_dlr, received, client):
    send()
    path = dlr_path(with_dlr)
    assert client.post(path, {}).status_code == 400
    assert client.post(path, {"status": "teleported"}).status_code == 400
    assert [r.status for r in received] == ["sent"]


def test_replayed_delivery_report_changes_nothing(with_dlr, received, client):
    send()
    path = dlr_path(with_dlr)
    for status in ("delivered", "delivered", "expired"):
        assert client.post(path, {"status": status}).status_code == 204
    assert [r.status for r in received] == ["sent", "delivered", "delivered", "expired"]
    assert STATE == {"test:sp": "delivered"}
    assert ProviderMessage.objects.get(reference="test:sp").status == "delivered"


def test_delivery_report_as_json_or_get_is_accepted(with_dlr, received, client):
    send("test:json")
    assert client.post(dlr_path(with_dlr), {"status": "delivered"}, content_type="application/json").status_code == 204
    send("test:get")
    assert client.get(dlr_path(with_dlr), {"status": "failed"}).status_code == 204
    assert STATE == {"test:json": "delivered", "test:get": "failed"}


def test_admin_lists_provider_messages_without_the_callback_token(with_dlr):
    from django.test import Client

    from tests.support.factories import UserFactory

    send()
    row = ProviderMessage.objects.get(reference="test:sp")
    staff = Client()
    staff.force_login(UserFactory(is_staff=True, is_superuser=True))
    listing = staff.get("/admin/tingting/providermessage/")
    assert listing.status_code == 200 and "test:sp" in listing.content.decode()
    detail = staff.get(f"/admin/tingting/providermessage/{row.pk}/change/")
    assert detail.status_code == 200 and row.callback_token not in detail.content.decode()
    assert staff.get("/admin/tingting/providermessage/add/").status_code == 403
