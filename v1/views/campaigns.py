"""The v1 campaign object (docs/api/API_CONTRACT_V1.md §4): list, create, get, update, delete, message settings."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response

from campaigns.services.campaign import campaign_delete
from campaigns.status import summary_of
from v1 import selectors
from v1.pagination import paginate
from v1.schema import v1_responses
from v1.serializers.campaigns import (
    V1CampaignCreateInput,
    V1CampaignListQuery,
    V1CampaignOutput,
    V1CampaignUpdateInput,
    V1MessageSettingsInput,
    V1MessageSettingsOutput,
    campaign_output,
)
from v1.services.campaigns import campaign_change, campaign_create
from v1.views.base import V1View
from voices.selectors import voice_list

TAGS = ["v1 campaigns"]
PAGE_PARAMETERS = [
    OpenApiParameter("limit", int, description="default 10, max 100"),
    OpenApiParameter("offset", int),
]


def page_schema(name: str, item, **extra) -> serializers.Serializer:
    return inline_serializer(
        name,
        {
            "count": serializers.IntegerField(),
            "total_pages": serializers.IntegerField(),
            "next": serializers.URLField(allow_null=True),
            "previous": serializers.URLField(allow_null=True),
            "results": item,
            **extra,
        },
    )


def _answer(request, campaign, status: int = 200) -> Response:
    return Response(campaign_output(summary_of(campaign), request=request), status=status)


class CampaignListView(V1View):
    @extend_schema(
        parameters=[V1CampaignListQuery, *PAGE_PARAMETERS],
        responses=v1_responses({200: page_schema("V1CampaignPage", V1CampaignOutput(many=True))}),
        tags=TAGS,
        operation_id="v1_campaign_list",
    )
    def get(self, request):
        query = V1CampaignListQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        params = {key: value for key, value in query.validated_data.items() if value not in (None, "")}
        paginator, rows = paginate(request, selectors.campaign_list(user=request.user, **params), self)
        voices = {voice.internal_name: voice for voice in voice_list()}
        return Response(paginator.page_body([campaign_output(c, request=request, voices=voices) for c in rows]))


class CampaignCreateView(V1View):
    @extend_schema(request=V1CampaignCreateInput, responses=v1_responses({201: V1CampaignOutput}), tags=TAGS)
    def post(self, request):
        payload = V1CampaignCreateInput(data=request.data, context={"user": request.user})
        payload.is_valid(raise_exception=True)
        campaign = campaign_create(owner=request.user, **payload.changes())
        return _answer(request, campaign, status=201)


class CampaignView(V1View):
    @extend_schema(responses=v1_responses({200: V1CampaignOutput}), tags=TAGS)
    def get(self, request, campaign_id: int):
        return _answer(request, selectors.campaign_get(user=request.user, campaign_id=campaign_id))

    @extend_schema(request=V1CampaignUpdateInput, responses=v1_responses({200: V1CampaignOutput}, 409), tags=TAGS)
    def patch(self, request, campaign_id: int):
        campaign = selectors.campaign_get(user=request.user, campaign_id=campaign_id)
        payload = V1CampaignUpdateInput(data=request.data, context={"user": request.user})
        payload.is_valid(raise_exception=True)
        return _answer(request, campaign_change(campaign=campaign, **payload.changes()))

    put = post = patch

    @extend_schema(responses=v1_responses({204: None}, 409), tags=TAGS)
    def delete(self, request, campaign_id: int):
        campaign_delete(campaign=selectors.campaign_get(user=request.user, campaign_id=campaign_id))
        return Response(status=204)


class MessageSettingsView(V1View):
    @extend_schema(
        request=V1MessageSettingsInput, responses=v1_responses({200: V1MessageSettingsOutput}, 409), tags=TAGS
    )
    def patch(self, request, campaign_id: int):
        campaign = selectors.campaign_get(user=request.user, campaign_id=campaign_id)
        payload = V1MessageSettingsInput(data=request.data, context={"user": request.user})
        payload.is_valid(raise_exception=True)
        return Response(V1MessageSettingsOutput(campaign_change(campaign=campaign, **payload.changes())).data)

    put = post = patch
