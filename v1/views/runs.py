"""test-speak, demo call, run-campaign, emergency stop and the CSV report (docs/api/API_CONTRACT_V1.md §4)."""

from __future__ import annotations

from django.http import StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.response import Response

from campaigns.selectors import campaign_get, reports
from tingting.api import throttling
from tingting.voice import mp3
from tingting.voice.services import voice_test_render
from v1.schema import v1_responses
from v1.serializers.runs import V1MessageOutput, V1TestSpeakInput
from v1.services.runs import campaign_run, demo_call, emergency_stop, scheduled_message
from v1.views.base import V1View

TAGS = ["v1 runs"]


class TestSpeakView(V1View):
    @extend_schema(
        request=V1TestSpeakInput,
        responses=v1_responses({200: OpenApiResponse(OpenApiTypes.STR, description="the audio's absolute URL")}),
        tags=TAGS,
    )
    def post(self, request, campaign_id: int):
        campaign = campaign_get(user=request.user, campaign_id=campaign_id)
        throttling.enforce("tts_test", str(request.user.pk))
        payload = V1TestSpeakInput(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        render = voice_test_render(
            user=request.user,
            message=data.get("message") or campaign.message,
            voice=data.get("voice_input") or campaign.voice_input,
            length_factor=campaign.length_factor,
        )
        return Response(mp3.audio_url(render, request=request))


class DemoCallView(V1View):
    @extend_schema(request=None, responses=v1_responses({200: V1MessageOutput}, 402, 409), tags=TAGS)
    def post(self, request, contact_id: int):
        demo_call(user=request.user, contact_id=contact_id)
        return Response({"message": "Demo call initiated"})


class RunCampaignView(V1View):
    @extend_schema(request=None, responses=v1_responses({200: V1MessageOutput}, 402, 409), tags=TAGS)
    def post(self, request, campaign_id: int):
        run = campaign_run(user=request.user, campaign_id=campaign_id)
        if run.scheduled_for:
            return Response({"message": scheduled_message(run.scheduled_for)})
        return Response({"message": "Campaign Began Successfully!!"})


class EmergencyStopView(V1View):
    @extend_schema(request=None, responses=v1_responses({200: V1MessageOutput}, 409), tags=TAGS)
    def post(self, request, campaign_id: int):
        emergency_stop(user=request.user, campaign_id=campaign_id)
        return Response({"message": "Campaign stopped"})


class ReportView(V1View):
    @extend_schema(
        request=None,
        responses=v1_responses({(200, "text/csv"): OpenApiResponse(OpenApiTypes.BINARY, description="CSV, streamed")}),
        tags=TAGS,
    )
    def get(self, request, campaign_id: int):
        campaign = campaign_get(user=request.user, campaign_id=campaign_id)
        response = StreamingHttpResponse(
            reports.csv_chunks(campaign, carrier=True), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="{reports.report_filename(campaign, "csv")}"'
        return response

    post = get
