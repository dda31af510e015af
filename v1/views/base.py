from __future__ import annotations

from rest_framework.permissions import IsAuthenticated
from rest_framework.views import APIView

from v1.authentication import AUTHENTICATION_CLASSES


class V1View(APIView):
    """Every v1 endpoint but login: the v1 token, a JWT, or the access cookie."""

    authentication_classes = AUTHENTICATION_CLASSES
    permission_classes = [IsAuthenticated]
