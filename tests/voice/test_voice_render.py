import pytest

from tingting.models import TtsRender
from tingting.voice.render import account_scope, render_cached

pytestmark = pytest.mark.django_db
SCOPE = account_scope(1)


def test_render_cache_returns_the_stored_render(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    first = render_cached(text="नमस्ते", voice="np_rija", length_factor=1.0, scope=SCOPE)
    again = render_cached(text="नमस्ते", voice="np_rija", length_factor=1.0, scope=SCOPE)
    other = render_cached(text="नमस्ते", voice="np_binod", length_factor=1.0, scope=SCOPE)
    assert again.pk == first.pk and other.pk != first.pk
    assert TtsRender.objects.count() == 2
    assert first.audio.open("rb").read(4) == b"RIFF"
    assert first.duration > 0
