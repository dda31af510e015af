"""Phone numbers in and out, with ``phonenumbers``: stored E.164, shown as the contract says."""

from __future__ import annotations

import functools

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


def to_e164(value: object, *, region: str | None = None) -> str:
    """Parse a number given as int or string (national for the default region, or
    with ``+``/country code) into E.164; raises InvalidPhoneNumber."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise InvalidPhoneNumber("must be a string or an integer")
    text = str(value).strip()
    if not text or len(text) > 32:
        raise InvalidPhoneNumber("is empty or too long")
    try:
        parsed = phonenumbers.parse(text, region or settings.DEFAULT_PHONE_REGION)
    except phonenumbers.NumberParseException as exc:
        # Its str() reads "(1) The string supplied did not seem to be a phone number.":
        # say it in the predicate form the other reasons use ("'12x' is not a phone number.").
        raise InvalidPhoneNumber(_PARSE_ERRORS.get(exc.error_type, "is not a phone number")) from exc
    if not phonenumbers.is_valid_number(parsed):
        raise InvalidPhoneNumber("is not a valid phone number")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


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
    """("+351", "911111111") for Tling's ``phoneCode`` / ``phoneNumber``."""
    parsed = phonenumbers.parse(e164)
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
