from django.core.management.base import BaseCommand, CommandError

from indicators.models import Period
from opd.notifications import document_warnings_send, reminders_send


class Command(BaseCommand):
    help = (
        "Mail each unit its unsubmitted questions when its deadline (window or extension) is "
        "N days away or less, and, once, its registered documents that lapse before the "
        "ministry's entry. Run once a day (cron/systemd timer)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--days", type=int, default=7, help="Remind when the deadline is this close (7)."
        )
        parser.add_argument("--period", type=int, help="Year; default: the latest open period.")
        parser.add_argument(
            "--dry-run", action="store_true", help="Print what would be sent, send nothing."
        )

    def handle(self, *args, days, period, dry_run, **options):
        if days < 0:
            raise CommandError("--days cannot be negative.")
        periods = Period.objects.filter(status=Period.Status.OPEN).order_by("-year")
        found = periods.filter(year=period).first() if period else periods.first()
        if found is None:
            raise CommandError(
                f"Period {period} is not open." if period else "No open period to remind about."
            )
        for line in document_warnings_send(period=found, dry_run=dry_run):
            self.stdout.write(line)
        report = reminders_send(period=found, days=days, dry_run=dry_run)
        for line in report.lines:
            self.stdout.write(line)
        verb = "would mail" if dry_run else "mailed"
        self.stdout.write(
            f"Period {found.year}: {verb} {report.units_mailed} units about "
            f"{report.questions_listed} questions."
        )
        if report.units_without_recipients:
            self.stderr.write(
                "No active member with an email: " + ", ".join(report.units_without_recipients)
            )
