import json

from django.core.management.base import BaseCommand, CommandError

from indicators.models import Period
from indicators.score_document import score_document
from opd.scoring import score_period


class Command(BaseCommand):
    help = "Print a period's score: claimed, verified, potential, ranks, per group and indicator."

    def add_arguments(self, parser):
        parser.add_argument("--period", type=int, required=True)
        parser.add_argument("--json", action="store_true", help="Machine-readable output.")

    def handle(self, *args, period, **options):
        found = Period.objects.filter(year=period).first()
        if found is None:
            years = ", ".join(str(y) for y in Period.objects.values_list("year", flat=True))
            raise CommandError(f"No period {period}. Periods: {years or 'none'}.")
        doc = score_document(period=found, score=score_period(period=found))
        if options["json"]:
            self.stdout.write(_dumps(doc))
            return
        w = self.stdout.write
        w(f"Period {doc['period']} (max {doc['max_points']}, target {doc['target'] or '-'})")
        w(f"  claimed   {doc['claimed']:>8}  {doc['rank']['claimed'] or '-'}")
        w(f"  verified  {doc['verified']:>8}  {doc['rank']['verified'] or '-'}")
        w(f"  potential {doc['potential']:>8}  {doc['rank']['potential'] or '-'}")
        if doc["gap_to_target"] is not None:
            w(f"  gap to target: {doc['gap_to_target']}")
        w("")
        w(f"{'group / indicator':<44}{'max':>9}{'claimed':>9}{'verified':>9}")
        for g in doc["groups"]:
            w(f"{g['name'][:44]:<44}{g['max_points']:>9}{g['claimed']:>9}{g['verified']:>9}")
            for i in g["indicators"]:
                label = f"  {i['code']}. {i['name']}"[:44]
                w(f"{label:<44}{i['max_points']:>9}{i['claimed']:>9}{i['verified']:>9}")


def _dumps(doc: dict) -> str:
    return json.dumps(doc, ensure_ascii=False, indent=2)
