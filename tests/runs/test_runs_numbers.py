"""A number is in use while a campaign sending from it has a run in progress."""

from decimal import Decimal

import pytest
from django.utils import timezone

from campaigns.models import Run
from campaigns.services.begin import run_begin
from phonenumbers_app.models import PhoneNumber
from phonenumbers_app.selectors import number_in_use_by_running_campaign
from tests.support.factories_campaigns import campaign_with_recipients

pytestmark = pytest.mark.django_db


def test_number_is_in_use_only_during_a_run(user):
    number = PhoneNumber.objects.create(phone_number="+9779801111111", rate=Decimal(5), owner=user)
    idle = PhoneNumber.objects.create(phone_number="+9779801111112", rate=Decimal(5), owner=user)
    campaign = campaign_with_recipients(user, 2, message="hi")
    campaign.user_phone.add(number)
    assert number_in_use_by_running_campaign(number) is False
    run = run_begin(user=user, campaign_id=campaign.pk)
    assert number_in_use_by_running_campaign(number) is True
    assert number_in_use_by_running_campaign(idle) is False
    Run.objects.filter(pk=run.pk).update(finished_at=timezone.now(), state="completed")
    assert number_in_use_by_running_campaign(number) is False


def test_releasing_a_caller_id_of_a_running_campaign_is_409(user, auth_client):
    from tests.support.envelope import assert_envelope, assert_error

    number = PhoneNumber.objects.create(phone_number="+9779801111113", rate=Decimal(5), owner=user)
    campaign = campaign_with_recipients(user, 2, message="hi")
    campaign.user_phone.add(number)
    run = run_begin(user=user, campaign_id=campaign.pk)
    response = auth_client.delete("/api/system/phone_numbers", {"phone_sid": number.sid}, format="json")
    assert_error(response, status=409)
    number.refresh_from_db()
    assert number.owner_id == user.pk
    Run.objects.filter(pk=run.pk).update(finished_at=timezone.now(), state="completed")
    response = auth_client.delete("/api/system/phone_numbers", {"phone_sid": number.sid}, format="json")
    assert_envelope(response, status=200, body_status=204)
