import time

from django.core.management.base import BaseCommand, CommandError

from indicators.models import Period
from kla.reports.common import atomic_output
from kla.reports.entry_kit import entry_kit_plan, entry_workbook, write_entry_kit
from opd.audit import audit_log
from opd.models import AuditEvent


class Command(BaseCommand):
    help = (
        "Write the entry kit for the ministry's application of a period: a ZIP with a folder "
        "and a merged PDF per question and the entry workbook, or (--workbook) the workbook."
    )

    def add_arguments(self, parser):
        parser.add_argument("--period", type=int, required=True, help="Year of the period.")
        parser.add_argument("--out", required=True, help="Path of the .zip (or .xlsx) to write.")
        parser.add_argument(
            "--workbook", action="store_true", help="Write only the entry workbook (.xlsx)."
        )

    def handle(self, *args, period, out, workbook, **options):
        found = Period.objects.filter(year=period).first()
        if found is None:
            raise CommandError(f"No period {period}.")
        started = time.perf_counter()
        with atomic_output(out) as sink:
            if workbook:
                plan = entry_kit_plan(period=found)
                entry_workbook(plan).save(sink)
            else:
                plan = write_entry_kit(period=found, sink=sink)
        kind = "entry_workbook" if workbook else "entry_kit"
        audit_log(
            action=AuditEvent.Action.EXPORT,
            period=found,
            summary=f"Entry kit {period} written by manage.py export_entry_kit",
            data={"kind": kind, "questions": len(plan.questions), "via": "command"},
        )
        self.stdout.write(
            self.style.SUCCESS(
                f"{out}: {len(plan.questions)} questions, {plan.n_files} evidence files "
                f"({time.perf_counter() - started:.1f} s)."
            )
        )
        for item in plan.not_merged:
            self.stdout.write(self.style.WARNING(f"{item.path}: {item.name}: {item.reason}"))
