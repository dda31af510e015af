"""Numbers and voices (docs/api/API_CONTRACT_V1.md §3): bare lists."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from phonenumbers_app.selectors import owned_number_list
from v1.schema import v1_responses
from v1.selectors import dashboard
from v1.serializers.account import V1DialerOutput, V1VoiceOutput
from v1.views.base import V1View
from voices.selectors import voice_list

TAGS = ["v1 account"]


class ActiveNumbersView(V1View):
    @extend_schema(responses=v1_responses({200: V1DialerOutput(many=True)}), tags=TAGS)
    def get(self, request):
        return Response(V1DialerOutput(owned_number_list(user=request.user), many=True).data)


class VoiceModelsView(V1View):
    @extend_schema(responses=v1_responses({200: V1VoiceOutput(many=True)}), tags=TAGS)
    def get(self, request):
        return Response(V1VoiceOutput(voice_list(), many=True).data)


class DashboardQuery(serializers.Serializer):
    days = serializers.IntegerField(min_value=1, max_value=3650, default=30)


class DashboardView(V1View):
    @extend_schema(parameters=[DashboardQuery], responses=v1_responses({200: OpenApiTypes.OBJECT}), tags=TAGS)
    def get(self, request):
        query = DashboardQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        return Response(dashboard(user=request.user, days=query.validated_data["days"]))
