"""Paths of docs/api/API_CONTRACT.md §2 "OTP"."""

from otp import views
from tingting.api.routing import both

urlpatterns = [
    *both("api/system/send/otp", views.OtpSendView.as_view(), "otp-send"),
    *both("api/system/verify/otp", views.OtpVerifyView.as_view(), "otp-verify"),
]
