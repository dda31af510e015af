"""OpenAPI descriptions of the Tling face: bare objects, collections, JSON:API errors."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, inline_serializer
from rest_framework import serializers

_ts = serializers.CharField  # ISO 8601 UTC with milliseconds and Z


class ContactOutput(serializers.Serializer):
    birthDate = _ts(allow_null=True)  # noqa: N815
    createdAt = _ts()  # noqa: N815
    email = serializers.CharField(allow_null=True)
    id = serializers.UUIDField()
    listsCount = serializers.CharField()  # noqa: N815
    name = serializers.CharField()
    phoneCode = serializers.CharField()  # noqa: N815
    phoneNumber = serializers.CharField()  # noqa: N815
    updatedAt = _ts()  # noqa: N815


class ListCreatedOutput(serializers.Serializer):
    """A new list: as the seed, create answers without ``contactsCount``."""

    createdAt = _ts()  # noqa: N815
    id = serializers.UUIDField()
    name = serializers.CharField()
    updatedAt = _ts()  # noqa: N815


class ListOutput(ListCreatedOutput):
    """A list and ``contactsCount``, how many contacts are on it."""

    contactsCount = serializers.CharField()  # noqa: N815


class ReportEntry(serializers.Serializer):
    status = serializers.CharField()
    timestamp = _ts()


class MessageOutput(serializers.Serializer):
    apiKeyId = serializers.UUIDField(allow_null=True)  # noqa: N815
    createdAt = _ts()  # noqa: N815
    error = serializers.CharField(allow_null=True)
    id = serializers.UUIDField()
    phoneCode = serializers.CharField()  # noqa: N815
    phoneNumber = serializers.CharField()  # noqa: N815
    report = ReportEntry(many=True)
    updatedAt = _ts()  # noqa: N815


class ScheduleData(serializers.Serializer):
    to = serializers.ListField(child=serializers.CharField())
    text = serializers.CharField()
    userId = serializers.UUIDField()  # noqa: N815
    apiKeyId = serializers.UUIDField(allow_null=True)  # noqa: N815


class ScheduleOutput(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    data = ScheduleData()
    state = serializers.CharField()
    createdon = _ts()


class ScheduleUpdated(serializers.Serializer):
    data = ScheduleOutput(many=True)


class CostOutput(serializers.Serializer):
    credits = serializers.CharField()


class _ErrorSource(serializers.Serializer):
    pointer = serializers.CharField(required=False)
    parameter = serializers.CharField(required=False)


class _ErrorItem(serializers.Serializer):
    status = serializers.CharField()
    code = serializers.CharField()
    title = serializers.CharField()
    detail = serializers.CharField()
    source = _ErrorSource(required=False)


class TlingErrors(serializers.Serializer):
    errors = _ErrorItem(many=True)


def collection_of(name: str, item: type[serializers.Serializer]) -> serializers.Serializer:
    return inline_serializer(name, {"data": item(many=True), "total": serializers.IntegerField()})


IDS = serializers.ListSerializer(child=serializers.UUIDField())
COLLECTION_PARAMETERS = [
    OpenApiParameter("page[size]", int, description="1-100 (above 100 → 100), default 30"),
    OpenApiParameter("page[number]", int, description="default 1"),
    OpenApiParameter("sort", str, description="field or -field, comma-separated"),
    OpenApiParameter("filter[field][op]", str, description="op: eq ne gt gte lt lte like in null; comma = OR"),
]
_ERRORS = {
    code: OpenApiResponse(TlingErrors, description=text)
    for code, text in {
        400: "Invalid input; `source.pointer` or `source.parameter` names it.",
        401: "Missing or invalid X-API-Key.",
        404: "Not found or not yours.",
    }.items()
}


def responses(success: dict, *extra: int) -> dict:
    texts = {402: "Not enough credits.", 409: "Conflict with the current state."}
    return {**_ERRORS, **{c: OpenApiResponse(TlingErrors, description=texts[c]) for c in extra}, **success}
