"""System checks of the deployment: a production process refuses to fake deliveries.

With DEBUG off, every configured provider backend must be a real one that has
what it needs (credentials, ``PUBLIC_BASE_URL`` for the callbacks and audio the
vendor fetches). A simulated backend is accepted only when
``ALLOW_SIMULATED_PROVIDERS=1`` says so explicitly (a demo, a load test).
These are errors, not deploy-only checks: ``manage.py migrate`` (the compose
``migrate`` step) runs them, so web, worker and beat never start on fakes.
"""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Error, register
from django.utils.module_loading import import_string

# The settings that name a backend class, per kind.
BACKEND_SETTINGS = (
    "SMS_BACKEND",
    "SMS_BACKEND_FALLBACK",
    "VOICE_BACKEND",
    "VOICE_BACKEND_FALLBACK",
    "NUMBER_BACKEND",
    "TTS_BACKEND",
)


@register()
def providers_check(app_configs, **kwargs) -> list[Error]:
    """tingting.E010 simulated backend, E011 backend missing settings, E012 unimportable."""
    if settings.DEBUG:
        return []
    errors = []
    for name in BACKEND_SETTINGS:
        path = getattr(settings, name, "")
        if not path:
            continue
        try:
            backend = import_string(path)
        except ImportError as exc:
            errors.append(Error(f"{name}={path} cannot be imported: {exc}", id="tingting.E012"))
            continue
        if getattr(backend, "is_simulated", False):
            if not settings.ALLOW_SIMULATED_PROVIDERS:
                errors.append(
                    Error(
                        f"{name} is the simulated backend {path}: with DEBUG off it would fake deliveries.",
                        hint="Configure a real provider (docs/providers.md), or set ALLOW_SIMULATED_PROVIDERS=1 "
                        "if faked deliveries are what you want.",
                        id="tingting.E010",
                    )
                )
            continue
        missing = backend.missing_settings() if hasattr(backend, "missing_settings") else []
        if missing:
            errors.append(
                Error(
                    f"{name}={path} needs {', '.join(missing)}.",
                    hint="Set them in the environment (docs/configuration.md).",
                    id="tingting.E011",
                )
            )
    return errors
