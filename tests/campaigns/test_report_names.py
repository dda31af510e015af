"""Report file names keep a Devanagari campaign name (RFC 6266 ``filename*``), with an
ASCII ``filename`` for clients that do not read it; ``word_slug`` keeps Devanagari marks."""

from __future__ import annotations

from urllib.parse import unquote

import pytest
from django.utils import timezone

from tests.support.reports import DOWNLOAD, make_campaign
from tingting.text import word_slug


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_devanagari_campaign_name_survives_in_the_file_name(auth_client, user, fmt):
    campaign = make_campaign(user, name="दशैं अफर २०८१")
    response = auth_client.get(DOWNLOAD, {"campaign_id": campaign.pk, "format": fmt})
    assert response.status_code == 200
    stamp = timezone.localtime().strftime("%Y-%m-%d")
    plain, starred = response["Content-Disposition"].split("; filename*=")
    assert plain == f'attachment; filename="campaign-{campaign.pk}-report-{stamp}.{fmt}"'
    assert starred.startswith("utf-8''") and starred.isascii()
    assert unquote(starred.removeprefix("utf-8''")) == f"दशैं-अफर-२०८१-{campaign.pk}-report-{stamp}.{fmt}"


@pytest.mark.django_db
def test_ascii_campaign_name_has_one_plain_filename(auth_client, user):
    campaign = make_campaign(user, name="Dashain offer")
    response = auth_client.get(DOWNLOAD, {"campaign_id": campaign.pk, "format": "csv"})
    assert response["Content-Disposition"].startswith(f'attachment; filename="dashain-offer-{campaign.pk}-report-')
    assert "filename*" not in response["Content-Disposition"]


@pytest.mark.parametrize(
    ("raw", "slug"),
    [
        ("जिल्ला", "जिल्ला"),
        (" फोन नम्बर ", "फोन_नम्बर"),
        ("नाम (पूरा)", "नाम_पूरा"),
        ("वडा नं.", "वडा_नं"),
        ("उमेर२०", "उमेर२०"),
        ("First Name", "first_name"),
        ("E-MAIL", "e_mail"),
        ("Straße", "strasse"),
        ("क्\u200dष", "क्ष"),  # a zero-width joiner does not split the name
        ("\u0958", "\u0915\u093c"),  # NFC: क़ typed precomposed or as क + nukta is one name
        ("!!!", ""),
    ],
)
def test_word_slug_keeps_letters_marks_and_digits_of_every_script(raw, slug):
    assert word_slug(raw) == slug
    assert word_slug(slug) == slug  # stable
