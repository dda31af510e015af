"""Tling messages: create, cost, timeline, credits; the send path on a real worker."""

import re
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from accounts import ledger
from accounts.models import LedgerEntry
from tests.support.clients import key_client_for
from tests.support.envelope import assert_tling_error
from tests.support.workers import wait_until
from tingting.models import SimulatedDelivery
from tingting.providers import reports
from tingting.providers.base import StatusReport
from tling import services
from tling.models import Billing, Message, MessageStatus

V0 = "/api/v0"
TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
MESSAGE_KEYS = ["apiKeyId", "createdAt", "error", "id", "phoneCode", "phoneNumber", "report", "updatedAt"]
T0 = datetime(2024, 5, 1, 12, 0, 0, 123000, tzinfo=UTC)


def send(client, text="Foobar", to=("+9779801234560",), **headers):
    return client.post(f"{V0}/messages", {"text": text, "to": list(to)}, format="json", **headers)


def cost(client, text, to=("+9779801234560",), path="costs"):
    response = client.post(f"{V0}/messages/{path}", {"text": text, "to": list(to)}, format="json")
    assert response.status_code == 200, response.content
    assert list(response.json()) == ["credits"]
    return response.json()["credits"]


# --- cost (segments) ---------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("text", "credits"),
    [
        ("a" * 160, "1"),
        ("a" * 161, "2"),
        ("a" * 306, "2"),
        ("a" * 307, "3"),
        # GSM-7 extension characters take two septets: 80 € fill one message, 81 need two.
        ("€" * 80, "1"),
        ("€" * 81, "2"),
        ("{}" * 40, "1"),
        ("[" * 80 + "a", "2"),
        # Nepali (Devanagari) is UCS-2: 70 single, 67 per part.
        ("न" * 70, "1"),
        ("न" * 71, "2"),
        ("नमस्ते" * 22 + "नम", "2"),
        ("न" * 134, "2"),
        ("न" * 135, "3"),
        # An emoji is a surrogate pair (two UCS-2 units) and is never split.
        ("😀" * 35, "1"),
        ("😀" * 36, "2"),
        ("a" * 159 + "😀", "3"),
    ],
)
def test_cost_counts_segments(key_client, text, credits):
    assert cost(key_client, text) == credits


@pytest.mark.django_db
def test_cost_is_segments_times_recipients_times_rate_on_both_paths(key_client, user):
    to = ["+9779801234560", "+9779801234561", "+9779801234560"]  # duplicates collapse
    assert cost(key_client, "a" * 200, to) == "4"
    user.sms_credits_per_segment = 3
    user.save(update_fields=["sms_credits_per_segment"])
    assert cost(key_client, "a" * 200, to, path="cost") == "12"
    assert LedgerEntry.objects.filter(user=user).count() == 1  # pricing moves nothing


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "pointer"),
    [
        ({"text": "", "to": ["+9779801234560"]}, "/text"),
        ({"text": "a" * 1601, "to": ["+9779801234560"]}, "/text"),
        ({"to": ["+9779801234560"]}, "/text"),
        ({"text": "hi", "to": []}, "/to"),
        ({"text": "hi", "to": "+9779801234560"}, "/to"),
        ({"text": "hi", "to": ["+9779801234560"] * 1001}, "/to"),
        ({"text": "hi", "to": ["+9779801234560", "+9779801234561", "+9779801234562", "12345"]}, "/to/3"),
        ({"text": "hi", "to": ["9801234560"]}, "/to/0"),
        ({"text": "hi", "to": [None]}, "/to/0"),
    ],
)
@pytest.mark.parametrize("path", ["messages", "messages/costs"])
def test_bad_message_input_is_400_naming_the_field(key_client, user, body, pointer, path):
    assert_tling_error(key_client.post(f"{V0}/{path}", body, format="json"), status=400, pointer=pointer)
    assert not Message.objects.exists()


@pytest.mark.django_db
def test_every_invalid_recipient_is_named(key_client):
    body = assert_tling_error(send(key_client, to=["x", "+9779801234560", "+1", "+9779801234561"]), status=400)
    assert [e["source"]["pointer"] for e in body["errors"]] == ["/to/0", "/to/2"]


@pytest.mark.django_db
def test_body_that_is_not_an_object_is_400(key_client):
    assert_tling_error(key_client.post(f"{V0}/messages", ["hi"], format="json"), status=400)


# --- create, credits -----------------------------------------------------------------------


@pytest.mark.django_db
def test_create_is_204_one_message_per_recipient_with_credits_held(key_client, user):
    response = send(key_client, "a" * 161, ["+9779801234560", "+9779801234561", "+9779801234560"])
    assert response.status_code == 204 and response.content == b""
    messages = Message.objects.filter(owner=user)
    assert sorted(m.phone_national for m in messages) == ["9801234560", "9801234561"]
    assert {(m.segments, m.credits, m.status, m.billing) for m in messages} == {(2, 2, "created", "held")}
    user.refresh_from_db()
    assert (user.credits, user.credits_held) == (996, 4)
    assert LedgerEntry.objects.get(user=user, kind="hold").amount == 4


@pytest.mark.django_db
def test_not_enough_credits_is_402_and_nothing_is_created(api_client):
    from tests.support.factories import UserFactory

    poor = UserFactory(credits=1)
    response = send(key_client_for(poor), to=["+9779801234560", "+9779801234561"])
    body = assert_tling_error(response, status=402)
    assert body["errors"][0]["code"] == "insufficient_credits"
    assert not Message.objects.exists()
    poor.refresh_from_db()
    assert (poor.credits, poor.credits_held) == (1, 0)


@pytest.mark.django_db
def test_idempotency_key_creates_once(key_client, user):
    assert send(key_client, HTTP_IDEMPOTENCY_KEY="m-1").status_code == 204
    again = send(key_client, HTTP_IDEMPOTENCY_KEY="m-1")
    assert again.status_code == 204 and again["Idempotent-Replayed"] == "true"
    assert Message.objects.count() == 1
    assert_tling_error(send(key_client, text="other", HTTP_IDEMPOTENCY_KEY="m-1"), status=422)


# --- timeline --------------------------------------------------------------------------------


def _one_message(user, number="+351911111111"):
    return services.messages_create(owner=user, text="hi", to=[number])[0]


def _report(message, status, at, error=""):
    reports.deliver(StatusReport(f"tmsg:{message.pk}", "SM1", status, at, error=error))


@pytest.mark.django_db
def test_get_message_key_by_key_with_the_timeline_newest_first(key_client, user):
    message = _one_message(user)
    services.message_record_status(message_id=message.pk, status="queued", occurred_at=T0)
    _report(message, "sent", T0 + timedelta(seconds=1))
    _report(message, "delivered", T0 + timedelta(seconds=13))
    body = key_client.get(f"{V0}/messages/{message.pk}").json()
    assert list(body) == MESSAGE_KEYS
    assert body["id"] == str(message.pk) and body["error"] is None
    assert (body["phoneCode"], body["phoneNumber"]) == ("+351", "911111111")
    assert body["apiKeyId"] is None  # created by a service, not through a key
    assert TIMESTAMP.match(body["createdAt"]) and TIMESTAMP.match(body["updatedAt"])
    assert [(r["status"], r["timestamp"]) for r in body["report"][:3]] == [
        ("delivered", "2024-05-01T12:00:13.123Z"),
        ("sent", "2024-05-01T12:00:01.123Z"),
        ("queued", "2024-05-01T12:00:00.123Z"),
    ]
    assert body["report"][3]["status"] == "created" and TIMESTAMP.match(body["report"][3]["timestamp"])
    listed = key_client.get(f"{V0}/messages").json()
    assert listed == {"data": [body], "total": 1}


@pytest.mark.django_db
def test_api_key_id_is_the_sending_key(key_client, user):
    assert send(key_client).status_code == 204
    body = key_client.get(f"{V0}/messages").json()["data"][0]
    assert uuid.UUID(body["apiKeyId"])
    assert body["report"][0]["status"] == "created"


@pytest.mark.django_db
def test_out_of_order_reports_never_move_the_status_back(key_client, user):
    message = _one_message(user)
    _report(message, "delivered", T0 + timedelta(seconds=5))
    _report(message, "sent", T0 + timedelta(seconds=1))  # late
    _report(message, "queued", T0)  # provider "queued" is our "buffered", later than nothing
    message.refresh_from_db()
    assert message.status == MessageStatus.DELIVERED and message.billing == Billing.CHARGED
    body = key_client.get(f"{V0}/messages/{message.pk}").json()
    assert [r["status"] for r in body["report"]] == ["delivered", "sent", "buffered", "created"]
    assert key_client.get(f"{V0}/messages", {"status": "delivered"}).json()["total"] == 1


@pytest.mark.django_db
def test_replayed_reports_change_nothing(key_client, user):
    message = _one_message(user)
    for _ in range(3):
        _report(message, "sent", T0)
        _report(message, "undelivered", T0 + timedelta(seconds=2), error="30003")
    _report(message, "delivered", T0 + timedelta(seconds=3))  # contradicts a final status: dropped
    body = key_client.get(f"{V0}/messages/{message.pk}").json()
    assert [r["status"] for r in body["report"]] == ["undelivered", "sent", "created"]
    assert body["error"] == "30003"
    assert LedgerEntry.objects.filter(user=user, kind="charge").count() == 1
    user.refresh_from_db()
    assert (user.credits, user.credits_held) == (999, 0)
    assert ledger.invariant_gap(user_id=user.pk) == 0


@pytest.mark.django_db
def test_failed_is_released_not_charged_and_reports_after_it_are_dropped(user):
    message = _one_message(user)
    services.message_record_status(message_id=message.pk, status="failed", occurred_at=T0, error="refused")
    _report(message, "sent", T0 + timedelta(seconds=1))
    message.refresh_from_db()
    assert (message.status, message.billing, message.error) == ("failed", "released", "refused")
    assert list(message.events.values_list("status", flat=True)) == ["failed", "created"]
    user.refresh_from_db()
    assert (user.credits, user.credits_held) == (1000, 0)
    assert not LedgerEntry.objects.filter(user=user, kind="charge").exists()


@pytest.mark.django_db
def test_reports_for_unknown_references_are_dropped(user):
    assert reports.deliver(StatusReport(f"tmsg:{uuid.uuid4()}", "SM1", "sent", T0)) is True
    assert reports.deliver(StatusReport("tmsg:garbage", "SM1", "sent", T0)) is True
    message = _one_message(user)
    _report(message, "exploded", T0)
    assert list(message.events.values_list("status", flat=True)) == ["created"]


# --- the send path on a real worker ----------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_messages_are_sent_after_commit_once_and_charged_per_outcome(celery_worker, user):
    client = key_client_for(user)
    numbers = ["+9779801234560", "+9779801234567", "+9779801234568", "+9779801234569"]
    assert send(client, "a" * 161, numbers).status_code == 204  # 2 segments each

    def all_final():
        return Message.objects.filter(status_rank=4).count() == 4

    wait_until(all_final, timeout=60, message="every message final")
    by_number = {m.e164: m for m in Message.objects.all()}
    assert {n: by_number[n].status for n in numbers} == {
        numbers[0]: "delivered",
        numbers[1]: "undelivered",
        numbers[2]: "expired",
        numbers[3]: "failed",
    }
    timelines = {
        n: [r["status"] for r in client.get(f"{V0}/messages/{by_number[n].pk}").json()["report"]] for n in numbers
    }
    assert timelines[numbers[0]] == ["delivered", "sent", "queued", "created"]
    assert timelines[numbers[3]] == ["failed", "queued", "created"]
    assert client.get(f"{V0}/messages/{by_number[numbers[3]].pk}").json()["error"]
    # Sent once each; charged for the three the provider accepted, released for the refused one.
    assert SimulatedDelivery.objects.filter(reference__startswith="tmsg:").count() == 4
    assert LedgerEntry.objects.filter(user=user, kind="charge").count() == 3
    assert LedgerEntry.objects.filter(user=user, kind="release").count() == 1
    user.refresh_from_db()
    assert (user.credits, user.credits_held) == (1000 - 6, 0)
    assert ledger.invariant_gap(user_id=user.pk) == 0
    # A second run of the send task for the same messages sends nothing.
    from tling.tasks import message_send_task

    message_send_task.delay([str(m.pk) for m in by_number.values()])
    message_send_task.delay([str(m.pk) for m in by_number.values()])
    import time

    time.sleep(2)
    assert SimulatedDelivery.objects.filter(reference__startswith="tmsg:").count() == 4


@pytest.mark.django_db(transaction=True)
def test_send_claim_lets_one_caller_through(user):
    message = services.messages_create(owner=user, text="hi", to=["+9779801234561"])[0]
    assert services.message_send(message_id=message.pk) is not None
    assert services.message_send(message_id=message.pk) is None
    assert SimulatedDelivery.objects.filter(reference=f"tmsg:{message.pk}").count() == 1
