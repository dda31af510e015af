"""Celery entry points of the voice pieces (registered through tingting.tasks)."""

from __future__ import annotations

from celery import shared_task

from tingting.providers.base import ProviderTemporaryError
from tingting.retry import retry_or_give_up
from tingting.voice.render import render_cached


@shared_task(name="tingting.tts_prerender", bind=True, max_retries=5)
def tts_prerender_task(self, texts: list[str], voice: str, length_factor: float, scope: str) -> list[int]:
    """Render each distinct text into the cache of ``scope`` ahead of the calls that play it.

    Safe to run twice or concurrently: render_cached stores one render per text. A
    TTS backend that is down is retried (5 s, 10 s ... at most 2 min); out of retries
    the calls render what is missing themselves."""
    try:
        return [
            render_cached(text=text, voice=voice, length_factor=length_factor, scope=scope).pk
            for text in dict.fromkeys(texts)
        ]
    except ProviderTemporaryError as exc:
        return retry_or_give_up(self, exc=exc, first=5, cap=120)
