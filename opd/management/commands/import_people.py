from django.core.management.base import BaseCommand, CommandError

from opd.people_import import PeopleFileError, people_import, read_people_file


class Command(BaseCommand):
    help = "Import units and people from the xlsx template (sheet 'Orang'). Atomic."

    def add_arguments(self, parser):
        parser.add_argument("path")
        parser.add_argument("--dry-run", action="store_true", help="Check and report only.")

    def handle(self, *args, path, dry_run, **options):
        try:
            rows = read_people_file(path)
        except FileNotFoundError:
            raise CommandError(f"No such file: {path}") from None
        except PeopleFileError as error:
            raise CommandError(str(error)) from None
        # The command line runs as the administrator: whoever runs it runs the server.
        report = people_import(rows=rows, actor=None, dry_run=dry_run)
        for row in report.rows:
            line = f"row {row.row:>4}  {row.username:<24} {row.outcome}"
            self.stdout.write(line)
            for message in row.messages:
                self.stdout.write(f"          {message}")
            if row.outcome == "updated":  # an existing account is never changed silently
                for change in row.changes:
                    self.stdout.write(
                        f"          {change.name}: {change.old_display} -> {change.new_display}"
                    )
        for name in report.units_created:
            self.stdout.write(f"unit created: {name}")
        summary = (
            f"{report.count('created')} created, {report.count('updated')} updated, "
            f"{report.count('unchanged')} unchanged, {len(report.errors)} wrong"
        )
        if report.errors:
            raise CommandError(f"Nothing was imported: {summary}.")
        if not report.rows:
            raise CommandError("The sheet has no rows to import.")
        self.stdout.write(self.style.SUCCESS(("Checked: " if dry_run else "Imported: ") + summary))
