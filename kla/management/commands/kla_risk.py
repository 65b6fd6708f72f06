"""Print a period's verification risk: each answer the rules flag (question code, unit, level,
reasons, points at risk), the highest level and most points first, then the points at risk.
`--all` lists every answer. Read from opd/risk.py, the same verdicts as the pages."""

import json

from django.core.management.base import BaseCommand, CommandError

from core import formats
from indicators.models import Period
from opd import risk


class Command(BaseCommand):
    help = "Print a period's verification risk per answer: level, reasons, points at risk."

    def add_arguments(self, parser):
        parser.add_argument("--period", type=int, required=True)
        parser.add_argument("--json", action="store_true", help="Machine-readable output.")
        parser.add_argument("--all", action="store_true", help="Every answer, even unflagged.")

    def handle(self, *args, period, **options):
        found = Period.objects.filter(year=period).first()
        if found is None:
            years = ", ".join(str(y) for y in Period.objects.values_list("year", flat=True))
            raise CommandError(f"No period {period}. Periods: {years or 'none'}.")
        rows = risk.flagged_rows(found, everything=options["all"])
        total = sum((row["points_at_risk"] for row in rows), risk.ZERO)
        if options["json"]:
            doc = {
                "period": found.year,
                "points_at_risk": str(total),
                "answers": [{**row, "points_at_risk": str(row["points_at_risk"])} for row in rows],
            }
            self.stdout.write(json.dumps(doc, ensure_ascii=False, indent=2))
            return
        w = self.stdout.write
        w(f"Period {found.year}: {len(rows)} answer(s), points at risk {formats.points(total)}")
        for row in rows:
            w(
                f"{row['question']:<14}{row['unit'][:24]:<26}{row['level']:<8}"
                f"{formats.points(row['points_at_risk']):>8}"
            )
            for reason in row["reasons"]:
                w(f"    - {reason}")
            for reason in row["unchecked"]:
                w(f"    ? {reason}")
