from django.core.management.base import BaseCommand, CommandError

from bench import benchmarks


class Command(BaseCommand):
    help = "Run benchmarks (all, or those named); each prints figures as ratios to a baseline of the same run."

    def add_arguments(self, parser):
        parser.add_argument("names", nargs="*", help="benchmark names (modules of bench/)")
        parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")

    def handle(self, *args, names, quick, **options):
        known = benchmarks()
        unknown = [name for name in names if name not in known]
        if unknown:
            raise CommandError(f"Unknown benchmark(s): {', '.join(unknown)}; known: {', '.join(known)}")
        for name in names or list(known):
            known[name](quick=quick, out=self.stdout)
