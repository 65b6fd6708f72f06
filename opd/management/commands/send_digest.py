from django.core.management.base import BaseCommand, CommandError

from opd.notifications import digest_send


class Command(BaseCommand):
    help = (
        "Mail the secretariat the answers submitted in the last 24 hours, grouped by unit. "
        "Run once a day (cron/systemd timer): each submission then appears in one digest; "
        "nothing is sent when nothing is new."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--since", type=int, default=24, metavar="HOURS", help="Hours to look back (24)."
        )

    def handle(self, *args, since, **options):
        if since < 1:
            raise CommandError("--since must be at least 1 hour.")
        count = digest_send(since_hours=since)
        self.stdout.write(f"Digest: {count} new submissions." if count else "Digest: nothing new.")
