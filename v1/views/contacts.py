"""v1 contacts (docs/api/API_CONTRACT_V1.md §4): add one or many, bulk file, campaign-detail, update,
delete, attributes."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response

from campaigns.selectors import campaign_get, recipient_get
from campaigns.views.campaigns import UploadLimitHandler
from v1 import selectors
from v1.pagination import paginate
from v1.schema import v1_responses
from v1.serializers.contacts import (
    V1AttributesInput,
    V1BulkFileInput,
    V1ContactInput,
    V1ContactOutput,
    V1ContactsInput,
    V1ContactUpdateInput,
    contact_output,
    variables_of,
)
from v1.services import contacts
from v1.views.base import V1View
from v1.views.campaigns import PAGE_PARAMETERS, page_schema

TAGS = ["v1 contacts"]
ManyOutput = inline_serializer(
    "V1ContactsAdded",
    {
        "created": serializers.IntegerField(),
        "skipped": serializers.IntegerField(),
        "contacts": V1ContactOutput(many=True),
        "errors": serializers.ListField(child=serializers.DictField()),
    },
)


class ContactAddView(V1View):
    @extend_schema(
        request=V1ContactInput,
        responses=v1_responses({201: V1ContactOutput, 200: ManyOutput}, 409),
        tags=TAGS,
        description="One `{number, other_variables}` (201, the contact plus `message`), or `{contacts: [...]}`.",
    )
    def post(self, request, campaign_id: int):
        campaign = campaign_get(user=request.user, campaign_id=campaign_id)
        if isinstance(request.data, dict) and "contacts" in request.data:
            return self.add_many(campaign, request.data)
        payload = V1ContactInput(data=request.data)
        payload.is_valid(raise_exception=True)
        recipient = contacts.contact_add(campaign=campaign, **payload.validated_data)
        return Response({**contact_output(recipient), "message": "New Contact added"}, status=201)

    @staticmethod
    def add_many(campaign, data) -> Response:
        payload = V1ContactsInput(data=data)
        payload.is_valid(raise_exception=True)
        result = contacts.contacts_add_many(campaign=campaign, contacts=payload.validated_data["contacts"])
        result["contacts"] = [contact_output(r) for r in result["contacts"]]
        return Response(result, status=201 if result["created"] else 200)


class BulkFileView(V1View):
    def initial(self, request, *args, **kwargs):
        request._request.upload_handlers.insert(0, UploadLimitHandler(request._request))
        super().initial(request, *args, **kwargs)

    @extend_schema(
        request={"multipart/form-data": V1BulkFileInput},
        responses=v1_responses(
            {
                200: inline_serializer(
                    "V1BulkPreview",
                    {
                        "error_list": serializers.ListField(child=serializers.DictField()),
                        "samples": serializers.ListField(child=serializers.DictField()),
                        "total_validated_rows": serializers.IntegerField(),
                    },
                ),
                202: inline_serializer(
                    "V1BulkDeferred",
                    {
                        "error_list": serializers.ListField(child=serializers.DictField()),
                        "samples": serializers.ListField(child=serializers.DictField()),
                        "total_validated_rows": serializers.IntegerField(allow_null=True),
                        "import": serializers.DictField(help_text="the pending import report (state, rows_expected)"),
                    },
                ),
            },
            409,
            413,
            415,
        ),
        tags=TAGS,
    )
    def patch(self, request, campaign_id: int):
        campaign = campaign_get(user=request.user, campaign_id=campaign_id)
        if isinstance(request.data, dict) and "contacts" in request.data and "bulk_file" not in request.data:
            # The Laravel package sends bulk contacts as JSON here when it has no file.
            return ContactAddView.add_many(campaign, request.data)
        payload = V1BulkFileInput(data=request.data)
        payload.is_valid(raise_exception=True)
        answer = contacts.contacts_import(campaign=campaign, upload=payload.validated_data["bulk_file"])
        return Response(answer, status=202 if "import" in answer else 200)

    post = patch


class CampaignDetailView(V1View):
    @extend_schema(
        parameters=PAGE_PARAMETERS,
        responses=v1_responses(
            {
                200: page_schema(
                    "V1ContactPage",
                    V1ContactOutput(many=True),
                    total_credits_consumed=serializers.IntegerField(),
                    carrier_summary=serializers.DictField(child=serializers.IntegerField()),
                )
            }
        ),
        tags=TAGS,
    )
    def get(self, request, campaign_id: int):
        campaign = campaign_get(user=request.user, campaign_id=campaign_id)
        paginator, rows = paginate(request, selectors.contact_list(campaign=campaign), self)
        return Response(
            paginator.page_body(
                [contact_output(r) for r in rows],
                total_credits_consumed=selectors.credits_consumed(campaign=campaign),
                carrier_summary=selectors.carrier_summary(campaign=campaign),
            )
        )


class ContactUpdateView(V1View):
    @extend_schema(request=V1ContactUpdateInput, responses=v1_responses({200: V1ContactOutput}, 409), tags=TAGS)
    def patch(self, request, contact_id: int):
        payload = V1ContactUpdateInput(data=request.data)
        payload.is_valid(raise_exception=True)
        recipient = contacts.contact_update(user=request.user, contact_id=contact_id, **payload.validated_data)
        return Response(contact_output(recipient))

    put = patch


class ContactDeleteView(V1View):
    @extend_schema(
        responses=v1_responses({200: inline_serializer("V1Deleted", {"message": serializers.CharField()})}, 409),
        tags=TAGS,
    )
    def delete(self, request, contact_id: int):
        contacts.contact_delete(user=request.user, contact_id=contact_id)
        return Response({"message": "Successfully Deleted."})


class AttributesView(V1View):
    @extend_schema(responses=v1_responses({200: OpenApiTypes.OBJECT}), tags=TAGS)
    def get(self, request, contact_id: int):
        return Response(variables_of(recipient_get(user=request.user, recipient_id=contact_id).tags))

    @extend_schema(request=V1AttributesInput, responses=v1_responses({200: OpenApiTypes.OBJECT}, 409), tags=TAGS)
    def patch(self, request, contact_id: int):
        payload = V1AttributesInput(data=request.data)
        payload.is_valid(raise_exception=True)
        values = payload.validated_data["values"]
        recipient = contacts.contact_attributes_merge(user=request.user, contact_id=contact_id, values=values)
        return Response(variables_of(recipient.tags))
