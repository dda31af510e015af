"""The verification outcomes the contract names (docs/api/API_CONTRACT.md §2 "OTP")."""

from __future__ import annotations

from tingting.errors import InvalidInputError


class OtpInvalidError(InvalidInputError):
    default_code = "otp_invalid"
    default_message = "The OTP is not correct."

    def __init__(self, message: str | None = None, **kwargs) -> None:
        kwargs.setdefault("data", {"verified": False})
        kwargs.setdefault("field", "otp")
        super().__init__(message, **kwargs)


class OtpExpiredError(OtpInvalidError):
    default_code = "otp_expired"
    default_message = "The OTP has expired."
