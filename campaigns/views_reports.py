from django.http import FileResponse, StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.views import APIView

from campaigns import reports
from campaigns.models import Campaign
from tingting.api.errors import NotFoundError
from tingting.api.schema import TINGTING_ERRORS

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class ReportDownloadInput(serializers.Serializer):
    campaign_id = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    format = serializers.ChoiceField(choices=["xlsx", "csv"], default="xlsx")


def owned_campaign(user, campaign_id: int) -> Campaign:
    campaign = Campaign.objects.filter(owner=user, pk=campaign_id).first()
    if campaign is None:
        raise NotFoundError("Campaign not found.")
    return campaign


class CampaignReportDownloadView(APIView):
    @extend_schema(
        parameters=[
            OpenApiParameter("campaign_id", int, required=True),
            OpenApiParameter("format", str, enum=["xlsx", "csv"], required=False),
        ],
        responses={200: OpenApiResponse(OpenApiTypes.BINARY, description="xlsx or csv attachment"),
                   **TINGTING_ERRORS},
        tags=["reports"],
    )
    def get(self, request):
        query = ReportDownloadInput(data=request.query_params)
        query.is_valid(raise_exception=True)
        campaign = owned_campaign(request.user, query.validated_data["campaign_id"])
        if query.validated_data["format"] == "csv":
            response = StreamingHttpResponse(reports.csv_chunks(campaign), content_type="text/csv; charset=utf-8")
            response["Content-Disposition"] = f'attachment; filename="{reports.report_filename(campaign, "csv")}"'
            return response
        return FileResponse(reports.xlsx_file(campaign), as_attachment=True,
                            filename=reports.report_filename(campaign, "xlsx"), content_type=XLSX_TYPE)
