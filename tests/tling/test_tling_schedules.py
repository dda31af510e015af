"""Tling scheduled messages: the API, the states, and the sweep that sends due ones once."""

import re
import uuid
from datetime import UTC, timedelta

import pytest
from django.utils import timezone

from accounts.models import LedgerEntry
from tests.support.clients import key_client_for
from tests.support.envelope import assert_tling_error
from tests.support.factories import UserFactory
from tests.support.threads import race
from tests.support.workers import wait_until
from tingting.models import SimulatedDelivery
from tling import services
from tling.models import Message, ScheduledMessage, ScheduleState

V0 = "/api/v0/schedule/message"
TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def _future(**delta) -> str:
    return (timezone.now() + timedelta(**(delta or {"hours": 1}))).astimezone(UTC).isoformat().replace("+00:00", "Z")


def schedule(client, *, date=None, text="foo", to=("+9779801234563",)):
    return client.post(V0, {"date": date or _future(), "text": text, "to": list(to)}, format="json")


@pytest.mark.django_db
def test_create_and_list_key_by_key(key_client, user):
    response = schedule(key_client)
    assert response.status_code == 204 and response.content == b""
    body = key_client.get(V0).json()
    assert body["total"] == 1
    item = body["data"][0]
    assert list(item) == ["id", "name", "data", "state", "createdon"]
    assert item["name"] == "message-scheduling" and item["state"] == "created"
    assert list(item["data"]) == ["to", "text", "userId", "apiKeyId"]
    assert item["data"]["to"] == ["+9779801234563"] and item["data"]["text"] == "foo"
    assert uuid.UUID(item["data"]["userId"]) and uuid.UUID(item["data"]["apiKeyId"])
    assert uuid.UUID(item["id"]) and TIMESTAMP.match(item["createdon"])
    stored = ScheduledMessage.objects.get()
    assert stored.owner == user
    assert not LedgerEntry.objects.filter(user=user, kind="hold").exists()  # held when due


@pytest.mark.django_db
def test_date_without_offset_is_utc(key_client):
    naive = (timezone.now() + timedelta(hours=2)).astimezone(UTC).replace(tzinfo=None, microsecond=0)
    assert schedule(key_client, date=naive.isoformat()).status_code == 204
    assert ScheduledMessage.objects.get().send_at == naive.replace(tzinfo=UTC)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "pointer"),
    [
        ({"date": "2020-01-01T12:30:00.000Z", "text": "foo", "to": ["+351987654323"]}, "/date"),
        ({"date": "tomorrow", "text": "foo", "to": ["+351987654323"]}, "/date"),
        ({"text": "foo", "to": ["+351987654323"]}, "/date"),
        ({"date": "2999-01-01T00:00:00Z", "text": "", "to": ["+351987654323"]}, "/text"),
        ({"date": "2999-01-01T00:00:00Z", "text": "foo", "to": ["+351987654323", "bad"]}, "/to/1"),
        ({"date": "2999-01-01T00:00:00Z", "text": "foo", "to": '["+351999999999"]'}, "/to"),
    ],
)
def test_bad_schedule_input_is_400_naming_the_field(key_client, body, pointer):
    assert_tling_error(key_client.post(V0, body, format="json"), status=400, pointer=pointer)
    assert not ScheduledMessage.objects.exists()


@pytest.mark.django_db
def test_patch_while_created_returns_data_list(key_client):
    schedule(key_client)
    item = key_client.get(V0).json()["data"][0]
    response = key_client.patch(
        f"{V0}/{item['id']}", {"text": "bar", "to": ["+351911111111", "+351961111111"]}, format="json"
    )
    assert response.status_code == 200
    body = response.json()
    assert list(body) == ["data"] and len(body["data"]) == 1
    assert body["data"][0]["data"]["text"] == "bar"
    assert body["data"][0]["data"]["to"] == ["+351911111111", "+351961111111"]
    later = _future(days=2)
    assert key_client.patch(f"{V0}/{item['id']}", {"date": later}, format="json").status_code == 200
    assert ScheduledMessage.objects.get().send_at.isoformat()[:19] == later[:19]
    assert_tling_error(
        key_client.patch(f"{V0}/{item['id']}", {"date": "2001-01-01T00:00:00Z"}, format="json"),
        status=400,
        pointer="/date",
    )


@pytest.mark.django_db
def test_patch_or_delete_after_created_is_409(key_client):
    schedule(key_client)
    item = key_client.get(V0).json()["data"][0]
    assert key_client.delete(f"{V0}/{item['id']}").status_code == 204
    assert key_client.get(V0).json()["data"][0]["state"] == "cancelled"
    body = assert_tling_error(key_client.patch(f"{V0}/{item['id']}", {"text": "x"}, format="json"), status=409)
    assert body["errors"][0]["code"] == "schedule_not_waiting"
    assert_tling_error(key_client.delete(f"{V0}/{item['id']}"), status=409)


@pytest.mark.django_db
def test_unknown_or_non_uuid_schedule_is_404(key_client):
    assert_tling_error(key_client.delete(f"{V0}/{uuid.uuid4()}"), status=404)
    assert_tling_error(key_client.patch(f"{V0}/nope", {"text": "x"}, format="json"), status=404)


@pytest.mark.django_db
def test_list_filters_and_default_sort(key_client):
    for text in ("a", "b", "c"):
        schedule(key_client, text=text)
    rows = ScheduledMessage.objects.order_by("created_at")
    key_client.delete(f"{V0}/{rows[1].pk}")
    assert [i["data"]["text"] for i in key_client.get(V0).json()["data"]] == ["a", "b", "c"]
    assert [i["data"]["text"] for i in key_client.get(V0, {"sort": "-createdon"}).json()["data"]] == ["c", "b", "a"]
    assert key_client.get(V0, {"filter[state]": "cancelled"}).json()["total"] == 1
    assert key_client.get(V0, {"filter[id]": str(rows[0].pk)}).json()["data"][0]["data"]["text"] == "a"
    assert key_client.get(V0, {"filter[name][like]": "scheduling"}).json()["total"] == 3
    assert_tling_error(key_client.get(V0, {"filter[state]": "asleep"}), status=400)
    assert_tling_error(key_client.get(V0, {"filter[id]": "nope"}), status=400)
    assert_tling_error(key_client.get(V0, {"filter[text]": "a"}), status=400)


# --- the sweep -------------------------------------------------------------------------------


def _due(user, *, to=("+9779801234560",), text="hi") -> ScheduledMessage:
    row = services.schedule_create(owner=user, send_at=timezone.now() + timedelta(hours=1), text=text, to=list(to))
    ScheduledMessage.objects.filter(pk=row.pk).update(send_at=timezone.now() - timedelta(seconds=1))
    return row


@pytest.mark.django_db
def test_sweep_takes_only_due_waiting_rows_and_holds_credits(user):
    due = _due(user, to=["+9779801234560", "+9779801234561"])
    services.schedule_create(
        owner=user, send_at=timezone.now() + timedelta(hours=1), text="later", to=["+9779801234562"]
    )
    assert services.schedules_sweep() == 1
    assert services.schedules_sweep() == 0
    due.refresh_from_db()
    assert due.state == ScheduleState.ACTIVE
    assert Message.objects.filter(schedule=due).count() == 2
    user.refresh_from_db()
    assert user.credits_held == 2


@pytest.mark.django_db
def test_sweep_without_enough_credits_fails_the_schedule_and_sends_nothing(db):
    poor = UserFactory(credits=0)
    row = _due(poor)
    assert services.schedules_sweep() == 1
    row.refresh_from_db()
    assert row.state == ScheduleState.FAILED and "credits" in row.error
    assert not Message.objects.exists()
    assert_tling_error(key_client_for(poor).delete(f"{V0}/{row.pk}"), status=409)


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_sweepers_send_each_schedule_once(user):
    rows = [_due(user, to=[f"+97798012345{i:02d}"]) for i in range(20)]
    taken = race(services.schedules_sweep, services.schedules_sweep)
    assert sum(taken) == 20
    assert Message.objects.count() == 20
    assert sorted(Message.objects.values_list("schedule_id", flat=True)) == sorted(r.pk for r in rows)
    assert LedgerEntry.objects.filter(user=user, kind="hold").count() == 20


@pytest.mark.django_db(transaction=True)
def test_a_due_schedule_goes_out_through_the_worker_and_completes(celery_worker, user):
    client = key_client_for(user)
    assert schedule(client, date=_future(seconds=2), to=["+9779801234560", "+9779801234569"]).status_code == 204
    row = ScheduledMessage.objects.get()
    wait_until(lambda: timezone.now() >= row.send_at, timeout=10)
    from tling.tasks import schedules_sweep_task

    schedules_sweep_task.delay()  # what beat does every 15 s
    wait_until(
        lambda: ScheduledMessage.objects.get().state == ScheduleState.COMPLETED,
        timeout=60,
        message="schedule completed",
    )
    assert SimulatedDelivery.objects.filter(reference__startswith="tmsg:").count() == 2
    statuses = sorted(Message.objects.values_list("status", flat=True))
    assert statuses == ["delivered", "failed"]
    user.refresh_from_db()
    assert (user.credits, user.credits_held) == (999, 0)
