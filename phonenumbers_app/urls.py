"""Paths of docs/api/API_CONTRACT.md §2 "Phone numbers", with and without the trailing slash."""

from phonenumbers_app import views
from tingting.api.routing import both

urlpatterns = [
    *both("api/system/owned/phone_numbers", views.OwnedPhoneNumbersView.as_view(), "owned-phone-numbers"),
    *both("api/system/phone_numbers", views.PhoneNumbersView.as_view(), "phone-numbers"),
]
