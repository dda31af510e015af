"""The message tally behind the messages list's ``total``: it stays equal to the
messages themselves through creation, queueing, sends, out-of-order and replayed
reports, concurrent writers; and every total a client sees is the exact count."""

from datetime import UTC, datetime, timedelta
from unittest import mock

import pytest
from django.db.models import Count
from django.db.models.functions import TruncDay

from accounts import ledger
from tests.support.broker import broker_down
from tests.support.clients import key_client_for
from tests.support.threads import errors_of, race
from tingting.errors import InsufficientCreditsError
from tling import services
from tling.models import Message, MessageStatus, MessageTally
from tling.services.tally import tally_rebuild

V0 = "/api/v0"
DAY1 = datetime(2024, 5, 1, 23, 59, 59, 999000, tzinfo=UTC)  # the last millisecond of a UTC day
DAY2 = datetime(2024, 5, 2, 0, 0, 0, tzinfo=UTC)


def counted(owner) -> dict:
    """What the tally should hold: the owner's messages grouped as it groups them."""
    rows = (
        Message.objects.filter(owner=owner)
        .order_by()
        .values_list("status", "phone_code", TruncDay("created_at", tzinfo=UTC))
        .annotate(n=Count("pk"))
    )
    return {(status, code, day): n for status, code, day, n in rows}


def tallied(owner) -> dict:
    """The tally as it is, rows emptied by status changes included (there should be none)."""
    rows = MessageTally.objects.filter(owner=owner)
    return {(t.status, t.phone_code, t.created_day): t.n for t in rows}


def create_at(moment: datetime, **kwargs) -> list[Message]:
    with mock.patch("django.utils.timezone.now", return_value=moment):
        return services.messages_create(**kwargs)


def report(message, status, seconds=0, error=""):
    services.message_record_status(
        message_id=message.pk, status=status, error=error, occurred_at=DAY2 + timedelta(seconds=seconds)
    )


@pytest.mark.django_db
def test_tally_follows_creation_reports_replays_and_every_total_is_exact(user, purge_broker):
    first = create_at(DAY1, owner=user, text="hi", to=["+9779801234560", "+9779801234561", "+351911111111"])
    second = create_at(DAY2, owner=user, text="hi", to=["+9779801234562", "+351911111112"])
    assert (
        tallied(user)
        == counted(user)
        == {
            ("created", "+977", datetime(2024, 5, 1, tzinfo=UTC)): 2,
            ("created", "+351", datetime(2024, 5, 1, tzinfo=UTC)): 1,
            ("created", "+977", DAY2): 1,
            ("created", "+351", DAY2): 1,
        }
    )
    assert services.messages_enqueue(batch=first[0].batch) == 3
    assert services.messages_enqueue(batch=first[0].batch) == 0  # repeat-safe, and so is the tally
    assert tallied(user) == counted(user)
    a, b, c = first
    report(a, "delivered", 5)
    report(a, "sent", 1)  # late: fills the timeline, the status stays
    report(a, "delivered", 5)  # replayed
    report(b, "sent")
    report(b, "undelivered", 2, error="30003")
    report(b, "delivered", 3)  # contradicts a final status: dropped
    report(c, "failed", error="refused")
    report(c, "sent", 1)  # after a refusal: dropped
    report(second[0], "queue failed", error="queue failed: OSError")
    assert tallied(user) == counted(user)
    assert sum(tallied(user).values()) == 5

    client = key_client_for(user)
    for params in [
        {},
        {"status": "delivered"},
        {"status": "created"},
        {"status": "expired"},
        {"filter[phoneCode]": "+977"},
        {"filter[phoneCode][ne]": "+977"},
        {"filter[phoneCode][like]": "35"},
        {"filter[phoneCode]": "+977,+351", "status": "undelivered"},
        {"filter[createdAt]": "2024-05-01"},
        {"filter[createdAt][gt]": "2024-05-01"},
        {"filter[createdAt][gte]": "2024-05-02"},
        {"filter[createdAt][lt]": "2024-05-02"},
        {"filter[createdAt][lte]": "2024-05-01"},
        {"filter[createdAt][ne]": "2024-05-02"},
        {"filter[createdAt][gte]": "2024-05-01", "filter[createdAt][lt]": "2024-05-02", "filter[phoneCode]": "+977"},
        # Not answered by the tally (a time of day, the national number): counted.
        {"filter[createdAt][gte]": "2024-05-01T23:59:59.999Z"},
        {"filter[createdAt][gt]": "2024-05-01T23:59:59.999Z"},
        {"filter[phoneNumber][like]": "91111111", "status": "queue failed"},
    ]:
        body = client.get(f"{V0}/messages", {"page[size]": "1", **params}).json()
        truth = client.get(f"{V0}/messages", {"page[size]": "100", **params}).json()["data"]
        assert body["total"] == len(truth), params
    assert client.get(f"{V0}/messages", {"filter[createdAt]": "2024-05-01"}).json()["total"] == 3
    assert client.get(f"{V0}/messages", {"filter[createdAt][gt]": "2024-05-01T23:59:59.999Z"}).json()["total"] == 2
    assert client.get(f"{V0}/messages", {"status": "delivered", "filter[phoneCode]": "+977"}).json()["total"] == 1


@pytest.mark.django_db
def test_a_failed_broker_moves_queued_to_queue_failed_in_the_tally(user):
    messages = services.messages_create(owner=user, text="hi", to=["+9779801234560", "+9779801234561"])
    with broker_down():
        services.messages_enqueue(batch=messages[0].batch)
    assert {key[0]: n for key, n in tallied(user).items()} == {"queue failed": 2}
    assert tallied(user) == counted(user)
    assert key_client_for(user).get(f"{V0}/messages", {"status": "queue failed"}).json()["total"] == 2


@pytest.mark.django_db
def test_a_rolled_back_creation_leaves_the_tally_alone(user):
    with pytest.raises(InsufficientCreditsError):
        services.messages_create(owner=user, text="hi", to=[f"+97798{i:08d}" for i in range(1001)])
    assert not MessageTally.objects.filter(owner=user).exists()


@pytest.mark.django_db
def test_rebuild_recounts_messages_written_around_the_services(user):
    services.messages_create(owner=user, text="hi", to=["+9779801234560", "+351911111111"])
    Message.objects.filter(phone_code="+351").update(created_at=DAY1, status=MessageStatus.DELIVERED)
    assert tallied(user) != counted(user)
    tally_rebuild(owner_id=user.pk)
    assert tallied(user) == counted(user)


@pytest.mark.django_db(transaction=True)
def test_concurrent_creations_and_reports_of_one_owner_keep_it_exact(user, purge_broker):
    """Reports for one owner's messages race each other and new sends (ledger and
    tally locks in the same order everywhere): no lost update, no deadlock. The sends
    wait on the broker (no worker here)."""
    ledger.top_up(user_id=user.pk, amount=1000)
    messages = services.messages_create(
        owner=user, text="hi", to=[f"+97798{i:08d}" for i in range(40)] + [f"+3519{i:08d}" for i in range(40)]
    )
    services.messages_enqueue(batch=messages[0].batch)
    statuses = ["delivered", "undelivered", "failed", "queue failed", "sent"]
    workers = 4

    def reporter(index):
        for n, message in enumerate(messages[index::workers]):
            report(message, statuses[n % len(statuses)], n)
            report(message, "delivered", n + 1)  # after a final status: dropped; after sent: moves

    def sender():
        for i in range(10):
            services.messages_create(owner=user, text="hi", to=[f"+97798{i:08d}", f"+3519{i:08d}"])

    errors = errors_of(race(*[(lambda i=i: reporter(i)) for i in range(workers)], sender))
    assert errors == []
    assert tallied(user) == counted(user)
    assert sum(tallied(user).values()) == 100
