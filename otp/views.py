from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.views import APIView

from otp import codes
from otp.serializers import OtpDetailsOutput, OtpSendInput, OtpVerifyInput
from otp.services import otp_send, otp_verify
from tingting.api.envelope import ok
from tingting.api.idempotency import idempotent
from tingting.api.schema import ERROR_ENVELOPE, envelope_of, tingting_responses


def _seal_answer(body: dict) -> dict:
    """The stored Idempotency-Key answer holds the code: keep it sealed at rest."""
    return {"sealed": codes.seal(body)}


def _unseal_answer(stored: dict) -> dict:
    return codes.unseal(stored["sealed"])


class OtpSendView(APIView):
    @extend_schema(
        request=OtpSendInput,
        responses=tingting_responses(
            {
                200: envelope_of("OtpSendEnvelope", {"details": OtpDetailsOutput()}),
                402: OpenApiResponse(ERROR_ENVELOPE, description="Not enough credits."),
            }
        ),
        tags=["otp"],
    )
    @idempotent(store=_seal_answer, replay=_unseal_answer)
    def post(self, request):
        payload = OtpSendInput(data=request.data)
        payload.is_valid(raise_exception=True)
        sent = otp_send(user=request.user, base_url=request.build_absolute_uri("/"), **payload.validated_data)
        return ok({"details": OtpDetailsOutput(sent).data}, message="OTP Sent Successfully.")


class OtpVerifyView(APIView):
    @extend_schema(
        request=OtpVerifyInput,
        responses=tingting_responses(
            {
                200: envelope_of("OtpVerifyEnvelope", {"verified": serializers.BooleanField()}),
            }
        ),
        tags=["otp"],
    )
    def post(self, request):
        payload = OtpVerifyInput(data=request.data)
        payload.is_valid(raise_exception=True)
        otp_verify(user=request.user, **payload.validated_data)
        return ok({"verified": True}, message="OTP verified.")
