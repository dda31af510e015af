from django.apps import AppConfig


class BenchConfig(AppConfig):
    """Installed for its ``manage.py bench`` command (and no models), so the kernel
    does not import the benchmarks."""

    name = "bench"
