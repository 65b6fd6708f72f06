from django.core.management.base import BaseCommand, CommandError

from indicators.models import Period
from kla.reports.bundle import write_bundle
from kla.reports.common import atomic_output
from opd.audit import audit_log
from opd.models import AuditEvent


class Command(BaseCommand):
    help = "Write the evidence bundle of a period (approved answers' files and index.xlsx)."

    def add_arguments(self, parser):
        parser.add_argument("--period", type=int, required=True, help="Year of the period.")
        parser.add_argument("--out", required=True, help="Path of the .zip to write.")

    def handle(self, *args, period, out, **options):
        found = Period.objects.filter(year=period).first()
        if found is None:
            raise CommandError(f"No period {period}.")
        with atomic_output(out) as sink:
            plan = write_bundle(period=found, sink=sink)
        audit_log(
            action=AuditEvent.Action.EXPORT,
            period=found,
            summary=f"Evidence bundle {period} written by manage.py export_bundle",
            data={"kind": "bundle", "files": len(plan.files), "via": "command"},
        )
        self.stdout.write(
            self.style.SUCCESS(
                f"{out}: {len(plan.answers)} approved answers, {len(plan.files)} files, "
                f"{plan.total_bytes} bytes of evidence."
            )
        )
