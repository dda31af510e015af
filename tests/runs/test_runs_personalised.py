"""Personalised messages with Nepali tags (issue 20): placeholders that name usable tags,
empty tags reported at begin and rendered without a doubled space."""

from __future__ import annotations

import pytest

from campaigns.models import Attempt, Run
from campaigns.services.personalise import render_message
from tests.support.campaign_helpers import begin_url
from tests.support.envelope import assert_envelope, assert_error
from tests.support.factories_campaigns import campaign_with_recipients

pytestmark = pytest.mark.django_db
TAGS = ["tags_नाम", "tags_जिल्ला"]


def _tags(index: int) -> dict:
    return [
        {"tags_नाम": "राम", "tags_जिल्ला": "काठमाडौं"},
        {"tags_नाम": "", "tags_जिल्ला": "ललितपुर"},
        {"tags_जिल्ला": "  "},
        {"tags_नाम": "सीता", "tags_जिल्ला": "भक्तपुर"},
    ][index]


def test_empty_tags_are_reported_at_begin_and_leave_no_double_space(auth_client, user):
    campaign = campaign_with_recipients(user, 4, usable_tags=TAGS, tags=_tags)
    recipients = list(campaign.recipients.order_by("id"))
    response = auth_client.post(
        begin_url(campaign), {"message": "नमस्ते {tags_नाम} जी, {tags_जिल्ला} बाट स्वागत छ"}, format="json"
    )
    body = assert_envelope(response, status=200, message="Campaign is running!!")
    assert body["data"]["empty_tags"] == {
        "count": 2,
        "rows": [
            {"id": recipients[1].pk, "number": int(recipients[1].number[4:]), "empty_tags": ["tags_नाम"]},
            {"id": recipients[2].pk, "number": int(recipients[2].number[4:]), "empty_tags": TAGS},
        ],
    }
    texts = list(Attempt.objects.filter(run=Run.objects.get()).order_by("recipient_id").values_list("text", flat=True))
    assert texts == [
        "नमस्ते राम जी, काठमाडौं बाट स्वागत छ",
        "नमस्ते जी, ललितपुर बाट स्वागत छ",
        "नमस्ते जी, बाट स्वागत छ",
        "नमस्ते सीता जी, भक्तपुर बाट स्वागत छ",
    ]


def test_a_message_without_placeholders_reports_no_gaps(auth_client, user):
    campaign = campaign_with_recipients(user, 2, usable_tags=TAGS)
    body = assert_envelope(auth_client.post(begin_url(campaign), {"message": "नमस्ते"}, format="json"), status=200)
    assert "empty_tags" not in body["data"]


def test_unknown_placeholder_lists_the_usable_tags(auth_client, user):
    campaign = campaign_with_recipients(user, 2, usable_tags=TAGS)
    response = auth_client.post(begin_url(campaign), {"message": "नमस्ते {tags_नम} जी"}, format="json")
    body = assert_error(response, status=400, field="message", code="unknown_placeholder")
    assert body["errors"][0]["message"] == (
        "message uses placeholders that are not usable tags of this campaign: {tags_नम}. "
        "Usable tags: {tags_नाम}, {tags_जिल्ला}."
    )
    assert body["data"] == {"usable_tags": TAGS}
    bare = campaign_with_recipients(user, 1)
    body = assert_error(auth_client.post(begin_url(bare), {"message": "Hi {x}"}, format="json"), status=400)
    assert body["message"].endswith("Usable tags: none (the campaign has no tags).")
    assert not Run.objects.exists()


@pytest.mark.parametrize(
    ("text", "tags", "rendered"),
    [
        ("Hello {tags_name} there", {}, "Hello there"),
        ("Hello {tags_name}, welcome", {"tags_name": None}, "Hello, welcome"),
        ("{tags_name} Hello", {}, "Hello"),
        ("Hello  {tags_name}  there", {}, "Hello  there"),
        ("Hi {tags_name} {tags_age}!", {"tags_age": 25}, "Hi 25!"),
        ("Hi {name}", {"name": "Ram"}, "Hi Ram"),
    ],
)
def test_render_keeps_single_spaces_around_empty_tags(text, tags, rendered):
    assert render_message(text, tags) == rendered
