"""v1 OTP (docs/api/API_CONTRACT_V1.md §6): send and the masked list keep the seed envelope; verify is the seed's."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.response import Response

from otp.selectors import otp_list
from otp.serializers import OtpDetailsOutput
from otp.services import otp_send
from otp.views import OtpVerifyView, _seal_answer, _unseal_answer
from tingting.api.envelope import envelope, ok
from tingting.api.idempotency import idempotent
from tingting.api.schema import envelope_of, tingting_responses
from v1.authentication import AUTHENTICATION_CLASSES
from v1.pagination import paginate
from v1.serializers.otp import V1OtpSendInput, otp_row_output
from v1.views.base import V1View
from v1.views.campaigns import PAGE_PARAMETERS

TAGS = ["v1 otp"]


class OtpSendView(V1View):
    @extend_schema(
        request=V1OtpSendInput,
        responses=tingting_responses({200: envelope_of("V1OtpSendEnvelope", {"details": OpenApiTypes.OBJECT})}, 402),
        tags=TAGS,
    )
    @idempotent(store=_seal_answer, replay=_unseal_answer)
    def post(self, request):
        payload = V1OtpSendInput(data=request.data)
        payload.is_valid(raise_exception=True)
        sent = otp_send(user=request.user, base_url=request.build_absolute_uri("/"), **payload.send_kwargs())
        request.user.refresh_from_db(fields=["credits"])
        details = {
            **OtpDetailsOutput(sent).data,
            "credits_used": sent.otp.price,
            # One balance pays for both channels.
            "remaining_sms_credits": request.user.credits,
            "remaining_phone_credits": request.user.credits,
            "company_name": payload.validated_data["company_name"],
        }
        return ok({"details": details}, message="OTP Sent Successfully.")


class OtpListView(V1View):
    @extend_schema(
        parameters=PAGE_PARAMETERS,
        responses=tingting_responses({200: OpenApiResponse(OpenApiTypes.OBJECT, description="paged, envelope inside")}),
        tags=TAGS,
    )
    def get(self, request):
        paginator, rows = paginate(request, otp_list(user=request.user), self)
        inner = envelope(message="OTP list", data=[otp_row_output(row) for row in rows])
        inner.pop("message")
        return Response(paginator.page_body(inner))


class OtpVerifyV1View(OtpVerifyView):
    """The seed verify, served at ``auths/verify/otp/`` with the v1 credentials."""

    authentication_classes = AUTHENTICATION_CLASSES
