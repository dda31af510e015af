"""Twilio as our webhooks see it: the public base URL tests configure, and a signed callback."""

from urllib.parse import urlsplit

from tests.support.fake_vendors import TWILIO_TOKEN, sign

PUBLIC = "https://tingting.example.org"


def callback(client, url: str, params: dict, *, token: str = TWILIO_TOKEN, signature: str | None = None):
    """Twilio calling ``url`` (as we gave it) with form ``params``, signed with ``token``."""
    parts = urlsplit(url)
    signature = sign(token, url, params) if signature is None else signature
    return client.post(f"{parts.path}?{parts.query}", params, HTTP_X_TWILIO_SIGNATURE=signature)
