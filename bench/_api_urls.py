"""The production URLs plus the two baseline views of ``bench api`` (bench server only)."""

from django.urls import path
from rest_framework import serializers
from rest_framework.generics import ListAPIView
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt.authentication import JWTAuthentication

from accounts.authentication import ApiKeyAuthentication
from campaigns.models import Campaign, Recipient
from tingting.urls import urlpatterns as production
from tling.models import Message


class BareMessagesView(APIView):
    """A bare DRF view: the same page of rows, no collection parsing, no total, no timeline."""

    authentication_classes = [ApiKeyAuthentication]
    permission_classes = [IsAuthenticated]

    def get(self, request):
        rows = list(
            Message.objects.filter(owner=request.user)
            .order_by("-created_at")
            .values("id", "phone_code", "phone_national", "status", "error", "created_at", "updated_at")[:100]
        )
        return Response({"data": rows})


class BareMessagesJwtView(BareMessagesView):
    authentication_classes = [JWTAuthentication]


class _CampaignRow(serializers.ModelSerializer):
    class Meta:
        model = Campaign
        fields = [
            "id", "name", "services", "sms_message", "message", "description", "schedule", "audio_file",
            "category", "user_phone", "updated_at", "credit_limit", "voice_input", "draft",
            "failover_target", "length_factor",
        ]  # fmt: skip


class _RecipientRow(serializers.ModelSerializer):
    class Meta:
        model = Recipient
        fields = ["id", "number", "status", "duration", "playback", "credit_consumed", "sms_credit_consumed", "tags"]


class _Limits(LimitOffsetPagination):
    default_limit, max_limit = 10, 100


class BareCampaignsView(ListAPIView):
    """The v1 campaign list's baseline: the textbook DRF list of the same rows (ModelSerializer,
    limit/offset paging with its count, caller IDs prefetched), without status, counts or voices."""

    authentication_classes = [JWTAuthentication]
    permission_classes = [IsAuthenticated]
    serializer_class = _CampaignRow
    pagination_class = _Limits

    def get_queryset(self):
        return Campaign.objects.filter(owner=self.request.user).prefetch_related("user_phone").order_by("-updated_at")


class BareRecipientsView(ListAPIView):
    """The campaign-detail baseline: the textbook DRF list of one campaign's recipients."""

    authentication_classes = [JWTAuthentication]
    permission_classes = [IsAuthenticated]
    serializer_class = _RecipientRow
    pagination_class = _Limits

    def get_queryset(self):
        return Recipient.objects.filter(
            campaign_id=self.kwargs["campaign_id"], campaign__owner=self.request.user
        ).order_by("id")


urlpatterns = [
    path("bench/bare-key", BareMessagesView.as_view()),
    path("bench/bare-jwt", BareMessagesJwtView.as_view()),
    path("bench/bare-campaigns", BareCampaignsView.as_view()),
    path("bench/bare-recipients/<int:campaign_id>", BareRecipientsView.as_view()),
    *production,
]
