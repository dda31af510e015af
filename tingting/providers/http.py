"""The one HTTP client the vendor backends share, on ``requests``.

Every call has the ``PROVIDER_TIMEOUT_SECONDS`` timeout (connect and read) and
ends in a response or one of the provider errors of ``base.py``:

- nothing was sent (connection refused, DNS failure, connect timeout)
  → ``ProviderTemporaryError``: safe to send again;
- the request went out and no answer came (read timeout, connection dropped
  mid-response) → ``ProviderTimeoutError``: the vendor may have accepted it, so
  the caller reconciles with the backend's ``lookup`` and never resends blindly;
- 429 and 5xx → ``ProviderTemporaryError`` with ``retry_after`` when the vendor
  sent ``Retry-After``;
- any other 4xx → ``ProviderPermanentError`` with the vendor's code and message
  (a backend may name vendor codes that are temporary despite the 4xx).

``requests`` never retries on its own here (its adapters default to zero
retries), so a POST reaches the vendor at most once per call.
"""

from __future__ import annotations

import os
from collections.abc import Callable

import requests
from django.conf import settings
from urllib3.exceptions import NameResolutionError, NewConnectionError

from tingting.providers.base import (
    ProviderPermanentError,
    ProviderTemporaryError,
    ProviderTimeoutError,
)

# (vendor code, vendor message) out of an error response.
Describe = Callable[[requests.Response], tuple[str, str]]


def _describe_default(response: requests.Response) -> tuple[str, str]:
    try:
        body = response.json()
    except ValueError:
        return "", response.text[:200]
    if isinstance(body, dict):
        return str(body.get("code", "")), str(body.get("message", ""))[:500]
    return "", str(body)[:200]


def _retry_after(response: requests.Response) -> float | None:
    value = response.headers.get("Retry-After", "")
    try:
        return max(0.0, float(value))
    except ValueError:
        return None  # an HTTP date: callers fall back to their own backoff


def never_sent(exc: requests.ConnectionError) -> bool:
    """True when the connection failed before any byte of the request left."""
    if isinstance(exc, requests.ConnectTimeout | requests.exceptions.SSLError | requests.exceptions.ProxyError):
        return True
    reason = exc.args[0] if exc.args else None
    reason = getattr(reason, "reason", reason)  # MaxRetryError wraps the cause
    return isinstance(reason, NewConnectionError | NameResolutionError)


class ProviderHttp:
    """A ``requests.Session`` for one backend (one per process: sessions and
    their pooled sockets must not cross a fork)."""

    def __init__(
        self,
        *,
        vendor: str,
        auth: tuple[str, str] | None = None,
        describe: Describe = _describe_default,
        temporary_codes: frozenset[str] = frozenset(),
    ) -> None:
        self.vendor = vendor
        self.auth = auth
        self.describe = describe
        self.temporary_codes = temporary_codes
        self._session: requests.Session | None = None
        self._pid = 0

    @property
    def session(self) -> requests.Session:
        if self._session is None or self._pid != os.getpid():
            self._session = requests.Session()
            self._session.headers["User-Agent"] = "tingting/0.1"
            self._pid = os.getpid()
        return self._session

    def request(self, method: str, url: str, **kwargs) -> requests.Response:
        """Send one request; returns a 2xx/3xx response or raises a ProviderError."""
        timeout = settings.PROVIDER_TIMEOUT_SECONDS
        try:
            response = self.session.request(
                method, url, auth=self.auth, timeout=(timeout, timeout), allow_redirects=False, **kwargs
            )
        except requests.ConnectionError as exc:
            if never_sent(exc):
                raise ProviderTemporaryError(f"{self.vendor}: cannot connect ({exc.__class__.__name__})") from exc
            raise ProviderTimeoutError(f"{self.vendor}: connection lost after sending") from exc
        except requests.Timeout as exc:  # ReadTimeout: the request was sent
            raise ProviderTimeoutError(f"{self.vendor}: no answer within {timeout:g}s") from exc
        except requests.RequestException as exc:  # e.g. a response cut off midway: it was sent
            raise ProviderTimeoutError(f"{self.vendor}: {exc.__class__.__name__} after sending") from exc
        if response.status_code < 400:
            return response
        self.raise_for(response)
        raise AssertionError("unreachable")

    def json(self, response: requests.Response) -> dict:
        """The body of a success answer; an unreadable one may still mean accepted."""
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            raise ProviderTimeoutError(f"{self.vendor}: unreadable answer (HTTP {response.status_code})")
        return body

    def raise_for(self, response: requests.Response, *, status: int | None = None) -> None:
        """Raise the provider error an error response stands for."""
        status = status or response.status_code
        code, message = self.describe(response)
        text = f"{self.vendor}: {message or response.reason}" + (f" (code {code})" if code else "")
        if status == 429 or status >= 500 or code in self.temporary_codes:
            raise ProviderTemporaryError(text, code=code, status=status, retry_after=_retry_after(response))
        raise ProviderPermanentError(text, code=code, status=status)
