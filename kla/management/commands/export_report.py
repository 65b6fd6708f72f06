from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from indicators.models import Period
from kla.reports.common import atomic_output
from kla.reports.pdf import progress_report_pdf
from opd.audit import audit_log
from opd.models import AuditEvent


class Command(BaseCommand):
    help = "Write the PDF progress report of a period for the Bupati."

    def add_arguments(self, parser):
        parser.add_argument("--period", type=int, required=True, help="Year of the period.")
        parser.add_argument("--out", required=True, help="Path of the .pdf to write.")
        parser.add_argument(
            "--language",
            default="id",
            choices=[code for code, _name in settings.LANGUAGES],
            help="Language of the report (default: id).",
        )

    def handle(self, *args, period, out, language, **options):
        found = Period.objects.filter(year=period).first()
        if found is None:
            raise CommandError(f"No period {period}.")
        content = progress_report_pdf(period=found, language=language)
        with atomic_output(out) as sink:
            sink.write(content)
        audit_log(
            action=AuditEvent.Action.EXPORT,
            period=found,
            summary=f"Progress report {period} written by manage.py export_report",
            data={"kind": "pdf", "language": language, "via": "command"},
        )
        self.stdout.write(self.style.SUCCESS(f"{out}: report of period {period} written."))
