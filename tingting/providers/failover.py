"""Provider failover: a second backend per kind, used while the first is failing.

``FailoverSmsBackend`` / ``FailoverVoiceBackend`` wrap a primary and a secondary
backend (``sms_backend()`` builds one when ``SMS_BACKEND_FALLBACK`` is set, the
primary being ``SMS_BACKEND``; the same for voice). Each request to a backend
is counted in a sliding window (``FAILOVER_WINDOW_SECONDS``, in the shared cache:
Redis in production, so every worker sees the same health). While the primary's
error share over the window is above ``FAILOVER_ERROR_RATE`` (with at least
``FAILOVER_MIN_REQUESTS`` requests), new messages go straight to the secondary;
once its errors age out of the window the primary is tried again.

What counts as an error: temporary errors (connection refused, 5xx, 429),
timeouts, and a 401/403 (credentials or account trouble). A permanent refusal
of one message (an invalid number) is the message's fault, not the provider's.

Per message:
- temporary error or 401/403 on the primary → nothing was sent, so the same
  message is tried on the secondary at once;
- ``ProviderTimeoutError`` → the primary may have accepted it: it is raised
  (the caller reconciles with ``lookup``) and the reference stays bound to that
  backend, so a retry of the same reference goes to it (which looks it up
  before sending again), never to the other one (an accepted reference is
  bound the same way, for a task that runs twice);
- other permanent errors are raised as they are.

``Submission.backend`` names the backend that handled the message; record it
with the attempt.
"""

from __future__ import annotations

import dataclasses
import math
import time

from django.conf import settings
from django.core.cache import cache

from tingting.providers.base import (
    OutboundCall,
    OutboundSms,
    ProviderError,
    ProviderPermanentError,
    ProviderTemporaryError,
    ProviderTimeoutError,
    SmsBackend,
    StatusReport,
    Submission,
    VoiceBackend,
)

BUCKETS = 12
STICKY_SECONDS = 2 * 24 * 3600


class ProviderHealth:
    """Requests and errors per backend name, in time buckets of the shared cache."""

    @staticmethod
    def _bucket_seconds() -> int:
        return max(1, math.ceil(settings.FAILOVER_WINDOW_SECONDS / BUCKETS))

    def record(self, name: str, *, is_error: bool) -> None:
        size = self._bucket_seconds()
        bucket = int(time.time() // size)
        ttl = settings.FAILOVER_WINDOW_SECONDS + 2 * size
        for suffix in ("n", "e") if is_error else ("n",):
            key = f"failover:{name}:{bucket}:{suffix}"
            if not cache.add(key, 1, timeout=ttl):
                try:
                    cache.incr(key)
                except ValueError:  # expired between add and incr
                    cache.add(key, 1, timeout=ttl)

    def counts(self, name: str) -> tuple[int, int]:
        """(requests, errors) over the window."""
        size = self._bucket_seconds()
        now = int(time.time() // size)
        first = now - math.ceil(settings.FAILOVER_WINDOW_SECONDS / size) + 1
        keys = [f"failover:{name}:{b}:{s}" for b in range(first, now + 1) for s in ("n", "e")]
        values = cache.get_many(keys)
        requests = sum(int(v) for k, v in values.items() if k.endswith(":n"))
        errors = sum(int(v) for k, v in values.items() if k.endswith(":e"))
        return requests, errors

    def is_failing(self, name: str) -> bool:
        requests, errors = self.counts(name)
        return requests >= settings.FAILOVER_MIN_REQUESTS and errors / requests > settings.FAILOVER_ERROR_RATE


health = ProviderHealth()


def _is_provider_fault(exc: ProviderError) -> bool:
    return isinstance(exc, ProviderTemporaryError) or exc.status in (401, 403)


class _Failover:
    def __init__(self, *, primary, secondary) -> None:
        self.primary = primary
        self.secondary = secondary
        self.backends = {primary.name: primary, secondary.name: secondary}

    @staticmethod
    def _sticky_key(reference: str) -> str:
        return f"failover:ref:{reference}"

    def _route(self, method: str, item, reference: str) -> Submission:
        bound = cache.get(self._sticky_key(reference))
        if bound in self.backends:
            order = [self.backends[bound]]  # an earlier attempt may have been accepted there
        elif health.is_failing(self.primary.name):
            order = [self.secondary]
        else:
            order = [self.primary, self.secondary]
        for index, backend in enumerate(order):
            try:
                submission = getattr(backend, method)(item)
            except ProviderTimeoutError:
                health.record(backend.name, is_error=True)
                cache.set(self._sticky_key(reference), backend.name, timeout=STICKY_SECONDS)
                raise
            except ProviderError as exc:
                fault = _is_provider_fault(exc)
                health.record(backend.name, is_error=fault)
                if fault and index + 1 < len(order):
                    continue
                raise
            health.record(backend.name, is_error=False)
            cache.set(self._sticky_key(reference), backend.name, timeout=STICKY_SECONDS)
            return dataclasses.replace(submission, backend=backend.name)
        raise AssertionError("unreachable")

    def lookup(self, reference: str) -> StatusReport | None:
        bound = cache.get(self._sticky_key(reference))
        if bound in self.backends:
            return self.backends[bound].lookup(reference)
        for backend in (self.primary, self.secondary):
            report = backend.lookup(reference)
            if report is not None:
                return report
        return None


class FailoverSmsBackend(_Failover, SmsBackend):
    name = "failover-sms"

    def send(self, message: OutboundSms) -> Submission:
        return self._route("send", message, message.reference)


class FailoverVoiceBackend(_Failover, VoiceBackend):
    name = "failover-voice"

    def place_call(self, call: OutboundCall) -> Submission:
        return self._route("place_call", call, call.reference)

    def cancel(self, reference: str) -> bool:
        """Cancel the call on the backend that placed it (if that backend can cancel)."""
        bound = self.backends.get(cache.get(self._sticky_key(reference)))
        cancel = getattr(bound, "cancel", None)
        return bool(cancel(reference)) if cancel else False

    def fetch_recording(self, url: str) -> bytes:
        """From whichever backend keeps it: each refuses URLs that are not its own."""
        try:
            return self.primary.fetch_recording(url)
        except ProviderPermanentError:
            return self.secondary.fetch_recording(url)
