"""Domain errors raised by services, tasks and commands, and the one registry of error codes.

They carry an HTTP status, a stable snake_case ``code`` clients branch on, a
human message and optionally the field the client sent. The face's exception
handler (``tingting.api.exceptions``) turns them into its error shape; nothing
else builds error bodies.

``ERROR_CODES`` is the vocabulary: every code a client can receive, from our
errors and from the DRF / simplejwt / Django errors the handler passes through.
A code used in the source but missing here fails
``tests/platform/test_error_codes.py``, so the list in ``docs/architecture.md``
stays the whole truth. Add a new code here, with one line saying what it means.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

# code → what it means to the client, grouped by who raises it.
_CODES_BY_GROUP: dict[str, dict[str, str]] = {
    "request and plumbing (tingting/api)": {
        "invalid": "The value (or the request) is invalid; the message says why.",
        "bad_request": "The request could not be understood.",
        "parse_error": "The body is not valid JSON (or the form could not be parsed).",
        "too_large": "The body or upload is larger than allowed.",
        "too_many_fields": "The form has more fields or files than allowed.",
        "unsupported_media_type": "The body's or upload's type is not accepted.",
        "not_found": "No such object for this account, or no such route.",
        "method_not_allowed": "The route does not take this HTTP method.",
        "not_acceptable": "The Accept header asks for a type the API does not serve.",
        "conflict": "The request conflicts with the object's current state.",
        "throttled": "Too many requests; Retry-After says when to try again.",
        "unavailable": "A service the request needs is down; try again shortly.",
        "server_error": "Unexpected error; the message carries the request id.",
        "idempotency_key_reused": "This Idempotency-Key was used with a different request.",
        "idempotency_in_progress": "A request with this Idempotency-Key is still being processed.",
        "insufficient_credits": "The account has not enough credits.",
    },
    "authentication and permission": {
        "not_authenticated": "No credentials were sent.",
        "authentication_failed": "The credentials are not valid.",
        "permission_denied": "The account may not do this.",
        "csrf_failed": "A session-authenticated unsafe request without a valid CSRF token.",
        "invalid_credentials": "Login: wrong email or password.",
        "invalid_api_key": "Tling face: the X-API-Key is unknown, revoked or of an inactive account.",
        "token_not_valid": "The JWT (access or refresh) is invalid, expired or blacklisted.",
        "bad_authorization_header": "The Authorization header is not 'Bearer <token>'.",
        "user_not_found": "The JWT names no account.",
        "user_inactive": "The JWT's account is inactive.",
        "no_active_account": "No active account with these credentials.",
        "password_changed": "Token refresh: the password changed since the token was issued; log in again.",
    },
    "field validation (DRF serializers and our checks)": {
        "required": "A required field is missing.",
        "null": "The field may not be null.",
        "blank": "The field may not be blank.",
        "max_length": "The text is too long.",
        "min_length": "The text is too short.",
        "max_value": "The number is too large.",
        "min_value": "The number is too small.",
        "max_digits": "The number has too many digits.",
        "max_decimal_places": "The number has too many decimal places.",
        "max_whole_digits": "The number has too many digits before the point.",
        "invalid_choice": "The value is not one of the allowed choices.",
        "not_a_list": "A list was expected.",
        "empty": "The list may not be empty.",
        "incorrect_type": "The value has the wrong type.",
        "does_not_exist": "The referenced object does not exist.",
        "unique": "An object with this value exists already.",
        "date": "A date was expected, not a date and time.",
        "datetime": "A date and time was expected, not a date.",
        "out_of_range": "The number is outside the allowed range.",
        "whole_number": "The value must be a whole number.",
        "invalid_format": "The text is not in the expected format.",
        "invalid_date": "Not a valid date and time.",
        "in_past": "The moment must be in the future.",
        "invalid_time_zone": "Not an IANA time zone name.",
        "invalid_phone_number": "A phone number could not be read as a valid number.",
    },
    "accounts, ledger and webhooks": {
        "email_taken": "An account with this email exists already.",
        "ledger_key_conflict": "The ledger idempotency key was used for another movement.",
        "hold_exceeded": "More credits released or charged from the hold than are held.",
        "invalid_url": "The webhook URL is not a valid URL.",
        "scheme_not_allowed": "The webhook URL is not http or https.",
        "unresolvable": "The webhook URL's host does not resolve.",
        "private_address": "The webhook URL resolves to a non-public address.",
        "port_not_allowed": "The webhook URL's port is not 80, 443 or one the operator allows.",
    },
    "numbers": {
        "number_unavailable": "The number is not on sale (bought by someone else, or unknown).",
        "number_in_use": "The number is the caller ID of a campaign in progress.",
        "provider_unavailable": "The number provider did not answer; nothing was charged.",
        "purchase_unconfirmed": "The number provider has not confirmed the purchase yet; it is being checked.",
        "invalid_header": "The inventory CSV's header row is not the expected one.",
    },
    "campaigns, recipients and imports": {
        "campaign_not_found": "No such campaign for this account.",
        "number_not_found": "No such recipient number in this campaign.",
        "campaign_running": "The campaign is running; this cannot change now.",
        "unknown_number": "The caller ID is not one of the account's numbers with that capability.",
        "ambiguous_recipients": "Both individual_number and send_to_number_file were sent.",
        "unknown_tag": "The tag is not one of the campaign's usable tags.",
        "number_exists": "The number is already a recipient of the campaign.",
        "number_in_flight": "The recipient's call or message is in flight right now.",
        "invalid_page": "The page does not exist.",
        "invalid_file": "The uploaded recipient file cannot be read.",
        "empty_file": "The uploaded file is empty.",
        "broken_file": "The workbook is damaged.",
        "encrypted_file": "The workbook is password protected.",
        "xml_entities_forbidden": "The workbook declares XML entities.",
        "zip_bomb": "The workbook has too many parts or unpacks too large.",
        "not_utf8": "The CSV file is not UTF-8 text.",
        "header_required": "The first row must be a header naming the columns.",
        "file_missing": "The uploaded file is gone (the import cannot resume).",
        "too_many_rows": "The file has more rows than allowed.",
        "too_many_columns": "The file has more columns than allowed.",
        "too_many_strings": "The workbook's shared strings unpack larger than allowed (the message names the limit).",
        "no_valid_numbers": "The file has no valid phone number.",
        "import_in_progress": "The campaign's recipients are still being imported.",
    },
    "runs": {
        "no_content": "Nothing to send: no message (or audio) is stored.",
        "not_for_sms": "Audio was sent for an SMS campaign.",
        "priority_required": "Both message and audio exist: say which with priority.",
        "unknown_placeholder": "The message uses a placeholder that is not a usable tag.",
        "empty_target": "No recipient matches: nothing to run.",
        "credit_limit_exceeded": "The run may use more credits than the campaign's credit_limit.",
        "no_active_run": "The campaign has no run in progress.",
        "invalid_state": "The run is not in a state that allows this transition.",
    },
    "surveys": {
        "not_a_survey": "Only SURVEY campaigns have steps (or run and test as surveys).",
        "no_steps": "The survey has no steps yet: nothing to play.",
        "too_many": "A survey has at most 50 steps.",
        "too_long": "The step's text is longer than allowed.",
        "not_allowed": "Only play steps take an audio file.",
        "reserved": "The input name is a column of the survey report; choose another.",
        "duplicate": "Another step has the same input name or order.",
        "unknown_step": "An uploaded file is keyed by an index that has no step.",
    },
    "voice and audio": {
        "invalid_audio": "The audio file is empty or not a supported format.",
        "audio_too_long": "The audio is longer than allowed.",
        "tts_unavailable": "Text to speech is unavailable; try again shortly.",
    },
    "OTP": {
        "otp_invalid": "The OTP is not correct.",
        "otp_expired": "The OTP has expired.",
        "invalid_otp": "The OTP sent for verification is not 4 to 10 digits.",
        "otp_placeholder": "The message must contain the OTP placeholder exactly once.",
        "otp_rate_limited": "Too many OTPs to this number; Retry-After says when.",
        "otp_locked": "Too many wrong tries for this OTP.",
    },
    "Tling face": {
        "invalid_parameter": "A query parameter is invalid (source.parameter names it).",
        "invalid_sort": "The sort field is not sortable.",
        "invalid_filter_field": "The filter field is not filterable.",
        "invalid_filter_operator": "The filter operator is unknown.",
        "duplicate_phone_number": "A contact with this phone number exists already.",
        "schedule_not_waiting": "The scheduled message is no longer waiting; it cannot change.",
    },
    "v1 face": {
        "invalid_token": "The v1 API token is unknown or revoked.",
        "no_token": "The account has no v1 API token yet.",
        "token_conflict": "A v1 API token is being generated already; try again.",
        "no_refresh_token": "No refresh token was sent (cookie or body).",
    },
    "provider reasons (recorded on messages and attempts)": {
        "invalid_number": "The provider refused the number as invalid.",
        "unsupported_destination": "The provider does not deliver to this destination.",
        "outcome_unknown": "An earlier submission may have been accepted; not sent again.",
    },
}

ERROR_CODES: MappingProxyType[str, str] = MappingProxyType(
    {code: meaning for group in _CODES_BY_GROUP.values() for code, meaning in group.items()}
)
ERROR_CODE_GROUPS: MappingProxyType[str, dict[str, str]] = MappingProxyType(_CODES_BY_GROUP)


_CONFLICT = "The request conflicts with the current state."
_MEDIA = "Unsupported upload type."
_KEY_REUSED = "This Idempotency-Key was used with a different request."
_UNAVAILABLE = "A service the request needs is unavailable; try again shortly."


@dataclass
class FieldError:
    field: str | None
    code: str
    message: str


class DomainError(Exception):
    status_code = 400
    default_code = "invalid"
    default_message = "The request is invalid."

    def __init_subclass__(
        cls, *, status: int | None = None, code: str | None = None, message: str | None = None, **kwargs: Any
    ) -> None:
        """A kind in its class line: ``class NotFoundError(DomainError, status=404,
        code="not_found", message="Not found.")``; what it leaves out is inherited."""
        super().__init_subclass__(**kwargs)
        if status is not None:
            cls.status_code = status
        if code is not None:
            cls.default_code = code
        if message is not None:
            cls.default_message = message

    def __init__(
        self,
        message: str | None = None,
        *,
        code: str | None = None,
        field: str | None = None,
        errors: list[FieldError] | None = None,
        headers: dict[str, str] | None = None,
        data: dict | None = None,
    ) -> None:
        self.message = message or self.default_message
        self.code = code or self.default_code
        self.errors = errors or [FieldError(field, self.code, self.message)]
        self.headers = headers or {}
        # Extra payload some endpoints document in the error body's data.
        self.data = data or {}
        super().__init__(self.message)


# The kinds services raise, one line each: HTTP status, default code (registered in
# ERROR_CODES above) and default message; a raise may give its own code and message.
class InvalidInputError(DomainError, status=400): ...


class NotFoundError(DomainError, status=404, code="not_found", message="Not found."): ...


class InsufficientCreditsError(DomainError, status=402, code="insufficient_credits", message="Not enough credits."): ...


class ConflictError(DomainError, status=409, code="conflict", message=_CONFLICT): ...


class PayloadTooLargeError(DomainError, status=413, code="too_large", message="The upload is too large."): ...


class UnsupportedMediaTypeError(DomainError, status=415, code="unsupported_media_type", message=_MEDIA): ...


class IdempotencyKeyReusedError(DomainError, status=422, code="idempotency_key_reused", message=_KEY_REUSED): ...


class DependencyUnavailableError(DomainError, status=503, code="unavailable", message=_UNAVAILABLE): ...


class RateLimitedError(DomainError, status=429, code="throttled", message="Too many requests."):
    def __init__(self, message: str | None = None, *, retry_after: int, **kwargs) -> None:
        kwargs.setdefault("headers", {})["Retry-After"] = str(max(1, int(retry_after)))
        self.retry_after = retry_after
        super().__init__(message, **kwargs)


@dataclass
class ErrorBody:
    """A face-independent error, before a face renders it."""

    status: int
    message: str
    errors: list[FieldError] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)
    data: dict = field(default_factory=dict)
