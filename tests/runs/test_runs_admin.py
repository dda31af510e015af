"""The run admin: live counts and credits, and the cancel action."""

import pytest

from campaigns.models import Run
from campaigns.services.begin import run_begin
from tests.support.factories_campaigns import campaign_with_recipients

pytestmark = pytest.mark.django_db


def test_run_list_shows_counts_and_credits(staff_client, user, django_assert_max_num_queries):
    for count in (1, 30):
        run_begin(user=user, campaign_id=campaign_with_recipients(user, count, message="hi").pk)
    with django_assert_max_num_queries(8):
        response = staff_client.get("/admin/campaigns/run/")
    assert response.status_code == 200
    rows = response.content.decode()
    assert '<td class="field-queued">30</td>' in rows and '<td class="field-credits_held">30</td>' in rows


def test_cancel_action_terminates_and_releases(staff_client, user):
    run = run_begin(user=user, campaign_id=campaign_with_recipients(user, 5, message="hi").pk)
    response = staff_client.post(
        "/admin/campaigns/run/", {"action": "cancel_selected", "_selected_action": [run.pk]}, follow=True
    )
    assert response.status_code == 200 and "Campaign cancelled." in response.content.decode()  # the API's message
    run.refresh_from_db()
    assert run.state == "cancelled"
    user.refresh_from_db()
    assert (user.credits, user.credits_held) == (1000, 0)
    again = staff_client.post(
        "/admin/campaigns/run/", {"action": "cancel_selected", "_selected_action": [run.pk]}, follow=True
    )
    assert f"Run {run.pk}: The run is already cancelled." in again.content.decode()
    assert Run.objects.get(pk=run.pk).state == "cancelled"
