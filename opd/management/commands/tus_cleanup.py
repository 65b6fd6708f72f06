"""Remove abandoned resumable uploads: cron, hourly or daily (docs/deploy.md).

An upload nobody has sent a piece to for KLA_TUS_EXPIRY_HOURS (24) has expired: its row and
its bytes in KLA_TUS_DIR go. So do spool files no upload owns (older than an hour: a worker
killed between writing a file and its row) and the bytes of finished uploads a crash left.
An upload a request is writing at this very moment is left for the next run.
"""

from django.core.management.base import BaseCommand

from opd.tus import tus_cleanup


class Command(BaseCommand):
    help = "Remove expired resumable uploads and their bytes, and spool files no upload owns."

    def handle(self, *args, **options):
        removed, busy = tus_cleanup()
        for leftover in removed:
            self.stdout.write(f"REMOVED   {leftover.label}")
        for leftover in busy:
            self.stdout.write(f"BUSY      {leftover.label} (being written: left for next run)")
        freed = sum(leftover.size for leftover in removed)
        self.stdout.write(f"removed {len(removed)} ({freed} bytes), busy {len(busy)}")
