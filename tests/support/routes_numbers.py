"""Owned routes of the phone numbers app, for the isolation matrix."""

from decimal import Decimal

from phonenumbers_app.models import PhoneNumber
from tests.support.isolation import owned_route


@owned_route("phone number release (DELETE with a JSON body)", "DELETE")
def _number_release(owner):
    number = PhoneNumber.objects.create(phone_number="+9779841999999", rate=Decimal(10), owner=owner)
    return "/api/system/phone_numbers", {"phone_sid": number.sid}
