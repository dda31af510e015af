"""Twilio as our backends and webhooks see it: the fake server with the settings that
point at it, the public base URL tests configure, and a signed callback."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

from tests.support.fake_vendors import TWILIO_SID, TWILIO_TOKEN, FakeTwilio, sign
from tingting.providers import reset_backends

PUBLIC = "https://tingting.example.org"
SMS = "tingting.providers.twilio_sms.TwilioSmsBackend"
VOICE = "tingting.providers.twilio_voice.TwilioVoiceBackend"
SILENT_TTS = "tingting.providers.tts_silence.SilenceTtsBackend"


def vendor_settings(fake: FakeTwilio, **extra: Any) -> dict[str, Any]:
    """The settings that point the Twilio backends at ``fake`` (strings in ``extra``
    make it a worker's environment too)."""
    return {
        "TWILIO_API_BASE": fake.base_url,
        "TWILIO_ACCOUNT_SID": TWILIO_SID,
        "TWILIO_AUTH_TOKEN": TWILIO_TOKEN,
        "TWILIO_FROM_NUMBER": "+15005550006",
        "PUBLIC_BASE_URL": PUBLIC,
        **extra,
    }


@contextmanager
def twilio_configured(settings, **extra: Any) -> Iterator[FakeTwilio]:
    """A fake Twilio on loopback, ``settings`` pointed at it (and ``extra``), the
    provider backends rebuilt on the way in and out."""
    with FakeTwilio() as fake:
        for name, value in vendor_settings(fake, **extra).items():
            setattr(settings, name, value)
        reset_backends()
        try:
            yield fake
        finally:
            reset_backends()


def callback(client, url: str, params: dict, *, token: str = TWILIO_TOKEN, signature: str | None = None):
    """Twilio calling ``url`` (as we gave it) with form ``params``, signed with ``token``."""
    parts = urlsplit(url)
    signature = sign(token, url, params) if signature is None else signature
    return client.post(f"{parts.path}?{parts.query}", params, HTTP_X_TWILIO_SIGNATURE=signature)
