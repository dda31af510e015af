"""TingTing views for campaigns and their recipients (docs/api/API_CONTRACT.md §2). Thin: parse, call, render."""

from __future__ import annotations

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler
from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from campaigns import selectors
from campaigns.schema import (
    CAMPAIGN_LIST_SCHEMA,
    CampaignCreateEnvelope,
    CampaignDeleteEnvelope,
    CampaignDetailsEnvelope,
    CampaignUpdateEnvelope,
)
from campaigns.serializers.campaigns import CampaignCreateInput, CampaignListQuery, CampaignOutput, CampaignUpdateInput
from campaigns.services.campaign import campaign_create, campaign_delete, campaign_update
from campaigns.views.paging import MAX_PAGE_SIZE, import_report_of
from tingting.api.envelope import campaign_list_body, ok
from tingting.api.idempotency import idempotent
from tingting.api.pagination import page_links, page_of
from tingting.api.schema import tingting_responses
from tingting.errors import PayloadTooLargeError

TAGS = ["campaigns"]


class UploadLimitHandler(FileUploadHandler):
    """Stops a campaign upload as soon as it passes IMPORT_MAX_UPLOAD_BYTES (413), instead of
    spooling the whole body to disk first; the form fields get 1 MB of slack."""

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        if content_length and content_length > settings.IMPORT_MAX_UPLOAD_BYTES + 1024 * 1024:
            raise self._too_large()
        self.received = 0

    def receive_data_chunk(self, raw_data, start):
        self.received = start + len(raw_data)
        if self.received > settings.IMPORT_MAX_UPLOAD_BYTES:
            raise self._too_large()
        return raw_data

    def file_complete(self, file_size):
        return None

    @staticmethod
    def _too_large() -> PayloadTooLargeError:
        return PayloadTooLargeError(
            f"The file is larger than {settings.IMPORT_MAX_UPLOAD_BYTES // (1024 * 1024)} MB.",
            field="send_to_number_file",
        )


class CampaignsView(APIView):
    def initial(self, request, *args, **kwargs):
        if request.method == "POST":
            request._request.upload_handlers.insert(0, UploadLimitHandler(request._request))
        super().initial(request, *args, **kwargs)

    @extend_schema(parameters=[CampaignListQuery], responses=tingting_responses({200: CAMPAIGN_LIST_SCHEMA}), tags=TAGS)
    def get(self, request):
        query = CampaignListQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        params = query.validated_data
        campaigns = selectors.campaign_list(
            user=request.user,
            search=params.get("search") or None,
            services=params.get("services"),
            status=params.get("status"),
        )
        page = page_of(campaigns, page=params["page"], size=params["page_size"], max_size=MAX_PAGE_SIZE)
        items = CampaignOutput(page.object_list, many=True).data
        return Response(campaign_list_body(page=page, items=items, links=page_links(request, page)))

    @extend_schema(
        request={"application/json": CampaignCreateInput, "multipart/form-data": CampaignCreateInput},
        responses=tingting_responses({201: CampaignCreateEnvelope}),
        tags=TAGS,
    )
    @idempotent
    def post(self, request):
        payload = CampaignCreateInput(data=request.data)
        payload.is_valid(raise_exception=True)
        campaign, report = campaign_create(owner=request.user, **payload.validated_data)
        return ok(
            {"details": [CampaignOutput(campaign).data], "import": report},
            message="Campaign Created Successfully",
            status=201,
        )


class CampaignUpdateView(APIView):
    @extend_schema(
        request=CampaignUpdateInput,
        responses=tingting_responses({200: CampaignUpdateEnvelope}),
        tags=TAGS,
    )
    def put(self, request, campaign_id: int):
        campaign = selectors.campaign_get(user=request.user, campaign_id=campaign_id)
        payload = CampaignUpdateInput(data=request.data)
        payload.is_valid(raise_exception=True)
        campaign = campaign_update(campaign=campaign, **payload.validated_data)
        return ok({"details": [CampaignOutput(campaign).data]}, message="Campaign details successfully updated.")

    patch = put


class CampaignDeleteView(APIView):
    @extend_schema(
        responses=tingting_responses({200: CampaignDeleteEnvelope}),
        tags=TAGS,
    )
    def delete(self, request, campaign_id: int):
        campaign_delete(campaign=selectors.campaign_get(user=request.user, campaign_id=campaign_id))
        return ok({"camaign": "Campaign Deleted Succesfully"})


class CampaignDetailsView(APIView):
    @extend_schema(
        responses=tingting_responses({200: CampaignDetailsEnvelope}),
        tags=TAGS,
    )
    def get(self, request, campaign_id: int):
        campaign = selectors.campaign_get(user=request.user, campaign_id=campaign_id)
        data = {"messages": "Details Retrived successfully", "details": [CampaignOutput(campaign).data]}
        if (report := import_report_of(campaign)) is not None:
            data["import"] = report
        return ok(data)
