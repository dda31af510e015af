"""One paging for every list of the TingTing face (tingting/api/pagination.py,
issue 18 defect 9): campaigns, a campaign's numbers and the DNC list answer the
same way to the same page parameters."""

import pytest

from accounts.models import DoNotContact
from tests.support.campaign_helpers import make_campaign
from tests.support.envelope import assert_error

pytestmark = pytest.mark.django_db
PAGINATION_KEYS = {"total_items", "total_pages", "page_number", "has_next", "has_previous"}


@pytest.fixture
def lists(user):
    campaign = make_campaign(user)
    DoNotContact.objects.create(user=user, number="+9779843818700")
    return {
        "campaigns": ("/api/system/campaigns", lambda body: body["pagination"]),
        "numbers": (f"/api/system/campaigns/number/{campaign.pk}", lambda body: body["data"]["pagination"]),
        "dnc": ("/api/system/dnc/", lambda body: body["data"]["pagination"]),
    }


@pytest.mark.parametrize("name", ["campaigns", "numbers", "dnc"])
def test_the_first_page_has_the_same_pagination_keys(auth_client, lists, name):
    url, pagination = lists[name]
    response = auth_client.get(url, {"page": 1, "page_size": 1})
    assert response.status_code == 200, response.content
    body = pagination(response.json())
    assert set(body) >= PAGINATION_KEYS
    assert (body["total_items"], body["page_number"], body["has_next"], body["has_previous"]) == (1, 1, False, False)


@pytest.mark.parametrize("name", ["campaigns", "numbers", "dnc"])
@pytest.mark.parametrize("page", ["2", "99999999999999999999"])
def test_a_page_past_the_last_is_404_invalid_page(auth_client, lists, name, page):
    url, _ = lists[name]
    assert_error(auth_client.get(url, {"page": page}), status=404, code="invalid_page", field="page")


@pytest.mark.parametrize("name", ["campaigns", "numbers", "dnc"])
@pytest.mark.parametrize(
    ("parameter", "value"), [("page", "0"), ("page", "x"), ("page_size", "-1"), ("page_size", "1.5")]
)
def test_a_bad_page_parameter_is_400_naming_it(auth_client, lists, name, parameter, value):
    url, _ = lists[name]
    assert_error(auth_client.get(url, {parameter: value}), status=400, field=parameter)


@pytest.mark.parametrize(("name", "maximum"), [("campaigns", 100), ("numbers", 100), ("dnc", 500)])
def test_a_page_size_above_the_maximum_is_the_maximum(auth_client, lists, name, maximum):
    url, pagination = lists[name]
    response = auth_client.get(url, {"page_size": maximum + 1})
    assert response.status_code == 200
    assert pagination(response.json())["total_pages"] == 1
