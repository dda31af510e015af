from django.http import FileResponse, StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.views import APIView

from campaigns.schema import ReportSummaryEnvelope
from campaigns.selectors import campaign_get, reports
from campaigns.serializers.reports import ReportDownloadInput, ReportSummaryInput
from tingting.api.envelope import ok
from tingting.api.schema import TINGTING_ERRORS, tingting_responses

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class CampaignReportDownloadView(APIView):
    @extend_schema(
        parameters=[
            OpenApiParameter("campaign_id", int, required=True),
            OpenApiParameter("format", str, enum=["xlsx", "csv"], required=False),
        ],
        responses={200: OpenApiResponse(OpenApiTypes.BINARY, description="xlsx or csv attachment"), **TINGTING_ERRORS},
        tags=["reports"],
    )
    def get(self, request):
        query = ReportDownloadInput(data=request.query_params)
        query.is_valid(raise_exception=True)
        campaign = campaign_get(user=request.user, campaign_id=query.validated_data["campaign_id"])
        if query.validated_data["format"] == "csv":
            response = StreamingHttpResponse(reports.csv_chunks(campaign), content_type="text/csv; charset=utf-8")
            response["Content-Disposition"] = reports.report_disposition(campaign, "csv")
            return response
        response = FileResponse(reports.xlsx_file(campaign), content_type=XLSX_TYPE)
        response["Content-Disposition"] = reports.report_disposition(campaign, "xlsx")
        return response


class CampaignReportSummaryView(APIView):
    @extend_schema(
        parameters=[OpenApiParameter("campaign_id", int, required=False)],
        responses=tingting_responses({200: ReportSummaryEnvelope}),
        tags=["reports"],
    )
    def get(self, request):
        query = ReportSummaryInput(data=request.query_params)
        query.is_valid(raise_exception=True)
        campaign_id = query.validated_data.get("campaign_id")
        summaries = reports.campaign_summaries(user=request.user, campaign_id=campaign_id)
        if campaign_id is not None and not summaries:
            campaign_get(user=request.user, campaign_id=campaign_id)  # raises the 404
        return ok({"summary": summaries, "totals": reports.summary_totals(summaries)})
