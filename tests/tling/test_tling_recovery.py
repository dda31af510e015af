"""The Tling messages sweep (issue 18 defect 1): a send committed but never queued,
a lost send task and a worker that died around the provider call all end final,
with the hold charged or released, and a second sweep changes nothing."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts import ledger
from accounts.models import User
from tests.support.broker import published
from tingting.celery import app
from tingting.models import SimulatedDelivery
from tling import services
from tling.models import Billing, Message, MessageStatus

pytestmark = pytest.mark.django_db
LONG_AGO = timedelta(hours=1)


@pytest.fixture(autouse=True)
def _empty_broker(purge_broker):
    """Only what these tests publish waits on the broker (no worker takes it)."""


def sends() -> list[list[str]]:
    """The message ids of each send task waiting on the real broker, oldest first."""
    return [ids for (ids,) in published("tling.message_send")]


def broker_lost_them() -> None:
    app.control.purge()


def stuck_send(user, numbers):
    # In a test transaction the after-commit enqueue never runs: exactly the state
    # a process that died between commit and publish leaves behind.
    messages = services.messages_create(owner=user, text="hi", to=numbers)
    Message.objects.filter(batch=messages[0].batch).update(created_at=timezone.now() - LONG_AGO)
    return messages


def test_a_send_never_queued_is_queued_by_the_sweep_then_settles(user):
    ledger.top_up(user_id=user.pk, amount=100)
    messages = stuck_send(user, ["+9779801234560", "+9779801234561"])
    assert User.objects.get(pk=user.pk).credits_held == 2

    assert services.messages_sweep() == {"enqueued": 2, "republished": 0, "reconciled": 0}
    assert sorted(sends()[0]) == sorted(str(m.pk) for m in messages)
    for pk in sends()[0]:
        services.message_send(message_id=pk)
    assert set(Message.objects.values_list("billing", flat=True)) == {Billing.CHARGED}
    assert User.objects.get(pk=user.pk).credits_held == 0
    assert services.messages_sweep() == {"enqueued": 0, "republished": 0, "reconciled": 0}
    assert ledger.invariant_gap(user_id=user.pk) == 0


def test_a_lost_send_task_is_published_again_once_per_window(user):
    ledger.top_up(user_id=user.pk, amount=100)
    (message,) = services.messages_create(owner=user, text="hi", to=["+9779801234560"])
    services.messages_enqueue(batch=message.batch)
    broker_lost_them()  # the task the broker lost
    Message.objects.filter(pk=message.pk).update(updated_at=timezone.now() - LONG_AGO)

    assert services.messages_sweep()["republished"] == 1
    assert sends() == [[str(message.pk)]]
    assert services.messages_sweep()["republished"] == 0  # not again within the window
    services.message_send(message_id=message.pk)
    services.message_send(message_id=message.pk)  # a late duplicate of the lost task: claimed already
    assert SimulatedDelivery.objects.filter(reference=message.reference).count() == 1
    assert Message.objects.get(pk=message.pk).billing == Billing.CHARGED


def claimed_long_ago(user):
    (message,) = services.messages_create(owner=user, text="hi", to=["+9779801234560"])
    services.messages_enqueue(batch=message.batch)
    broker_lost_them()  # taken by a worker that died holding the claim
    Message.objects.filter(pk=message.pk).update(claimed_at=timezone.now() - LONG_AGO)
    return message


def test_a_worker_dead_after_the_provider_accepted_is_recorded_sent_not_sent_again(user):
    ledger.top_up(user_id=user.pk, amount=100)
    message = claimed_long_ago(user)
    SimulatedDelivery.objects.create(
        channel="sms", provider_id="SM1", reference=message.reference, to=message.e164, body="hi", outcome="delivered"
    )

    assert services.messages_sweep()["reconciled"] == 1
    row = Message.objects.get(pk=message.pk)
    assert (row.status, row.billing, row.provider_id) == (MessageStatus.DELIVERED, Billing.CHARGED, "SM1")
    assert sends() == []
    assert SimulatedDelivery.objects.filter(reference=message.reference).count() == 1
    assert services.messages_sweep()["reconciled"] == 0
    assert User.objects.get(pk=user.pk).credits_held == 0


def test_a_worker_dead_before_the_provider_got_it_is_sent_once(user):
    ledger.top_up(user_id=user.pk, amount=100)
    message = claimed_long_ago(user)

    assert services.messages_sweep()["reconciled"] == 1
    assert sends() == [[str(message.pk)]]
    services.message_send(message_id=message.pk)
    assert SimulatedDelivery.objects.filter(reference=message.reference).count() == 1
    assert Message.objects.get(pk=message.pk).billing == Billing.CHARGED
    assert User.objects.get(pk=user.pk).credits_held == 0


def test_the_sweep_runs_on_beat():
    from tingting.beat import BEAT_SCHEDULE

    assert BEAT_SCHEDULE["tling-messages-sweep"]["task"] == "tling.messages_sweep"
