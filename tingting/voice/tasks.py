"""Celery entry points of the voice pieces (registered through tingting.tasks)."""

from __future__ import annotations

from celery import shared_task

from tingting.providers.base import ProviderTemporaryError
from tingting.voice.render import render_cached


@shared_task(
    name="tingting.tts_prerender",
    autoretry_for=(ProviderTemporaryError,),
    retry_backoff=5,
    retry_backoff_max=120,
    max_retries=5,
)
def tts_prerender_task(texts: list[str], voice: str, length_factor: float, scope: str) -> list[int]:
    """Render each distinct text into the cache of ``scope`` ahead of the calls that play it.

    Safe to run twice or concurrently: render_cached stores one render per text."""
    return [
        render_cached(text=text, voice=voice, length_factor=length_factor, scope=scope).pk
        for text in dict.fromkeys(texts)
    ]
