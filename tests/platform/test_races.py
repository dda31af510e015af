"""An update racing a delete of the same object (issue 18 defect 8): whichever
wins, the loser answers 404 (or 409), never 500. Real PostgreSQL, real threads,
each request on its own connection."""

import pytest

from campaigns.models import Campaign
from tests.support.campaign_helpers import make_campaign
from tests.support.clients import client_for, key_client_for
from tests.support.threads import ROUNDS, race_rounds
from tling.models import Contact, ContactList

pytestmark = pytest.mark.django_db(transaction=True)


def test_campaign_update_racing_delete_never_500(user):
    clients = [client_for(user), client_for(user)]
    pairs = race_rounds(
        lambda: make_campaign(user).pk,
        lambda c, pk: c.put(f"/api/system/campaigns/{pk}/update", {"name": "renamed"}, format="json"),
        lambda c, pk: c.delete(f"/api/system/campaigns/{pk}/delete/"),
        clients=clients,
    )
    assert {update for update, _ in pairs} <= {200, 404, 409}, pairs
    assert {delete for _, delete in pairs} == {200}, pairs
    assert not Campaign.objects.filter(owner=user).exists()


def test_tling_contact_patch_racing_delete_never_500(user):
    clients = [key_client_for(user), key_client_for(user)]
    numbers = iter(range(ROUNDS))
    pairs = race_rounds(
        lambda: Contact.objects.create(
            owner=user, name="A", phone_code="+977", phone_national=f"98{next(numbers):08d}"
        ).pk,
        lambda c, pk: c.patch(f"/api/v0/contacts/{pk}", {"name": "B"}, format="json"),
        lambda c, pk: c.delete(f"/api/v0/contacts/{pk}"),
        clients=clients,
    )
    assert {update for update, _ in pairs} <= {200, 404}, pairs
    assert {delete for _, delete in pairs} <= {200, 204}, pairs
    assert not Contact.objects.filter(owner=user).exists()


def test_tling_list_patch_racing_delete_never_500(user):
    clients = [key_client_for(user), key_client_for(user)]
    pairs = race_rounds(
        lambda: ContactList.objects.create(owner=user, name="L").pk,
        lambda c, pk: c.patch(f"/api/v0/lists/{pk}", {"name": "M"}, format="json"),
        lambda c, pk: c.delete(f"/api/v0/lists/{pk}"),
        clients=clients,
    )
    assert {update for update, _ in pairs} <= {200, 404}, pairs
    assert {delete for _, delete in pairs} <= {200, 204}, pairs
    assert not ContactList.objects.filter(owner=user).exists()
