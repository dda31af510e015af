"""Phone numbers in and out, with ``phonenumbers``: stored E.164, shown as the contract says."""

from __future__ import annotations

import functools
from dataclasses import dataclass

import phonenumbers
from django.conf import settings

from tingting.errors import FieldError, InvalidInputError


class InvalidPhoneNumber(ValueError):
    """Why a value is not a phone number, as a predicate: ``f"{value!r} {exc}."``."""


_PARSE_ERRORS = {
    phonenumbers.NumberParseException.INVALID_COUNTRY_CODE: "has no known country code",
    phonenumbers.NumberParseException.NOT_A_NUMBER: "is not a phone number",
    phonenumbers.NumberParseException.TOO_SHORT_AFTER_IDD: "is too short",
    phonenumbers.NumberParseException.TOO_SHORT_NSN: "is too short",
    phonenumbers.NumberParseException.TOO_LONG: "is too long",
}
_IMPOSSIBLE = {
    phonenumbers.ValidationResult.INVALID_COUNTRY_CODE: "has no known country code",
    phonenumbers.ValidationResult.TOO_SHORT: "is too short",
    phonenumbers.ValidationResult.TOO_LONG: "is too long",
    phonenumbers.ValidationResult.INVALID_LENGTH: "has the wrong number of digits for its country",
    phonenumbers.ValidationResult.IS_POSSIBLE_LOCAL_ONLY: "lacks its area code",
}
# What the warning says about a possible number outside the ranges phonenumbers lists.
UNLISTED_WARNING = "is not in a number range phonenumbers lists for its country (accepted; check it)"
POLICIES = ("possible", "valid")


@dataclass(frozen=True, slots=True)
class ParsedNumber:
    """A number that passed the policy: its E.164 form, and whether ``phonenumbers``
    lists its range (``is_valid``); under the default policy an unlisted range is a
    warning, not a refusal."""

    e164: str
    is_valid: bool


def parse(value: object, *, region: str | None = None) -> ParsedNumber:
    """The one parser of numbers a client sends: int or string, national for the
    default region (``9801000001``), E.164 (``+9779801000001``), the default region's
    digits with its country code (``9779801000001``), with spaces, dashes or Devanagari
    digits. Other regions' numbers need their ``+`` (or ``00``): ``984381123`` is a
    mistyped Nepali number, not +98 (Iran). Lookups also try that reading
    (``lookup_forms``).

    ``settings.PHONE_VALIDATION`` decides what is refused: ``possible`` (default)
    refuses only what cannot be a number (unknown country code, wrong length), so new
    ranges and the seeds' samples (``+351987654323``) pass, flagged ``is_valid=False``;
    ``valid`` also refuses numbers outside the ranges ``phonenumbers`` lists.
    Raises InvalidPhoneNumber."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise InvalidPhoneNumber("must be a string or an integer")
    text = str(value).strip()
    if not text or len(text) > 32:
        raise InvalidPhoneNumber("is empty or too long")
    return _parse_text(text, region or settings.DEFAULT_PHONE_REGION)


def _parse_text(text: str, region: str) -> ParsedNumber:
    try:
        parsed = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException as exc:
        # Its str() reads "(1) The string supplied did not seem to be a phone number.":
        # say it in the predicate form the other reasons use ("'12x' is not a phone number.").
        raise InvalidPhoneNumber(_PARSE_ERRORS.get(exc.error_type, "is not a phone number")) from exc
    reason = phonenumbers.is_possible_number_with_reason(parsed)
    if reason != phonenumbers.ValidationResult.IS_POSSIBLE:
        raise InvalidPhoneNumber(_IMPOSSIBLE.get(reason, "is not a phone number"))
    is_valid = phonenumbers.is_valid_number(parsed)
    if not is_valid and settings.PHONE_VALIDATION == "valid":
        raise InvalidPhoneNumber("is not a valid phone number")
    return ParsedNumber(phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164), is_valid)


def to_e164(value: object, *, region: str | None = None) -> str:
    """``parse(value).e164``; raises InvalidPhoneNumber."""
    return parse(value, region=region).e164


def lookup_forms(value: object) -> list[str]:
    """E.164 candidates for a number that *identifies* something already stored (a
    caller ID, a DNC entry, an OTP): what ``parse`` reads, and, for digits, the same
    digits read with a ``+``, the form lists print other regions' numbers in
    (``351911111111``). Empty when nothing parses; never raises."""
    forms = []
    for candidate in (value, f"+{value}" if isinstance(value, int | str) and str(value).strip().isdigit() else None):
        if candidate is None:
            continue
        try:
            e164 = to_e164(candidate)
        except InvalidPhoneNumber:
            continue
        if e164 not in forms:
            forms.append(e164)
    return forms


def parse_many(values: list, *, field: str, region: str | None = None) -> list[str]:
    """Parse a list; any invalid entry rejects the whole list with one error per index."""
    numbers, errors = [], []
    for index, value in enumerate(values):
        try:
            numbers.append(to_e164(value, region=region))
        except InvalidPhoneNumber as exc:
            errors.append(FieldError(f"{field}.{index}", "invalid_phone_number", f"{value!r} {exc}."))
    if errors:
        raise InvalidInputError(
            f"{len(errors)} invalid phone number(s) in {field}.", errors=errors, code="invalid_phone_number"
        )
    return numbers


def lookup_many(values: list, *, field: str) -> list[str]:
    """Every ``lookup_forms`` of every value, for finding rows by number; a value that
    reads as no number rejects the list with one error per index (as ``parse_many``)."""
    forms, errors = [], []
    for index, value in enumerate(values):
        found = lookup_forms(value)
        if not found:
            try:
                to_e164(value)
            except InvalidPhoneNumber as exc:
                errors.append(FieldError(f"{field}.{index}", "invalid_phone_number", f"{value!r} {exc}."))
        forms += found
    if errors:
        raise InvalidInputError(
            f"{len(errors)} invalid phone number(s) in {field}.", errors=errors, code="invalid_phone_number"
        )
    return list(dict.fromkeys(forms))


@functools.cache
def _unshared_default_prefix(region: str) -> str | None:
    """ "+977" for NP: the E.164 prefix of the default region when no other region
    shares its country code, so the national number is simply what follows it."""
    code = phonenumbers.country_code_for_region(region)
    if code and phonenumbers.region_codes_for_country_code(code) == (region,):
        return f"+{code}"
    return None


def national_display(e164: str) -> str:
    """National significant number for the default region ("9843818700"), else the
    E.164 digits without ``+``. Called per row in lists and reports: the common
    case skips the full parse."""
    prefix = _unshared_default_prefix(settings.DEFAULT_PHONE_REGION)
    if prefix is not None:
        return e164[len(prefix) :] if e164.startswith(prefix) else e164.lstrip("+")
    parsed = phonenumbers.parse(e164)
    if phonenumbers.region_code_for_number(parsed) == settings.DEFAULT_PHONE_REGION:
        return str(phonenumbers.national_significant_number(parsed))
    return e164.lstrip("+")


def split_country_code(e164: str) -> tuple[str, str]:
    """("+351", "911111111") for Tling's ``phoneCode`` / ``phoneNumber`` and vendors
    that want the national part; raises InvalidPhoneNumber for what is no E.164."""
    try:
        parsed = phonenumbers.parse(e164)
    except phonenumbers.NumberParseException as exc:
        raise InvalidPhoneNumber(_PARSE_ERRORS.get(exc.error_type, "is not a phone number")) from exc
    return f"+{parsed.country_code}", phonenumbers.national_significant_number(parsed)


# Nepal's operators as the v1 face names them, from phonenumbers' carrier data
# ("Nepal Telecom" and its company name "NDCL" are NTC).
CARRIERS = {"nepal telecom": "NTC", "ndcl": "NTC", "ncell": "Ncell", "smart telecom": "Smart"}
CARRIER_NAMES = ("NTC", "Ncell", "Smart", "other")
# The carrier data is by prefix; the first 8 characters of a Nepali E.164 number
# ("+9779841") are finer than every NP carrier prefix.
CARRIER_PREFIX_LENGTH = 8


@functools.lru_cache(maxsize=4096)
def _carrier_of_prefix(prefix: str) -> str:
    from phonenumbers import carrier  # noqa: PLC0415 - the carrier data loads only when a carrier is asked for

    try:
        parsed = phonenumbers.parse(prefix.ljust(14, "0"))
    except phonenumbers.NumberParseException:
        return "other"
    return CARRIERS.get(carrier.name_for_number(parsed, "en").strip().lower(), "other")


def carrier_of(e164: str) -> str:
    """NTC / Ncell / Smart / other for a number, from its prefix (cached per prefix)."""
    return _carrier_of_prefix(e164[:CARRIER_PREFIX_LENGTH])


def carrier_of_prefix(prefix: str) -> str:
    """The same for a prefix of ``CARRIER_PREFIX_LENGTH`` characters (a SQL group)."""
    return _carrier_of_prefix(prefix[:CARRIER_PREFIX_LENGTH])
