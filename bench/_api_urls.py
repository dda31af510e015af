"""The production URLs plus the two baseline views of ``bench api`` (bench server only)."""

from django.urls import path
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt.authentication import JWTAuthentication

from accounts.authentication import ApiKeyAuthentication
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


urlpatterns = [
    path("bench/bare-key", BareMessagesView.as_view()),
    path("bench/bare-jwt", BareMessagesJwtView.as_view()),
    *production,
]
