"""Twilio as the number backend: AvailablePhoneNumbers search, IncomingPhoneNumbers
purchase and release over Twilio's 2010-04-01 REST API.

Settings: ``TWILIO_ACCOUNT_SID`` and ``TWILIO_AUTH_TOKEN`` (HTTP Basic auth),
``TWILIO_API_BASE`` (tests point it at a local fake), ``TWILIO_NUMBER_COUNTRY``
(ISO country searched), ``TWILIO_NUMBER_RATE`` (credits our users pay for a
number; Twilio's own price is the operator's business) and
``PROVIDER_TIMEOUT_SECONDS`` on every call.

Errors: 4xx → ProviderPermanentError, 429/5xx/nothing sent (connection refused,
DNS, connect timeout) → ProviderTemporaryError; sent but no answer (read timeout,
connection dropped after sending, a cut-off answer) → ProviderTimeoutError, as
``tingting.providers.http`` decides for the other backends. A purchase whose
answer never came is reconciled by looking the number up among the account's
incoming numbers before giving up: Twilio may own (and bill) it. Listed → bought;
not listed → not bought (ProviderTemporaryError); the lookup failing too → outcome
unknown (ProviderTimeoutError), which ``number_buy`` keeps charged and the beat
sweep ``phonenumbers.purchases_reconcile`` asks again.
"""

from __future__ import annotations

import hashlib
from decimal import Decimal

import requests
from django.conf import settings

from tingting.providers.base import (
    NumberBackend,
    NumberOffer,
    ProviderError,
    ProviderPermanentError,
    ProviderTemporaryError,
    ProviderTimeoutError,
)
from tingting.providers.http import never_sent

API_VERSION = "2010-04-01"
CAPABILITY_NAMES = {"voice": "Voice", "sms": "SMS", "mms": "MMS", "fax": "Fax"}


def offer_sid(phone_number: str) -> str:
    """Our 32-hex SID for a Twilio number: derived from the number, so every sync
    of the same offer gives the same SID (Twilio's own PN… SID exists only once bought)."""
    return hashlib.sha256(f"twilio:{phone_number}".encode()).hexdigest()[:32]


def capabilities_of(payload: dict) -> tuple[str, ...]:
    # Twilio spells these keys "voice"/"SMS"/"MMS" or all lower case depending on the resource.
    flags = {str(key).lower(): bool(value) for key, value in (payload or {}).items()}
    return tuple(name for key, name in CAPABILITY_NAMES.items() if flags.get(key))


class TwilioNumberBackend(NumberBackend):
    name = "twilio"
    required_settings = ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN")

    def __init__(self) -> None:
        self.account_sid = settings.TWILIO_ACCOUNT_SID
        self.auth = (settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN)
        self.base = f"{settings.TWILIO_API_BASE.rstrip('/')}/{API_VERSION}/Accounts/{self.account_sid}"
        self.timeout = settings.PROVIDER_TIMEOUT_SECONDS
        self.country = settings.TWILIO_NUMBER_COUNTRY
        self.rate = Decimal(settings.TWILIO_NUMBER_RATE)

    def _call(self, method: str, path: str, *, gone_ok: bool = False, **kwargs) -> dict:
        try:
            response = requests.request(
                method,
                f"{self.base}{path}",
                auth=self.auth,
                timeout=self.timeout,
                headers={"Accept": "application/json"},
                **kwargs,
            )
        except requests.ConnectionError as exc:
            if never_sent(exc):
                raise ProviderTemporaryError(f"Twilio unreachable: {exc}") from exc
            raise ProviderTimeoutError(f"Twilio: connection lost after sending {method} {path}") from exc
        except requests.Timeout as exc:  # ReadTimeout: the request was sent
            raise ProviderTimeoutError(f"Twilio did not answer {method} {path} in {self.timeout}s") from exc
        except requests.RequestException as exc:  # e.g. an answer cut off midway: it was sent
            raise ProviderTimeoutError(f"Twilio: {exc.__class__.__name__} after sending {method} {path}") from exc
        if response.status_code == 429 or response.status_code >= 500:
            raise ProviderTemporaryError(f"Twilio {response.status_code}: {_error_text(response)}")
        if response.status_code == 404 and gone_ok:
            return {}
        if response.status_code >= 400:
            raise ProviderPermanentError(f"Twilio {response.status_code}: {_error_text(response)}")
        if response.status_code == 204 or not response.content:
            return {}
        try:
            return response.json()
        except ValueError as exc:
            raise ProviderTemporaryError(f"Twilio answered {response.status_code} without JSON") from exc

    def available(self) -> list[NumberOffer]:
        payload = self._call("GET", f"/AvailablePhoneNumbers/{self.country}/Local.json", params={"PageSize": 50})
        offers = []
        for item in payload.get("available_phone_numbers") or []:
            number = item.get("phone_number")
            if not number:
                continue
            offers.append(
                NumberOffer(
                    phone_number=number,
                    sid=offer_sid(number),
                    rate=self.rate,
                    capabilities=capabilities_of(item.get("capabilities")),
                    friendly_name=item.get("friendly_name") or "",
                )
            )
        return offers

    def purchase(self, offer: NumberOffer) -> str:
        """Buys ``offer`` as an IncomingPhoneNumber; returns Twilio's PN… SID."""
        try:
            payload = self._call("POST", "/IncomingPhoneNumbers.json", data={"PhoneNumber": offer.phone_number})
        except ProviderTimeoutError as lost:
            try:
                vendor_id = self.owned(offer.phone_number)
            except ProviderError as exc:
                # Neither the answer nor the lookup came: Twilio may own (and bill) it.
                raise ProviderTimeoutError(f"{lost}; the lookup failed too ({exc}): outcome unknown") from exc
            if vendor_id:
                return vendor_id
            # Twilio's own list says the account does not own it: nothing was bought.
            raise ProviderTemporaryError(f"{lost}; Twilio does not list the number: not bought") from lost
        vendor_id = payload.get("sid")
        if not vendor_id:
            raise ProviderTemporaryError("Twilio bought the number but sent no sid")
        return vendor_id

    def owned(self, phone_number: str) -> str | None:
        """Twilio's SID for ``phone_number`` if the account owns it (reconciliation)."""
        payload = self._call("GET", "/IncomingPhoneNumbers.json", params={"PhoneNumber": phone_number})
        for item in payload.get("incoming_phone_numbers") or []:
            if item.get("phone_number") == phone_number and item.get("sid"):
                return item["sid"]
        return None

    def release(self, sid: str, vendor_id: str = "") -> None:
        if not vendor_id:
            return
        # A 404 means it is already gone at Twilio: the release we wanted has happened.
        self._call("DELETE", f"/IncomingPhoneNumbers/{vendor_id}.json", gone_ok=True)


def _error_text(response: requests.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:200]
    return f"{body.get('code', '')} {body.get('message', '')}".strip()
