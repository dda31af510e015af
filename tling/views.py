"""Tling API views (docs/api/API_CONTRACT.md §3): parse, call one service or selector, render."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.authentication import ApiKeyAuthentication
from tingting.api.idempotency import idempotent
from tling import selectors, services
from tling.envelope import collection
from tling.schema import (
    COLLECTION_PARAMETERS,
    IDS,
    ContactOutput,
    CostOutput,
    ListCreatedOutput,
    ListOutput,
    MessageOutput,
    ScheduleOutput,
    ScheduleUpdated,
    collection_of,
    responses,
)
from tling.serializers import (
    ContactInput,
    ListInput,
    MessageInput,
    ScheduleInput,
    contact_out,
    id_array,
    list_out,
    message_out,
    schedule_out,
)


def _valid(serializer_class, request, *, partial: bool = False) -> dict:
    payload = serializer_class(data=request.data, partial=partial)
    payload.is_valid(raise_exception=True)
    return payload.validated_data


def _api_key_id(request) -> int | None:
    return getattr(request.auth, "pk", None)


class TlingView(APIView):
    authentication_classes = [ApiKeyAuthentication]
    permission_classes = [IsAuthenticated]


# --- contacts -------------------------------------------------------------------------


def _contact_fields(data: dict) -> dict:
    names = {"name": "name", "phoneNumber": "phone_number", "email": "email", "birthDate": "birth_date"}
    return {names[key]: value for key, value in data.items()}


@extend_schema(tags=["tling"])
class ContactsView(TlingView):
    @extend_schema(
        operation_id="tling_contacts_list",
        responses=responses({200: collection_of("ContactCollection", ContactOutput)}),
        parameters=[*COLLECTION_PARAMETERS, OpenApiParameter("listId", str, description="id or !id")],
    )
    def get(self, request):
        rows, total = selectors.contact_list_page(owner=request.user, params=request.query_params)
        return Response(collection([contact_out(c) for c in rows], total))

    @extend_schema(
        operation_id="tling_contacts_create", request=ContactInput, responses=responses({200: ContactOutput}, 409)
    )
    @idempotent
    def post(self, request):
        contact = services.contact_create(owner=request.user, **_contact_fields(_valid(ContactInput, request)))
        return Response(contact_out(contact))

    @extend_schema(operation_id="tling_contacts_bulk_delete", request=IDS, responses=responses({204: None}))
    def delete(self, request):
        services.contacts_delete(owner=request.user, ids=id_array(request.data))
        return Response(status=204)


@extend_schema(tags=["tling"])
class ContactDetailView(TlingView):
    @extend_schema(operation_id="tling_contact_get", responses=responses({200: ContactOutput}))
    def get(self, request, pk):
        return Response(contact_out(selectors.contact_get(owner=request.user, contact_id=pk)))

    @extend_schema(
        operation_id="tling_contact_update", request=ContactInput, responses=responses({200: ContactOutput}, 409)
    )
    def patch(self, request, pk):
        contact = selectors.contact_get(owner=request.user, contact_id=pk)
        fields = _contact_fields(_valid(ContactInput, request, partial=True))
        return Response(contact_out(services.contact_update(contact=contact, **fields)))

    @extend_schema(operation_id="tling_contact_delete", responses=responses({204: None}))
    def delete(self, request, pk):
        services.contact_delete(contact=selectors.contact_get(owner=request.user, contact_id=pk))
        return Response(status=204)


# --- lists ----------------------------------------------------------------------------


@extend_schema(tags=["tling"])
class ListsView(TlingView):
    @extend_schema(
        operation_id="tling_lists_list",
        parameters=COLLECTION_PARAMETERS,
        responses=responses({200: collection_of("ListCollection", ListOutput)}),
    )
    def get(self, request):
        rows, total = selectors.list_page(owner=request.user, params=request.query_params)
        return Response(collection([list_out(r) for r in rows], total))

    @extend_schema(operation_id="tling_lists_create", request=ListInput, responses=responses({200: ListCreatedOutput}))
    @idempotent
    def post(self, request):
        contact_list = services.list_create(owner=request.user, **_valid(ListInput, request))
        return Response(list_out(contact_list, with_count=False))


@extend_schema(tags=["tling"])
class ListDetailView(TlingView):
    @extend_schema(operation_id="tling_list_get", responses=responses({200: ListOutput}))
    def get(self, request, pk):
        return Response(list_out(selectors.list_get(owner=request.user, list_id=pk)))

    @extend_schema(operation_id="tling_list_update", request=ListInput, responses=responses({200: ListOutput}))
    def patch(self, request, pk):
        contact_list = selectors.list_get(owner=request.user, list_id=pk)
        services.list_update(contact_list=contact_list, **_valid(ListInput, request))
        return Response(list_out(contact_list))

    @extend_schema(operation_id="tling_list_delete", responses=responses({204: None}))
    def delete(self, request, pk):
        services.list_delete(contact_list=selectors.list_get(owner=request.user, list_id=pk, with_count=False))
        return Response(status=204)


@extend_schema(tags=["tling"], request=IDS, responses=responses({204: None}))
class ListContactsView(TlingView):
    @extend_schema(operation_id="tling_list_contacts_add")
    def post(self, request, pk):
        contact_list = selectors.list_get(owner=request.user, list_id=pk, with_count=False)
        services.list_add_contacts(contact_list=contact_list, ids=id_array(request.data))
        return Response(status=204)

    @extend_schema(operation_id="tling_list_contacts_remove")
    def delete(self, request, pk):
        contact_list = selectors.list_get(owner=request.user, list_id=pk, with_count=False)
        services.list_remove_contacts(contact_list=contact_list, ids=id_array(request.data))
        return Response(status=204)


# --- messages -------------------------------------------------------------------------


@extend_schema(tags=["tling"])
class MessagesView(TlingView):
    @extend_schema(
        operation_id="tling_messages_list",
        parameters=[*COLLECTION_PARAMETERS, OpenApiParameter("status", str, description="current status")],
        responses=responses({200: collection_of("MessageCollection", MessageOutput)}),
    )
    def get(self, request):
        rows, total = selectors.message_page(owner=request.user, params=request.query_params)
        return Response(collection([message_out(m) for m in rows], total))

    @extend_schema(operation_id="tling_messages_create", request=MessageInput, responses=responses({204: None}, 402))
    @idempotent
    def post(self, request):
        services.messages_create(owner=request.user, api_key_id=_api_key_id(request), **_valid(MessageInput, request))
        return Response(status=204)


@extend_schema(tags=["tling"])
class MessageDetailView(TlingView):
    @extend_schema(operation_id="tling_message_get", responses=responses({200: MessageOutput}))
    def get(self, request, pk):
        return Response(message_out(selectors.message_get(owner=request.user, message_id=pk)))


@extend_schema(tags=["tling"], request=MessageInput, responses=responses({200: CostOutput}))
class MessageCostView(TlingView):
    def post(self, request):
        credits = services.message_cost(owner=request.user, **_valid(MessageInput, request))
        return Response({"credits": str(credits)})


# --- scheduled messages ---------------------------------------------------------------


@extend_schema(tags=["tling"])
class SchedulesView(TlingView):
    @extend_schema(
        operation_id="tling_schedules_list",
        parameters=COLLECTION_PARAMETERS,
        responses=responses({200: collection_of("ScheduleCollection", ScheduleOutput)}),
    )
    def get(self, request):
        rows, total = selectors.schedule_page(owner=request.user, params=request.query_params)
        return Response(collection([schedule_out(s) for s in rows], total))

    @extend_schema(operation_id="tling_schedules_create", request=ScheduleInput, responses=responses({204: None}))
    @idempotent
    def post(self, request):
        data = _valid(ScheduleInput, request)
        services.schedule_create(
            owner=request.user, api_key_id=_api_key_id(request), send_at=data["date"], text=data["text"], to=data["to"]
        )
        return Response(status=204)


@extend_schema(tags=["tling"])
class ScheduleDetailView(TlingView):
    @extend_schema(
        operation_id="tling_schedule_update", request=ScheduleInput, responses=responses({200: ScheduleUpdated}, 409)
    )
    def patch(self, request, pk):
        data = _valid(ScheduleInput, request, partial=True)
        if "date" in data:
            data["send_at"] = data.pop("date")
        schedule = services.schedule_update(owner=request.user, schedule_id=pk, **data)
        return Response({"data": [schedule_out(schedule)]})

    @extend_schema(operation_id="tling_schedule_cancel", responses=responses({204: None}, 409))
    def delete(self, request, pk):
        services.schedule_cancel(owner=request.user, schedule_id=pk)
        return Response(status=204)
