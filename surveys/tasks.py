"""Celery entry points of surveys (thin: each calls one service)."""

from __future__ import annotations

from celery import shared_task

from surveys.services.answers import answer_fetch_recording, recordings_sweep
from tingting.providers.base import ProviderTemporaryError


@shared_task(
    name="surveys.recording_fetch",
    autoretry_for=(ProviderTemporaryError,),
    retry_backoff=30,
    retry_backoff_max=600,
    max_retries=8,
)
def recording_fetch_task(answer_id: int) -> bool:
    return answer_fetch_recording(answer_id=answer_id)


@shared_task(name="surveys.recordings_sweep")
def recordings_sweep_task() -> int:
    return recordings_sweep()
