"""Entry services own their transaction (``atomic(durable=True)``): what they publish
after commit, or the vendor call after the charge, relies on their commit being the
real one, so a caller that wraps one in a transaction of its own is refused at once
and nothing is written."""

from __future__ import annotations

import pytest
from django.db import transaction

from accounts.models import LedgerEntry
from campaigns.models import Run
from campaigns.services.begin import run_begin
from campaigns.services.run import run_cancel, run_pause, run_resume
from otp.services import otp_send
from phonenumbers_app.services import number_buy
from tests.support.factories import UserFactory
from tests.support.factories_campaigns import campaign_with_recipients
from tling.services import messages_create

pytestmark = pytest.mark.django_db(transaction=True)

CALLS = {
    "run_begin": lambda user, campaign: run_begin(user=user, campaign_id=campaign.pk, message="hello"),
    "run_pause": lambda user, campaign: run_pause(user=user, campaign_id=campaign.pk),
    "run_resume": lambda user, campaign: run_resume(user=user, campaign_id=campaign.pk),
    "run_cancel": lambda user, campaign: run_cancel(user=user, campaign_id=campaign.pk),
    "messages_create": lambda user, campaign: messages_create(owner=user, text="hello", to=["+9779800000001"]),
    "otp_send": lambda user, campaign: otp_send(
        user=user, number="+9779800000001", message="Your code is {otp}", sms_send_options="text"
    ),
    "number_buy": lambda user, campaign: number_buy(user=user, sid="0" * 32),
}


@pytest.mark.parametrize("name", CALLS)
def test_an_entry_service_refuses_to_run_inside_a_callers_transaction(name):
    user = UserFactory(credits=100)
    campaign = campaign_with_recipients(user, 2)
    entries = LedgerEntry.objects.count()
    with pytest.raises(RuntimeError, match="durable"), transaction.atomic():
        CALLS[name](user, campaign)
    assert LedgerEntry.objects.count() == entries
    assert not Run.objects.exists()
