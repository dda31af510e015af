"""Sparrow SMS (Nepal), v2 API (docs/api/API_CONTRACT.md §6).

``POST {SPARROW_API_BASE}/v2/sms/`` with ``token``, ``from`` (the identity
Sparrow gave the account), ``to`` (the national 10-digit number: Sparrow only
delivers inside Nepal) and ``text``. Success is HTTP 200 with
``response_code`` 200; refusals are HTTP 403 with a ``response_code``:

- 1012 "No Credits Available", 1013 "Insufficient Credits" → temporary: the
  operator tops up the Sparrow account and the retry goes through; the
  caller's retry cap still ends it.
- everything else (1000 missing field, 1001 IP not allowed, 1002 invalid token,
  1003–1006 account inactive or expired, 1007/1011 invalid receiver, 1008
  invalid sender, 1010 empty text) → permanent: retrying the same request
  cannot succeed.

Sparrow returns no message id, has no message lookup, and its public SMS API
documents no delivery reports. So:

- an accepted message is reported ``sent`` at once; its ``provider_id`` is ours
  (``SP`` + 32 hex);
- for accounts where Sparrow pushes delivery reports, ``SPARROW_DLR_FIELD``
  names the request field that carries the per-message callback URL. Sparrow
  does not sign callbacks, so that URL holds an unguessable per-message token
  (``/webhooks/sparrow/dlr/<token>/``, 192 random bits) that only Sparrow and
  we know; it authenticates the report and names the message;
- after a timeout the outcome cannot be asked of Sparrow: ``lookup`` answers
  from our records (``queued``, outcome unknown) and ``send`` refuses to send
  that reference again (``ProviderTimeoutError``), since a duplicate SMS is
  worse than a missing one.
"""

from __future__ import annotations

import secrets
import uuid

import requests
from django.conf import settings
from django.utils import timezone

from tingting.models import ProviderMessage
from tingting.phones import InvalidPhoneNumber, split_country_code
from tingting.providers import records, reports
from tingting.providers.base import (
    OutboundSms,
    ProviderError,
    ProviderPermanentError,
    ProviderTimeoutError,
    SmsBackend,
    StatusReport,
    Submission,
)
from tingting.providers.http import ProviderHttp
from tingting.providers.twilio_common import public_url

TEMPORARY_CODES = frozenset({"1012", "1013"})

# Delivery report statuses (words or SMPP-style stats) → ours.
DLR_STATUS = {
    "delivered": "delivered",
    "delivrd": "delivered",
    "success": "delivered",
    "undelivered": "undelivered",
    "undeliv": "undelivered",
    "expired": "expired",
    "failed": "failed",
    "rejected": "failed",
    "rejectd": "failed",
}


def _describe(response: requests.Response) -> tuple[str, str]:
    try:
        body = response.json()
    except ValueError:
        return "", response.text[:200]
    if not isinstance(body, dict):
        return "", str(body)[:200]
    return str(body.get("response_code", "")), str(body.get("response", ""))[:500]


def national_number(e164: str) -> str:
    """The 10-digit national number Sparrow wants; permanent error outside Nepal."""
    try:
        code, national = split_country_code(e164)
    except InvalidPhoneNumber as exc:
        raise ProviderPermanentError(f"sparrow: invalid number {e164!r}", code="invalid_number") from exc
    if code != "+977":
        raise ProviderPermanentError(
            f"sparrow: delivers only to Nepali numbers, not {e164}", code="unsupported_destination"
        )
    return national


class SparrowSmsBackend(SmsBackend):
    name = "sparrow-sms"
    required_settings = ("SPARROW_TOKEN",)

    @classmethod
    def missing_settings(cls) -> list[str]:
        # A delivery-report URL is built only when the account pushes reports.
        missing = super().missing_settings()
        if settings.SPARROW_DLR_FIELD and not settings.PUBLIC_BASE_URL.strip():
            missing.append("PUBLIC_BASE_URL")
        return missing

    def __init__(self) -> None:
        self.http = ProviderHttp(vendor="sparrow", describe=_describe, temporary_codes=TEMPORARY_CODES)

    @property
    def url(self) -> str:
        return f"{settings.SPARROW_API_BASE.rstrip('/')}/v2/sms/"

    def send(self, message: OutboundSms) -> Submission:
        to = national_number(message.to)
        sender = message.sender or settings.SPARROW_FROM
        token = secrets.token_urlsafe(24)
        row, created = records.provider_message_begin(
            backend=self.name,
            reference=message.reference,
            to=message.to,
            sender=sender,
            body=message.body,
            callback_token=token,
        )
        if not created:
            if row.state == ProviderMessage.State.ACCEPTED:
                return Submission(provider_id=row.provider_id)
            if row.state != ProviderMessage.State.REJECTED:
                raise ProviderTimeoutError(
                    "sparrow: an earlier submission of this message may have been accepted and Sparrow "
                    "cannot be asked; not sending it again",
                    code="outcome_unknown",
                )
            row = records.provider_message_retry(row=row, callback_token=token)
        data = {"token": settings.SPARROW_TOKEN, "from": sender, "to": to, "text": message.body}
        if settings.SPARROW_DLR_FIELD:
            data[settings.SPARROW_DLR_FIELD] = public_url(f"/webhooks/sparrow/dlr/{row.callback_token}/")
        try:
            response = self.http.request("POST", self.url, data=data)
            self._check(response)
        except ProviderError as exc:
            records.provider_message_failed(
                row=row, error=str(exc), maybe_accepted=isinstance(exc, ProviderTimeoutError)
            )
            raise
        provider_id = f"SP{uuid.uuid4().hex}"
        records.provider_message_accepted(row=row, provider_id=provider_id)
        records.provider_message_status(row=row, status="sent")
        reports.deliver(StatusReport(message.reference, provider_id, "sent", timezone.now()))
        return Submission(provider_id=provider_id)

    def _check(self, response: requests.Response) -> None:
        """Sparrow's answer is a success only with ``response_code`` 200."""
        code = str(self.http.json(response).get("response_code", ""))
        if code != "200":
            self.http.raise_for(response, status=403 if response.status_code < 400 else None)

    def lookup(self, reference: str) -> StatusReport | None:
        """From our records only (Sparrow has no lookup): the last reported status,
        or ``queued`` with an "outcome unknown" error after a timeout."""
        row = records.provider_message_find(backend=self.name, reference=reference)
        if row is None or row.state == ProviderMessage.State.REJECTED:
            return None
        if row.state == ProviderMessage.State.ACCEPTED:
            return StatusReport(reference, row.provider_id, row.status or "sent", row.updated_at)
        return StatusReport(
            reference,
            row.provider_id,
            "queued",
            row.updated_at,
            error="sparrow: no answer to the submission and no lookup API; outcome unknown",
        )


def dlr_report(*, token: str, status: str) -> StatusReport | None:
    """A delivery report for the message whose callback token is ``token`` →
    our report. None when the token names no message or the status is unknown."""
    if not token:
        return None
    row = records.provider_message_find(backend=SparrowSmsBackend.name, callback_token=token)
    ours = DLR_STATUS.get(status.strip().lower())
    if row is None or ours is None:
        return None
    if not row.provider_id:  # a report proves the timed-out submission was accepted
        row = records.provider_message_reconciled(row=row, provider_id=f"SP{uuid.uuid4().hex}")
    return records.provider_message_report(
        backend=SparrowSmsBackend.name, reference=row.reference, provider_id=row.provider_id, status=ours, row=row
    )
