"""Request and response shapes of docs/api/API_CONTRACT.md §2 "Campaign actions" (a campaign's recipients)."""

from __future__ import annotations

from rest_framework import serializers

from campaigns.models import Recipient
from campaigns.serializers.campaigns import RawField, TagsField
from tingting.api.fields import ChoiceField
from tingting.api.pagination import PageQuery
from tingting.phones import national_display


class RecipientAddInput(serializers.Serializer):
    number = RawField(help_text="national number of the default region, or +E.164")
    available_tags = TagsField(required=False)


class RecipientUpdateInput(serializers.Serializer):
    number = RawField(required=False)
    available_tags = TagsField(required=False)


class RecipientListQuery(PageQuery):
    status = ChoiceField(choices=Recipient.Status.choices, required=False)


def number_display(e164: str) -> int:
    """The action object's integer ``number`` (``tingting.phones.national_display``)."""
    return int(national_display(e164))


def recipient_output(recipient: Recipient, campaign_name: str) -> dict:
    """The action object; plain function so a 10,000-row list stays fast."""
    return {
        "id": recipient.pk,
        "number": number_display(recipient.number),
        "campaing": campaign_name,
        "available_tags": recipient.tags,
        "status": recipient.status,
        "duration": recipient.duration,
        "playback": recipient.playback,
        "credit_consumed": recipient.credit_consumed,
    }


class RecipientOutput(serializers.Serializer):
    """Schema of the action object (``campaing`` spelled as the seed)."""

    id = serializers.IntegerField()
    number = serializers.IntegerField()
    campaing = serializers.CharField()
    available_tags = serializers.DictField()
    status = ChoiceField(choices=Recipient.Status.choices)
    duration = serializers.IntegerField(allow_null=True)
    playback = serializers.IntegerField(allow_null=True)
    credit_consumed = serializers.IntegerField()
    survey_answers = serializers.DictField(
        required=False, help_text="SURVEY campaigns, in the number list: each input name's latest answer"
    )

    def to_representation(self, recipient: Recipient) -> dict:
        return recipient_output(recipient, recipient.campaign.name)
