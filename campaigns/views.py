"""TingTing views for campaigns and their recipients (API_CONTRACT §2). Thin: parse, call, render."""

from __future__ import annotations

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from campaigns import selectors
from campaigns.serializers import (
    CampaignCreateInput,
    CampaignListQuery,
    CampaignOutput,
    CampaignUpdateInput,
    ImportReportOutput,
    RecipientAddInput,
    RecipientListQuery,
    RecipientOutput,
    RecipientUpdateInput,
    number_display,
    recipient_output,
)
from campaigns.services.campaign import campaign_create, campaign_delete, campaign_update
from campaigns.services.recipients import recipient_add, recipient_delete, recipient_update
from tingting.api.envelope import campaign_list_body, ok
from tingting.api.errors import PayloadTooLargeError
from tingting.api.idempotency import idempotent
from tingting.api.pagination import page_links, page_of, pagination_body
from tingting.api.schema import envelope_of, tingting_responses

MAX_PAGE_SIZE = 100
NUMBER_LIST_CAP = 10_000
TAGS = ["campaigns"]


def _import_of(campaign) -> dict | None:
    return campaign.import_report if campaign.import_state != campaign.ImportState.NONE else None


CAMPAIGN_LIST_SCHEMA = inline_serializer(
    "CampaignList",
    {
        "pagination": inline_serializer(
            "CampaignListPagination",
            {
                "total_items": serializers.IntegerField(),
                "total_pages": serializers.IntegerField(),
                "page_number": serializers.IntegerField(),
                "has_next": serializers.BooleanField(),
                "has_previous": serializers.BooleanField(),
                "links": inline_serializer(
                    "PageLink", {"page_number": serializers.IntegerField(), "url": serializers.URLField()}, many=True
                ),
            },
        ),
        "result": inline_serializer(
            "CampaignListResult", {"messages": serializers.CharField(), "campaign-lists": CampaignOutput(many=True)}
        ),
    },
)


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
        responses=tingting_responses(
            {
                201: envelope_of(
                    "CampaignCreateEnvelope", {"details": CampaignOutput(many=True), "import": ImportReportOutput()}
                )
            }
        ),
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
        responses=tingting_responses(
            {200: envelope_of("CampaignUpdateEnvelope", {"details": CampaignOutput(many=True)})}
        ),
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
        responses=tingting_responses(
            {200: envelope_of("CampaignDeleteEnvelope", {"camaign": serializers.CharField()})}
        ),
        tags=TAGS,
    )
    def delete(self, request, campaign_id: int):
        campaign_delete(campaign=selectors.campaign_get(user=request.user, campaign_id=campaign_id))
        return ok({"camaign": "Campaign Deleted Succesfully"})


class CampaignDetailsView(APIView):
    @extend_schema(
        responses=tingting_responses(
            {
                200: envelope_of(
                    "CampaignDetailsEnvelope",
                    {
                        "messages": serializers.CharField(),
                        "details": CampaignOutput(many=True),
                        "import": ImportReportOutput(required=False),
                    },
                )
            }
        ),
        tags=TAGS,
    )
    def get(self, request, campaign_id: int):
        campaign = selectors.campaign_get(user=request.user, campaign_id=campaign_id)
        data = {"messages": "Details Retrived successfully", "details": [CampaignOutput(campaign).data]}
        if (report := _import_of(campaign)) is not None:
            data["import"] = report
        return ok(data)


class CampaignNumbersView(APIView):
    @extend_schema(
        parameters=[RecipientListQuery],
        responses=tingting_responses(
            {
                200: envelope_of(
                    "NumberListEnvelope",
                    {
                        "messages": serializers.CharField(),
                        "number-lists": RecipientOutput(many=True),
                        "truncated": serializers.BooleanField(required=False),
                        "import": ImportReportOutput(required=False),
                    },
                )
            }
        ),
        tags=TAGS,
    )
    def get(self, request, campaign_id: int):
        campaign = selectors.campaign_get(user=request.user, campaign_id=campaign_id)
        query = RecipientListQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        params = query.validated_data
        recipients = selectors.recipient_list(campaign=campaign, status=params.get("status"))
        data = {"messages": f"Number related to {campaign.name} campaign Retrived successfully"}
        if "page" in params or "page_size" in params:
            page = page_of(
                recipients, page=params.get("page", 1), size=params.get("page_size", 10), max_size=MAX_PAGE_SIZE
            )
            rows, data["pagination"] = list(page.object_list), pagination_body(page)
        else:
            rows = list(recipients[: NUMBER_LIST_CAP + 1])
            data["truncated"] = len(rows) > NUMBER_LIST_CAP
            rows = rows[:NUMBER_LIST_CAP]
        data["number-lists"] = [recipient_output(r, campaign.name) for r in rows]
        if (report := _import_of(campaign)) is not None:
            data["import"] = report
        return ok(data)

    @extend_schema(
        request=RecipientAddInput,
        responses=tingting_responses({201: envelope_of("NumberAddEnvelope", {"details": RecipientOutput()})}),
        tags=TAGS,
    )
    @idempotent
    def post(self, request, campaign_id: int):
        campaign = selectors.campaign_get(user=request.user, campaign_id=campaign_id)
        payload = RecipientAddInput(data=request.data)
        payload.is_valid(raise_exception=True)
        recipient = recipient_add(campaign=campaign, **payload.validated_data)
        return ok(
            {"details": recipient_output(recipient, campaign.name)}, message="Number added successfully.", status=201
        )


class NumberDeleteView(APIView):
    @extend_schema(
        responses=tingting_responses(
            {200: envelope_of("NumberDeleteEnvelope", {"campaign-details": serializers.CharField()})}
        ),
        tags=TAGS,
    )
    def delete(self, request, number_id: int):
        recipient = recipient_delete(user=request.user, recipient_id=number_id)
        shown = number_display(recipient.number)
        return ok({"campaign-details": f"{shown} of campaign {recipient.campaign.name} deleted Successfully!!"})


class NumberDetailView(APIView):
    @extend_schema(
        responses=tingting_responses(
            {
                200: envelope_of(
                    "NumberDetailEnvelope", {"messages": serializers.CharField(), "number-detail": RecipientOutput()}
                )
            }
        ),
        tags=TAGS,
    )
    def get(self, request, number_id: int):
        recipient = selectors.recipient_get(user=request.user, recipient_id=number_id)
        shown = number_display(recipient.number)
        return ok(
            {
                "messages": f"{shown} details retrieved successfully!!",
                "number-detail": recipient_output(recipient, recipient.campaign.name),
            }
        )

    @extend_schema(
        request=RecipientUpdateInput,
        responses=tingting_responses({200: envelope_of("NumberUpdateEnvelope", {"details": RecipientOutput()})}),
        tags=TAGS,
    )
    def put(self, request, number_id: int):
        payload = RecipientUpdateInput(data=request.data)
        payload.is_valid(raise_exception=True)
        recipient = recipient_update(user=request.user, recipient_id=number_id, **payload.validated_data)
        return ok(
            {"details": recipient_output(recipient, recipient.campaign.name)},
            message="Action details successfully updated.",
        )

    patch = put
