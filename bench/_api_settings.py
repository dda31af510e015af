"""Settings of the gunicorn process ``bench api`` starts: production settings plus
a URL conf with the baseline views. Never used by the real server."""

from tingting.settings import *  # noqa: F403

ROOT_URLCONF = "bench._api_urls"
