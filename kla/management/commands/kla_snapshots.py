from django.core.management.base import BaseCommand, CommandError

from indicators.models import Period, ScoreSnapshot
from opd.scoring import snapshot_milestones, snapshot_take


class Command(BaseCommand):
    help = (
        "Cron, daily: snapshot each period whose window has closed (once). With --period, take "
        "a snapshot of that period now."
    )

    def add_arguments(self, parser):
        parser.add_argument("--period", type=int)

    def handle(self, *args, period, **options):
        if period:
            found = Period.objects.filter(year=period).first()
            if found is None:
                raise CommandError(f"No period {period}.")
            snap = snapshot_take(period=found, reason=ScoreSnapshot.Reason.MANUAL)
            self.stdout.write(f"Snapshot of {period}: verified {snap.verified}.")
            return
        taken = snapshot_milestones()
        self.stdout.write(f"{len(taken)} window-closed snapshot(s) taken.")
