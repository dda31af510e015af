from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.views import APIView

from phonenumbers_app import selectors
from phonenumbers_app.serializers import PhoneNumberOutput, PhoneSidInput
from phonenumbers_app.services import number_buy, number_release
from tingting.api.envelope import ok
from tingting.api.idempotency import idempotent
from tingting.api.schema import ERROR_ENVELOPE, envelope_of, tingting_responses
from tingting.phones import national_display

BUY_ERRORS = {
    402: OpenApiResponse(ERROR_ENVELOPE, description="Not enough credits for the number's rate."),
    409: OpenApiResponse(ERROR_ENVELOPE, description="Already bought (by anyone), or no longer available."),
    503: OpenApiResponse(ERROR_ENVELOPE, description="The number provider did not answer; nothing charged."),
}
RELEASE_ERRORS = {
    409: OpenApiResponse(ERROR_ENVELOPE, description="A campaign in progress uses it as caller ID."),
    503: OpenApiResponse(ERROR_ENVELOPE, description="The number provider did not answer."),
}


class OwnedPhoneNumbersView(APIView):
    @extend_schema(
        operation_id="phone_numbers_owned_list",
        responses=tingting_responses(
            {200: envelope_of("OwnedNumbersEnvelope", {"owned_numbers": PhoneNumberOutput(many=True)})}
        ),
        tags=["phone numbers"],
    )
    def get(self, request):
        numbers = selectors.owned_number_list(user=request.user)
        return ok({"owned_numbers": PhoneNumberOutput(numbers, many=True).data})


class PhoneNumbersView(APIView):
    @extend_schema(
        operation_id="phone_numbers_available_list",
        responses=tingting_responses(
            {200: envelope_of("NumberListsEnvelope", {"number_lists": PhoneNumberOutput(many=True)})}
        ),
        tags=["phone numbers"],
    )
    def get(self, request):
        numbers = selectors.available_number_list()
        return ok(
            {"number_lists": PhoneNumberOutput(numbers, many=True).data}, message="Number Lists Retrived Successfully!!"
        )

    @extend_schema(
        operation_id="phone_numbers_buy",
        request=PhoneSidInput,
        responses=tingting_responses(
            {200: envelope_of("NumberBoughtEnvelope", {"number_details": PhoneNumberOutput(many=True)}), **BUY_ERRORS}
        ),
        tags=["phone numbers"],
    )
    @idempotent
    def post(self, request):
        number = number_buy(user=request.user, sid=PhoneSidInput.sid_from(request))
        return ok(
            {"number_details": [PhoneNumberOutput(number).data]},
            message=f"{national_display(number.phone_number)} number bought successfully!!",
        )

    @extend_schema(
        operation_id="phone_numbers_release",
        request=PhoneSidInput,
        responses=tingting_responses({200: envelope_of("NumberReleasedEnvelope"), **RELEASE_ERRORS}),
        tags=["phone numbers"],
        description="HTTP 200 with `status: 204` in the body (clients parse the body).",
    )
    def delete(self, request):
        number = number_release(user=request.user, sid=PhoneSidInput.sid_from(request))
        return ok(message=f"{national_display(number.phone_number)} number released successfully!!", body_status=204)
