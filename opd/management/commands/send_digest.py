from django.core.management.base import BaseCommand

from opd.notifications import digest_send


class Command(BaseCommand):
    help = "Mail the secretariat the answers submitted in the last 24 hours (run daily by cron)."

    def add_arguments(self, parser):
        parser.add_argument("--since", type=int, default=24, help="Hours to look back.")

    def handle(self, *args, since, **options):
        count = digest_send(since_hours=since)
        self.stdout.write(f"Digest: {count} new submissions." if count else "Digest: nothing new.")
