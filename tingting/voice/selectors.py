"""Reads of the voice pieces."""

from __future__ import annotations

from tingting.errors import NotFoundError
from tingting.models import TtsRender


def render_get_by_key(*, key: str) -> TtsRender:
    """The render whose (secret, unguessable) key this is; NotFoundError otherwise.

    Renders are shared by every account that speaks the same text: the key is a
    capability derived from the text under the server secret, not an owned id."""
    render = TtsRender.objects.filter(key=key).first()
    if render is None:
        raise NotFoundError()
    return render
