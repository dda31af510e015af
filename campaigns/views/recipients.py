"""TingTing views for a campaign's recipients (docs/api/API_CONTRACT.md §2 "Campaign actions").

Thin: parse, call, render.
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.views import APIView

from campaigns import extensions, selectors
from campaigns.schema import (
    NumberAddEnvelope,
    NumberDeleteEnvelope,
    NumberDetailEnvelope,
    NumberListEnvelope,
    NumberUpdateEnvelope,
)
from campaigns.serializers.recipients import (
    RecipientAddInput,
    RecipientListQuery,
    RecipientUpdateInput,
    number_display,
    recipient_output,
)
from campaigns.services.recipients import recipient_add, recipient_delete, recipient_update
from campaigns.views.paging import MAX_PAGE_SIZE, import_report_of
from tingting.api.envelope import ok
from tingting.api.idempotency import idempotent
from tingting.api.pagination import page_of, pagination_body
from tingting.api.schema import tingting_responses

TAGS = ["campaigns"]
NUMBER_LIST_CAP = 10_000


class CampaignNumbersView(APIView):
    @extend_schema(
        parameters=[RecipientListQuery],
        responses=tingting_responses({200: NumberListEnvelope}),
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
        # Keys other apps add (campaigns.extensions): a survey's answers.
        extras = extensions.extra_objects(campaign, [r.pk for r in rows])
        data["number-lists"] = [{**recipient_output(r, campaign.name), **extras.get(r.pk, {})} for r in rows]
        if (report := import_report_of(campaign)) is not None:
            data["import"] = report
        return ok(data)

    @extend_schema(
        request=RecipientAddInput,
        responses=tingting_responses({201: NumberAddEnvelope}),
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
        responses=tingting_responses({200: NumberDeleteEnvelope}),
        tags=TAGS,
    )
    def delete(self, request, number_id: int):
        recipient = recipient_delete(user=request.user, recipient_id=number_id)
        shown = number_display(recipient.number)
        return ok({"campaign-details": f"{shown} of campaign {recipient.campaign.name} deleted Successfully!!"})


class NumberDetailView(APIView):
    @extend_schema(
        responses=tingting_responses({200: NumberDetailEnvelope}),
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
        responses=tingting_responses({200: NumberUpdateEnvelope}),
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
