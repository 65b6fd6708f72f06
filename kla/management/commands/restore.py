"""manage.py restore FILE: put a backup into an empty, migrated database and its storage."""

from django.core.management.base import BaseCommand, CommandError

from kla.backup import BackupError, restore_backup


class Command(BaseCommand):
    help = (
        "Restore an archive written by `backup` into an EMPTY, migrated database (run migrate "
        "first, and do not create users before restoring). The whole archive is verified "
        "against its manifest before anything changes; the rows are loaded in one transaction; "
        "the evidence files are written back and checked against their SHA-256. A database "
        "that already holds product data is always refused: there is no --force."
    )

    def add_arguments(self, parser):
        parser.add_argument("archive", help="a .tar.gz written by manage.py backup")

    def handle(self, *args, **options):
        try:
            result = restore_backup(options["archive"], log=lambda m: self.stdout.write(m))
        except BackupError as error:
            raise CommandError(f"Nothing was restored: {error}") from None
        for warning in result.warnings:
            self.stderr.write(f"warning: {warning}")
        rows = sum(result.counts.values())
        self.stdout.write(
            self.style.SUCCESS(
                f"Restored {rows} rows in {len(result.counts)} tables and "
                f"{result.files_written + result.files_already_present} evidence files "
                f"({result.files_already_present} were already in the storage, unchanged)."
            )
        )
