from django.core.management.base import BaseCommand, CommandError

from indicators.models import Period
from kla.reports.common import atomic_output
from kla.reports.xlsx import rekap_workbook
from opd.audit import audit_log
from opd.models import AuditEvent


class Command(BaseCommand):
    help = "Write the Excel recap of a period (summary, one sheet per group, unit progress)."

    def add_arguments(self, parser):
        parser.add_argument("--period", type=int, required=True, help="Year of the period.")
        parser.add_argument("--out", required=True, help="Path of the .xlsx to write.")

    def handle(self, *args, period, out, **options):
        found = Period.objects.filter(year=period).first()
        if found is None:
            raise CommandError(f"No period {period}.")
        with atomic_output(out) as sink:
            rekap_workbook(period=found).save(sink)
        audit_log(
            action=AuditEvent.Action.EXPORT,
            period=found,
            summary=f"Recap workbook {period} written by manage.py export_rekap",
            data={"kind": "xlsx", "via": "command"},
        )
        self.stdout.write(self.style.SUCCESS(f"{out}: recap of period {period} written."))
