"""What Twilio's SMS and voice backends share: the REST client, callback URLs and
the request-signature check for its webhooks.

Twilio signs each webhook with ``X-Twilio-Signature``: base64 of HMAC-SHA1, keyed
with the account's auth token, over the full URL it requested followed by every
POST parameter as name + value, sorted by name (repeated names: values sorted).
We rebuild the URL from ``PUBLIC_BASE_URL`` (what Twilio was given) rather than
from the Host header, which a proxy may rewrite. The official SDK's
``RequestValidator`` does the same; hand-written here to avoid pulling the SDK
and its dependencies for 15 lines.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import timedelta
from email.utils import parsedate_to_datetime
from urllib.parse import urlencode, urlsplit, urlunsplit

from django.conf import settings

from tingting.models import ProviderMessage
from tingting.providers import records
from tingting.providers.base import ProviderError, ProviderTimeoutError, Submission
from tingting.providers.http import ProviderHttp


def compute_signature(token: str, url: str, params: dict[str, list[str]]) -> str:
    payload = url + "".join(name + value for name in sorted(params) for value in sorted(set(params[name])))
    digest = hmac.new(token.encode(), payload.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def _port_variants(url: str) -> list[str]:
    """The URL as given, and with the default port removed or added: Twilio may
    sign either form."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    default = 443 if parts.scheme == "https" else 80
    other = parts._replace(netloc=host if parts.port else f"{host}:{default}")
    return [url, urlunsplit(other)]


def signature_is_valid(*, token: str, url: str, params: dict[str, list[str]], signature: str) -> bool:
    if not token or not signature:
        return False
    # Bytes: compare_digest raises TypeError on a str that is not ASCII (a forged header).
    supplied = signature.encode()
    return any(
        hmac.compare_digest(compute_signature(token, candidate, params).encode(), supplied)
        for candidate in _port_variants(url)
    )


def public_url(path: str, **query: str) -> str:
    """An absolute URL on our public address ("" when ``PUBLIC_BASE_URL`` is unset)."""
    base = settings.PUBLIC_BASE_URL.strip()
    if not base:
        return ""
    parts = urlsplit(base)
    return urlunsplit((parts.scheme, parts.netloc, path, urlencode(query) if query else "", ""))


def request_public_url(request) -> str:
    """The URL Twilio requested, as it saw it: our public address + path and query."""
    base = settings.PUBLIC_BASE_URL.strip()
    if not base:
        return request.build_absolute_uri()
    parts = urlsplit(base)
    return f"{parts.scheme}://{parts.netloc}{request.get_full_path()}"


def parse_twilio_date(value: str | None):
    """Twilio's RFC 2822 dates ("Wed, 18 Aug 2010 20:01:40 +0000")."""
    if not value:
        return None
    try:
        return parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None


class TwilioClient:
    """``{TWILIO_API_BASE}/2010-04-01/Accounts/{sid}/...`` with HTTP Basic auth."""

    def __init__(self) -> None:
        self.account_sid = settings.TWILIO_ACCOUNT_SID
        self.http = ProviderHttp(vendor="twilio", auth=(settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN))

    def url(self, resource: str) -> str:
        return f"{settings.TWILIO_API_BASE.rstrip('/')}/2010-04-01/Accounts/{self.account_sid}/{resource}"

    def post(self, resource: str, data: dict) -> dict:
        body = self.http.json(self.http.request("POST", self.url(resource), data=data))
        if not body.get("sid"):
            raise ProviderTimeoutError("twilio: answer without a sid")
        return body

    def get(self, resource: str, params: dict | None = None) -> dict:
        return self.http.json(self.http.request("GET", self.url(resource), params=params))


def recent_candidates(resources: list[dict], *, since, claimed: set[str]) -> list[dict]:
    """Resources created at or after ``since`` (minus clock skew) and not already
    bound to another of our rows, oldest first."""
    floor = since - timedelta(minutes=2)
    found = []
    for resource in resources:
        created = parse_twilio_date(resource.get("date_created"))
        if created is not None and created >= floor and resource.get("sid") not in claimed:
            found.append((created, resource))
    return [resource for _, resource in sorted(found, key=lambda item: item[0])]


class TwilioSubmitMixin:
    """Once-only submission shared by the Messages and Calls backends: a reference
    already accepted (or maybe accepted) is never sent again."""

    client: TwilioClient

    def _previous(self, row: ProviderMessage) -> Submission | None:
        """The earlier submission for this reference, if the vendor has it."""
        if row.state == ProviderMessage.State.ACCEPTED:
            return Submission(provider_id=row.provider_id)
        if row.state in (ProviderMessage.State.SUBMITTING, ProviderMessage.State.UNKNOWN):
            report = self.lookup(row.reference)
            if report is not None:
                return Submission(provider_id=report.provider_id)
        return None

    def _submit(self, row: ProviderMessage, resource: str, data: dict) -> Submission:
        """POST ``data`` and record the answer on ``row``; a timeout is recorded as
        maybe-accepted (reconciled later by ``lookup``)."""
        try:
            answer = self.client.post(resource, data)
        except ProviderError as exc:
            records.provider_message_failed(
                row=row, error=str(exc), maybe_accepted=isinstance(exc, ProviderTimeoutError)
            )
            raise
        records.provider_message_accepted(row=row, provider_id=answer["sid"])
        return Submission(provider_id=answer["sid"])
