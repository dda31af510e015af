from django.core.management.base import BaseCommand, CommandError
from django.utils.module_loading import import_string

from bench import BENCHMARKS


class Command(BaseCommand):
    help = "Run benchmarks (all, or those named); each prints figures as ratios to a baseline of the same run."

    def add_arguments(self, parser):
        parser.add_argument("names", nargs="*", help=f"any of: {', '.join(BENCHMARKS)}")
        parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")

    def handle(self, *args, names, quick, **options):
        unknown = [name for name in names if name not in BENCHMARKS]
        if unknown:
            raise CommandError(f"Unknown benchmark(s): {', '.join(unknown)}; known: {', '.join(BENCHMARKS)}")
        for name in names or list(BENCHMARKS):
            import_string(BENCHMARKS[name])(quick=quick, out=self.stdout)
