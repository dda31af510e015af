"""docs/api/API_CONTRACT_V1.md §7: the seed face's campaign objects carry ``status`` and ``number_count``,
and show campaigns made on the v1 face (``SMS & PHONE`` included)."""

import pytest

from campaigns.services.begin import run_begin
from tests.support.campaign_helpers import make_campaign

pytestmark = pytest.mark.django_db


def test_seed_list_and_details_carry_status_and_number_count(auth_client, user):
    running = make_campaign(user, name="Running", services="SMS", recipients=3)
    run_begin(user=user, campaign_id=running.pk, message="hi")
    both = auth_client.post(
        "/api/v1/campaign/create/", {"name": "Both", "services": "SMS & PHONE"}, format="json"
    ).json()
    listed = auth_client.get("/api/system/campaigns").json()["result"]["campaign-lists"]
    by_name = {c["name"]: c for c in listed}
    assert by_name["Running"]["status"] == "Running" and by_name["Running"]["number_count"] == 3
    assert by_name["Both"]["services"] == "SMS & PHONE" and by_name["Both"]["status"] == "Not Started"
    assert by_name["Both"]["number_count"] == 0
    details = auth_client.get(f"/api/system/campaigns/{both['id']}/details").json()["data"]["details"][0]
    assert details["status"] == "Not Started" and details["number_count"] == 0


@pytest.mark.parametrize("count", [1, 40])
def test_seed_list_query_count_stays_constant(auth_client, user, count, django_assert_num_queries):
    for index in range(count):
        make_campaign(user, name=f"C{index}", recipients=2)
    with django_assert_num_queries(4):  # user, count, page (summary as subqueries), caller IDs
        response = auth_client.get("/api/system/campaigns?page_size=100")
    assert {c["number_count"] for c in response.json()["result"]["campaign-lists"]} == {2}
