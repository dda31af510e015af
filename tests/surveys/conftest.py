import pytest

from tests.support.surveys import survey_campaign
from tingting.providers import reset_backends


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    """Uploaded prompts, renders and recordings go to a fresh MEDIA_ROOT."""
    settings.MEDIA_ROOT = tmp_path
    settings.PUBLIC_BASE_URL = "https://tingting.example.org"
    return tmp_path


@pytest.fixture
def survey(user):
    return survey_campaign(user)


@pytest.fixture
def silent_tts(settings):
    """Say steps rendered as silence (fast, no eSpeak), the backends rebuilt on either side."""
    settings.TTS_BACKEND = "tingting.providers.tts_silence.SilenceTtsBackend"
    reset_backends()
    yield
    reset_backends()
