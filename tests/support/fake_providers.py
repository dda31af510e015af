"""Provider test doubles for the run tests (the provider boundary only).

Loaded by dotted path through SMS_BACKEND / VOICE_BACKEND, in the test process
or in a worker subprocess (``start_worker(env={"SMS_BACKEND": ...})``). They build
on the simulated providers, so every call is recorded in SimulatedDelivery.
"""

from __future__ import annotations

import os
import signal
import time

from tingting.models import SimulatedDelivery
from tingting.providers.base import (
    OutboundSms,
    ProviderTemporaryError,
    ProviderTimeoutError,
    SmsBackend,
    Submission,
)
from tingting.providers.simulated import SimulatedSmsBackend, sms_outcome


class SlowSmsBackend(SimulatedSmsBackend):
    """The simulated SMS provider answering after FAKE_PROVIDER_LATENCY seconds."""

    def send(self, message: OutboundSms) -> Submission:
        time.sleep(float(os.environ.get("FAKE_PROVIDER_LATENCY", "0.02")))
        return super().send(message)


class TimeoutAfterAcceptSmsBackend(SimulatedSmsBackend):
    """Accepts the message (records it, the outcome is known to ``lookup``) but the
    answer never reaches us: the caller sees a timeout and must reconcile."""

    def send(self, message: OutboundSms) -> Submission:
        SimulatedDelivery.objects.create(
            channel=SimulatedDelivery.Channel.SMS,
            provider_id=f"SM-timeout-{message.reference}",
            reference=message.reference,
            to=message.to,
            body=message.body,
            outcome=sms_outcome(message.to),
        )
        raise ProviderTimeoutError("read timed out after the request was sent")


class LookupDownSmsBackend(SimulatedSmsBackend):
    """The simulated vendor while its lookup API is down: sends as usual, every
    ``lookup`` raises a temporary error."""

    name = "lookup-down-sms"

    def lookup(self, reference: str):
        raise ProviderTemporaryError("lookup API unavailable")


class NoLookupSmsBackend(SmsBackend):
    """A vendor we cannot ask about a message: records the send, reports nothing."""

    name = "no-lookup-sms"

    def send(self, message: OutboundSms) -> Submission:
        SimulatedDelivery.objects.create(
            channel=SimulatedDelivery.Channel.SMS,
            provider_id=f"SM-nolookup-{message.reference}",
            reference=message.reference,
            to=message.to,
            body=message.body,
            outcome="sent",
        )
        raise ProviderTimeoutError("no answer")


class DyingOnFailoverSmsBackend(SimulatedSmsBackend):
    """The worker dies (SIGKILL to its whole process group) on the first failover SMS of
    an SMS & PHONE call: before the provider gets it (``FAKE_DIE=before``), or after the
    provider accepted it (``FAKE_DIE=after``: recorded, known to ``lookup``, its reports
    never sent). Campaign SMS go through as simulated."""

    def send(self, message: OutboundSms) -> Submission:
        if not message.reference.startswith("failover:"):
            return super().send(message)
        if os.environ.get("FAKE_DIE", "before") == "after":
            SimulatedDelivery.objects.create(
                channel=SimulatedDelivery.Channel.SMS,
                provider_id=f"SM-dying-{message.reference}",
                reference=message.reference,
                to=message.to,
                body=message.body,
                outcome=sms_outcome(message.to),
            )
        os.killpg(os.getpgid(0), signal.SIGKILL)
        raise AssertionError("unreachable: the worker is gone")
