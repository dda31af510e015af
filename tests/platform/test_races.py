"""An update racing a delete of the same object (issue 18 defect 8): whichever
wins, the loser answers 404 (or 409), never 500. Real PostgreSQL, real threads,
each request on its own connection."""

import pytest

from campaigns.models import Campaign, Recipient, Run
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


SEED = "/api/system"


def seed_campaign(user) -> int:
    return make_campaign(user, services="SMS", recipients=1, usable_tags=["tags_name"]).pk


@pytest.mark.parametrize(
    "write",
    [
        lambda c, pk: c.post(f"{SEED}/campaigns/{pk}/begin/", {"message": "नमस्ते"}, format="json"),
        lambda c, pk: c.post(f"{SEED}/campaigns/number/{pk}", {"number": "9841000099"}, format="json"),
        lambda c, pk: c.put(f"{SEED}/campaigns/{pk}/update", {"description": "x"}, format="json"),
    ],
    ids=["begin", "add-number", "update"],
)
def test_seed_campaign_write_racing_its_delete_never_500(user, write):
    clients = [client_for(user), client_for(user)]
    pairs = race_rounds(
        lambda: seed_campaign(user),
        write,
        lambda c, pk: c.delete(f"{SEED}/campaigns/{pk}/delete/"),
        clients=clients,
    )
    assert {w for w, _ in pairs} <= {200, 201, 404, 409}, pairs
    assert {d for _, d in pairs} <= {200, 404, 409}, pairs
    # Nothing half-written: a deleted campaign left no recipients or runs behind.
    survivors = Campaign.objects.filter(owner=user).values("pk")
    assert not Recipient.objects.exclude(campaign_id__in=survivors).filter(campaign__owner=user).exists()
    assert not Run.objects.filter(campaign__owner=user).exclude(campaign_id__in=survivors).exists()


def test_seed_recipient_update_racing_its_delete_never_500(user):
    clients = [client_for(user), client_for(user)]
    pairs = race_rounds(
        lambda: Recipient.objects.filter(campaign_id=seed_campaign(user)).values_list("pk", flat=True).get(),
        lambda c, pk: c.put(f"{SEED}/number/{pk}", {"available_tags": {"tags_name": "राम"}}, format="json"),
        lambda c, pk: c.delete(f"{SEED}/campaigns/number/{pk}/delete"),
        clients=clients,
    )
    assert {w for w, _ in pairs} <= {200, 404}, pairs
    assert {d for _, d in pairs} <= {200, 404}, pairs
