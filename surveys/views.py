"""The survey endpoints of the v1 face (docs/api/API_CONTRACT_V1.md §5): thin, one service or selector each."""

from __future__ import annotations

from django.conf import settings
from django.http import StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.response import Response

from surveys import reports
from surveys.parsing import steps_from_request
from surveys.selectors import survey_get, survey_steps
from surveys.serializers import (
    SurveyMessageOutput,
    SurveyReportOutput,
    SurveyStepsInput,
    SurveyStepsOutput,
)
from surveys.services.run import survey_begin, survey_begin_message, survey_test
from surveys.services.steps import survey_steps_delete, survey_steps_replace
from v1.schema import v1_responses
from v1.views.base import V1View

TAGS = ["v1 surveys"]


def _link_base(request) -> str:
    """Where clients fetch prompts and recordings: our public address, else the host the
    client asked (the development server of README command 1 has no PUBLIC_BASE_URL)."""
    return settings.PUBLIC_BASE_URL or request.build_absolute_uri("/")


def _steps_answer(request, campaign) -> Response:
    output = SurveyStepsOutput({"results": survey_steps(campaign=campaign)}, context={"base": _link_base(request)})
    return Response(output.data)


class SurveyStepsView(V1View):
    @extend_schema(tags=TAGS, responses=v1_responses({200: SurveyStepsOutput}))
    def get(self, request, campaign_id: int):
        return _steps_answer(request, survey_get(user=request.user, campaign_id=campaign_id))

    @extend_schema(tags=TAGS, request=SurveyStepsInput, responses=v1_responses({200: SurveyStepsOutput}, 409, 413, 415))
    def post(self, request, campaign_id: int):
        steps, files = steps_from_request(request.data, request.FILES)
        survey_steps_replace(user=request.user, campaign_id=campaign_id, steps=steps, files=files)
        return _steps_answer(request, survey_get(user=request.user, campaign_id=campaign_id))

    @extend_schema(tags=TAGS, request=SurveyStepsInput, responses=v1_responses({200: SurveyStepsOutput}, 409, 413, 415))
    def put(self, request, campaign_id: int):
        return self.post(request, campaign_id)

    @extend_schema(tags=TAGS, responses=v1_responses({204: None}, 409))
    def delete(self, request, campaign_id: int):
        survey_steps_delete(user=request.user, campaign_id=campaign_id)
        return Response(status=204)


class RunSurveyView(V1View):
    @extend_schema(tags=TAGS, request=None, responses=v1_responses({200: SurveyMessageOutput}, 402, 409))
    def post(self, request, campaign_id: int):
        run = survey_begin(user=request.user, campaign_id=campaign_id)
        return Response({"message": survey_begin_message(run)})


class TestSurveyView(V1View):
    @extend_schema(tags=TAGS, request=None, responses=v1_responses({200: SurveyMessageOutput}, 402, 409))
    def post(self, request, contact_id: int):
        survey_test(user=request.user, contact_id=contact_id)
        return Response({"message": "Survey call initiated"})


class SurveyReportView(V1View):
    @extend_schema(
        tags=TAGS,
        parameters=[OpenApiParameter("format", OpenApiTypes.STR, enum=["csv", "json"], description="csv (default)")],
        responses=v1_responses(
            {
                (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="the CSV report (default)"),
                (200, "application/json"): OpenApiResponse(SurveyReportOutput, description="with ?format=json"),
            }
        ),
    )
    def get(self, request, campaign_id: int):
        campaign = survey_get(user=request.user, campaign_id=campaign_id)
        base = _link_base(request)
        if request.query_params.get("format", "").lower() == "json":
            rows = list(reports.survey_report_rows(campaign, base=base))
            columns = reports.survey_report_columns(campaign)
            return Response({"campaign_id": campaign.pk, "columns": columns, "count": len(rows), "results": rows})
        response = StreamingHttpResponse(
            reports.survey_report_csv(campaign, base=base), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="survey-{campaign.pk}-report.csv"'
        return response

    @extend_schema(
        tags=TAGS,
        request=None,
        parameters=[OpenApiParameter("format", OpenApiTypes.STR, enum=["csv", "json"], description="csv (default)")],
        responses=v1_responses(
            {
                (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="the CSV report (default)"),
                (200, "application/json"): OpenApiResponse(SurveyReportOutput, description="with ?format=json"),
            }
        ),
    )
    def post(self, request, campaign_id: int):
        return self.get(request, campaign_id)
