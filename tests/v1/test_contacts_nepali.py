"""The v1 bulk file with a Nepali header (issue 20): the seed importer's header rules apply,
so Devanagari columns become attributes and the number column is found by its Nepali name."""

import pytest

from campaigns.models import Campaign, Recipient
from tests.support.campaign_helpers import upload, xlsx_bytes

pytestmark = pytest.mark.django_db


def test_bulk_file_with_a_nepali_header_keeps_every_column(auth_client, user):
    campaign = Campaign.objects.create(owner=user, name="दशैं", services="SMS")
    sheet = xlsx_bytes([["नाम", "मोबाइल नम्बर", "जिल्ला"], ["राम", "9841000002", "काठमाडौं"], ["सीता", 9611000003, None]])
    response = auth_client.patch(
        f"/api/v1/campaign/create/{campaign.pk}/detail/", {"bulk_file": upload("सूची.xlsx", sheet)}, format="multipart"
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["total_validated_rows"] == 2 and body["error_list"] == []
    assert body["samples"] == [
        {"column": "number", "sample": ["+9779841000002", "+9779611000003"]},
        {"column": "नाम", "sample": ["राम", "सीता"]},
        {"column": "जिल्ला", "sample": ["काठमाडौं", None]},
    ]
    campaign.refresh_from_db()
    assert campaign.usable_tags == ["tags_नाम", "tags_जिल्ला"]
    assert Recipient.objects.filter(campaign=campaign).count() == 2
