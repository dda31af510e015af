"""Writes racing a delete on the v1 face (issue 18 defect 8, on the third face):
whichever wins, the loser answers 404 (or 409), never 500, and nothing half-written
is left. Real PostgreSQL, real threads, each request on its own connection."""

import pytest

from campaigns.models import Campaign, Recipient
from tests.support.campaign_helpers import make_campaign, upload
from tests.support.clients import client_for
from tests.support.threads import ROUNDS, race_rounds

pytestmark = pytest.mark.django_db(transaction=True)

V1 = "/api/v1"


@pytest.fixture
def clients(user):
    return [client_for(user), client_for(user)]


def campaign_pk(user) -> int:
    campaign = make_campaign(user, services="SMS", recipients=1)
    Campaign.objects.filter(pk=campaign.pk).update(message="नमस्ते")  # run-campaign has content to send
    return campaign.pk


def contact_pk(user) -> int:
    return Recipient.objects.filter(campaign_id=campaign_pk(user)).values_list("pk", flat=True).get()


def delete_campaign(client, pk):
    return client.delete(f"{V1}/campaign/{pk}/")


@pytest.mark.parametrize(
    "write",
    [
        lambda c, pk: c.patch(f"{V1}/campaign/{pk}/", {"name": "renamed", "description": "x"}, format="json"),
        lambda c, pk: c.patch(f"{V1}/campaign/create/{pk}/message/", {"message": "नमस्ते"}, format="json"),
        lambda c, pk: c.post(f"{V1}/campaign/{pk}/add-contact/", {"number": "9841000099"}, format="json"),
        lambda c, pk: c.post(
            f"{V1}/campaign/{pk}/add-contact/", {"contacts": [{"number": "9841000098"}]}, format="json"
        ),
        lambda c, pk: c.post(
            f"{V1}/campaign/create/{pk}/detail/",
            {"bulk_file": upload("more.csv", b"number,name\n9841000096,Ram\n", "text/csv")},
            format="multipart",
        ),
        lambda c, pk: c.post(f"{V1}/run-campaign/{pk}/"),
    ],
    ids=["update", "message", "add-contact", "add-contacts", "bulk-file", "run"],
)
def test_campaign_write_racing_its_delete_never_500(user, clients, write):
    pairs = race_rounds(lambda: campaign_pk(user), write, delete_campaign, clients=clients)
    assert {w for w, _ in pairs} <= {200, 201, 402, 404, 409}, pairs
    assert {d for _, d in pairs} <= {204, 404, 409}, pairs
    # A delete that won left nothing behind; one that lost (409: the run began first) kept it whole.
    survivors = Campaign.objects.filter(owner=user)
    assert survivors.count() == sum(1 for _, d in pairs if d == 409)
    assert not Recipient.objects.exclude(campaign_id__in=survivors.values("pk")).exists()


@pytest.mark.parametrize(
    "write",
    [
        lambda c, pk: c.patch(f"{V1}/phone-number/update/{pk}/", {"number": "9841000097"}, format="json"),
        lambda c, pk: c.patch(f"{V1}/campaign/{pk}/attributes/", {"जिल्ला": "काठमाडौं"}, format="json"),
    ],
    ids=["contact-update", "attributes"],
)
def test_contact_write_racing_its_delete_never_500(user, clients, write):
    pairs = race_rounds(
        lambda: contact_pk(user),
        write,
        lambda c, pk: c.delete(f"{V1}/phone-number/delete/{pk}/"),
        clients=clients,
        rounds=ROUNDS,
    )
    assert {w for w, _ in pairs} <= {200, 404}, pairs
    assert {d for _, d in pairs} <= {200, 404}, pairs
    assert not Recipient.objects.filter(campaign__owner=user).exists()
