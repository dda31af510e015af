"""Twilio Messages API (docs/api/API_CONTRACT.md §6).

``send`` posts ``To``/``From``/``Body``/``StatusCallback`` to
``/2010-04-01/Accounts/{sid}/Messages.json``. The status callback URL carries
our reference (``/webhooks/twilio/sms/?ref=tmsg:...``); Twilio signs that URL
with the parameters, so the webhook knows whose message it is even when the
send's answer was lost.

Reconciliation (``lookup``): every submission is a ``ProviderMessage`` row
written before the request. With the Message SID known we fetch the message;
after a timeout (SID unknown) we list the recent messages to the number from
our sender and take the oldest one with our body created since the row, that
no other row has claimed, then bind its SID to the row. ``send`` with a
reference already accepted returns that submission, and after a timeout it
looks up first: a message is never sent twice for one reference.
"""

from __future__ import annotations

from django.conf import settings
from django.utils import timezone

from tingting.models import ProviderMessage
from tingting.providers import records
from tingting.providers.base import (
    OutboundSms,
    SmsBackend,
    StatusReport,
    Submission,
)
from tingting.providers.twilio_common import (
    TwilioClient,
    TwilioSubmitMixin,
    public_url,
    recent_candidates,
)

# Twilio message status → ours (inbound statuses are not ours to report).
STATUS_MAP = {
    "accepted": "queued",
    "scheduled": "queued",
    "queued": "queued",
    "sending": "queued",
    "sent": "sent",
    "delivered": "delivered",
    "read": "delivered",
    "partially_delivered": "delivered",
    "undelivered": "undelivered",
    "failed": "failed",
    "canceled": "failed",
}


def error_text(code: str | None, message: str | None = "") -> str:
    if not code:
        return ""
    return f"twilio {code}" + (f": {message}" if message else "")


class TwilioSmsBackend(TwilioSubmitMixin, SmsBackend):
    name = "twilio-sms"
    # Credentials for the REST API; PUBLIC_BASE_URL for the status callbacks (and audio) Twilio fetches.
    required_settings = ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "PUBLIC_BASE_URL")

    def __init__(self) -> None:
        self.client = TwilioClient()

    def send(self, message: OutboundSms) -> Submission:
        sender = message.sender or settings.TWILIO_FROM_NUMBER
        row, created = records.provider_message_begin(
            backend=self.name, reference=message.reference, to=message.to, sender=sender, body=message.body
        )
        if not created:
            previous = self._previous(row)
            if previous is not None:
                return previous
            records.provider_message_retry(row=row)
        data = {"To": message.to, "From": sender, "Body": message.body}
        callback = message.callback_url or public_url("/webhooks/twilio/sms/", ref=message.reference)
        if callback:
            data["StatusCallback"] = callback
        return self._submit(row, "Messages.json", data)

    def lookup(self, reference: str) -> StatusReport | None:
        """Twilio's view of our message: fetched by SID, or found among the recent
        messages to the number after a timeout. None when Twilio has no such message."""
        row = records.provider_message_find(backend=self.name, reference=reference)
        if row is None or row.state == ProviderMessage.State.REJECTED:
            return None
        if row.provider_id:
            resource = self.client.get(f"Messages/{row.provider_id}.json")
        else:
            resource = self._find_unbound(row)
            if resource is None:
                return None
            row = records.provider_message_reconciled(row=row, provider_id=resource["sid"])
        status = STATUS_MAP.get(resource.get("status", ""), "queued")
        records.provider_message_status(row=row, status=status)
        return StatusReport(
            reference=reference,
            provider_id=resource["sid"],
            status=status,
            occurred_at=timezone.now(),
            error=error_text(resource.get("error_code"), resource.get("error_message")),
        )

    def _find_unbound(self, row: ProviderMessage) -> dict | None:
        page = self.client.get("Messages.json", params={"To": row.to, "From": row.sender, "PageSize": 50})
        claimed = set(
            ProviderMessage.objects.filter(backend=self.name, to=row.to)
            .exclude(provider_id="")
            .values_list("provider_id", flat=True)
        )
        mine = [m for m in page.get("messages", []) if m.get("body") == row.body]
        candidates = recent_candidates(mine, since=row.created_at, claimed=claimed)
        return candidates[0] if candidates else None


def callback_report(*, params, reference: str) -> StatusReport | None:
    """A verified Messages status callback → our report (None: not a status we report)."""
    status = STATUS_MAP.get(params.get("MessageStatus") or params.get("SmsStatus") or "")
    if status is None:
        return None
    return records.provider_message_report(
        backend=TwilioSmsBackend.name,
        reference=reference,
        provider_id=params.get("MessageSid") or params.get("SmsSid") or "",
        status=status,
        error=error_text(params.get("ErrorCode"), params.get("ErrorMessage")),
    )
