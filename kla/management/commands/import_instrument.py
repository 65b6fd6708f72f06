from django.core.management.base import BaseCommand, CommandError

from indicators.importers import InstrumentFileError, parse_file
from kla.imports import instrument_import


class Command(BaseCommand):
    help = (
        "Import a KLA instrument (.xlsx template or .json) into a period. Atomic and "
        "idempotent; prints a validation report."
    )

    def add_arguments(self, parser):
        parser.add_argument("path")
        parser.add_argument("--period", type=int, required=True, help="Year of the period.")
        parser.add_argument("--dry-run", action="store_true", help="Report only; change nothing.")

    def handle(self, *args, path, period, dry_run, **options):
        if not 2000 <= period <= 2100:
            raise CommandError(f"--period must be a year, got {period}.")
        try:
            parsed = parse_file(path)
        except FileNotFoundError:
            raise CommandError(f"No such file: {path}") from None
        except InstrumentFileError as error:
            raise CommandError(
                "The file cannot be imported; nothing was changed.\n  "
                + "\n  ".join(error.problems)
            ) from None
        report = instrument_import(parsed=parsed, year=period, dry_run=dry_run)
        for line in report.lines():
            self.stdout.write(line)
        if report.errors:
            raise CommandError(
                f"{len(report.errors)} error(s): nothing was imported. "
                "Fix the file and try again.\n  " + "\n  ".join(str(e) for e in report.errors)
            )
        if dry_run:
            self.stdout.write(self.style.WARNING("Dry run: nothing was changed."))
        elif report.changed:
            self.stdout.write(self.style.SUCCESS(f"Imported into period {period}."))
        else:
            self.stdout.write(self.style.SUCCESS("Nothing changed: the period already matches."))
