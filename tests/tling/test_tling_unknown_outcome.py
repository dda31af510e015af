"""A Tling send whose answer was lost and whose reconciling lookup fails too (issue
18, also from the audits): the outcome is unknown, so the hold is neither released
blindly nor kept forever. It stays held while the sweep keeps asking, is recorded
from Twilio's record once Twilio answers, and is released past
PROVIDER_UNKNOWN_DEADLINE_SECONDS if Twilio never does. Twilio is the local fake
over real HTTP."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts import ledger
from accounts.models import User
from tests.support.twilio import SMS, twilio_configured
from tling import services
from tling.models import Billing, Message, MessageStatus

pytestmark = pytest.mark.django_db


@pytest.fixture
def twilio(settings, purge_broker):
    """The send tasks wait on the broker (no worker here): the test sends by hand."""
    with twilio_configured(settings, PROVIDER_TIMEOUT_SECONDS=0.5, SMS_BACKEND=SMS) as fake:
        yield fake


def lost_send(user, twilio) -> Message:
    """Twilio takes the message, the connection drops before its answer, and the
    lookup that should reconcile it fails too."""
    ledger.top_up(user_id=user.pk, amount=100)
    (message,) = services.messages_create(owner=user, text="hi", to=["+9779801234560"])
    services.messages_enqueue(batch=message.batch)
    twilio.drop_next()
    twilio.get_failure = 503
    assert services.message_send(message_id=message.pk) is None
    return Message.objects.get(pk=message.pk)


def held(user) -> int:
    return User.objects.get(pk=user.pk).credits_held


def test_a_lost_send_whose_lookup_fails_stays_held_until_twilio_answers(user, twilio, settings):
    message = lost_send(user, twilio)
    assert message.status == MessageStatus.QUEUED and message.billing == Billing.HELD
    assert held(user) == 1 and len(twilio.messages) == 1

    later = timezone.now() + timedelta(seconds=settings.TLING_STUCK_SENDING_SECONDS + 60)
    assert services.messages_sweep(now=later)["reconciled"] == 0  # Twilio still cannot be asked
    assert held(user) == 1

    twilio.get_failure = None
    assert services.messages_sweep(now=later)["reconciled"] == 1
    row = Message.objects.get(pk=message.pk)
    assert row.provider_id == next(iter(twilio.messages))
    assert row.status == MessageStatus.SENT and row.billing == Billing.CHARGED
    assert held(user) == 0 and ledger.invariant_gap(user_id=user.pk) == 0
    assert len(twilio.posts()) == 1  # never sent twice
    assert services.messages_sweep(now=later)["reconciled"] == 0


def test_a_lost_send_is_released_past_the_deadline_when_twilio_stays_down(user, twilio, settings):
    message = lost_send(user, twilio)
    before = timezone.now() + timedelta(seconds=settings.PROVIDER_UNKNOWN_DEADLINE_SECONDS - 60)
    assert services.messages_sweep(now=before)["reconciled"] == 0
    assert held(user) == 1

    after = timezone.now() + timedelta(seconds=settings.PROVIDER_UNKNOWN_DEADLINE_SECONDS + 60)
    assert services.messages_sweep(now=after)["reconciled"] == 1
    row = Message.objects.get(pk=message.pk)
    assert (row.status, row.billing) == (MessageStatus.FAILED, Billing.RELEASED)
    assert row.error == "outcome unknown: the provider could not be asked"
    assert held(user) == 0 and ledger.invariant_gap(user_id=user.pk) == 0
    assert services.messages_sweep(now=after)["reconciled"] == 0
    assert len(twilio.posts()) == 1
