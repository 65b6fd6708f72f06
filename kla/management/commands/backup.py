"""manage.py backup --out FILE: one verifiable archive of the product's data and evidence."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from kla.backup import BackupError, create_backup


class Command(BaseCommand):
    help = (
        "Write one .tar.gz archive with every row the product owns, every evidence file and a "
        "manifest of SHA-256 checksums. --out may be a file name or a directory (a dated name "
        "is chosen; default KLA_BACKUP_DIR). Exits non-zero if evidence files were missing or "
        "damaged; the archive is still written and lists them. Removes what interrupted "
        "backups left in the archive's directory."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--out",
            default=settings.KLA_BACKUP_DIR or None,
            help="archive file (.tar.gz) or directory (default: KLA_BACKUP_DIR)",
        )

    def handle(self, *args, **options):
        if not options["out"]:
            raise CommandError("Say where the archive goes: --out, or KLA_BACKUP_DIR.")
        try:
            result = create_backup(options["out"], log=lambda m: self.stderr.write(m))
        except BackupError as error:
            raise CommandError(str(error)) from None
        rows = sum(result.counts.values())
        self.stdout.write(
            f"Backup written: {result.path} ({rows} rows in {len(result.counts)} tables, "
            f"{result.files} evidence files, {result.file_bytes} bytes of evidence)"
        )
        problems = len(result.missing_files) + len(result.damaged_files)
        if problems:
            raise CommandError(
                f"{len(result.missing_files)} evidence files were missing and "
                f"{len(result.damaged_files)} differed from their recorded SHA-256; they are "
                "listed in the archive's manifest.json. Run verify_evidence."
            )
