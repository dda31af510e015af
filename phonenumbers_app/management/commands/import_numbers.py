from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from phonenumbers_app.services import inventory_csv_rows, inventory_import
from tingting.errors import DomainError


class Command(BaseCommand):
    help = (
        "Load inventory numbers from a CSV with the header phone_number,rate,capabilities[,sid]. "
        "Numbers already present are updated, not duplicated. Bad rows are reported by row number "
        "(the header is row 1) and skipped; the command then exits non-zero."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="CSV file (UTF-8)")
        parser.add_argument("--dry-run", action="store_true", help="validate and count, write nothing")

    def handle(self, *args, **options):
        try:
            text = Path(options["file"]).read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"Cannot read {options['file']}: {exc}") from exc
        try:
            result = inventory_import(rows=inventory_csv_rows(text), dry_run=options["dry_run"])
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        for problem in result.invalid:
            self.stderr.write(str(problem))
        self.stdout.write(("Dry run: " if options["dry_run"] else "") + result.summary())
        if result.invalid:
            raise CommandError(
                f"{result.invalid_rows} invalid row(s) in {options['file']}; "
                "the valid rows were " + ("checked." if options["dry_run"] else "imported.")
            )
