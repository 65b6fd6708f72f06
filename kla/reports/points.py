"""What the reports read of the score: the period's score document (the one the API serves
and a snapshot stores), the rows, the units, and the exact question points.

The engine sums a per-unit question's exact mean (25/3, not 8.33) into its indicator and
rounds only the indicator; the reports therefore carry the exact question points too, so a
workbook's formulas reproduce the engine's indicator, group and period totals exactly.
"""

from dataclasses import dataclass
from decimal import Decimal

from indicators import scoring as engine
from indicators.models import Period
from indicators.score_document import score_document
from kla.reports.rows import GroupRows, period_rows
from kla.selectors import UnitCompletion, unit_completion
from opd.scoring import engine_inputs

NO_POINTS = engine.Points()


@dataclass
class ReportScore:
    document: dict  # indicators.score_document: every figure the reports print
    rows: list[GroupRows]
    exact: dict[int, engine.Points]  # per question id, unrounded
    # Per answering unit, exactly as the dashboards count them (kla.selectors).
    units: list[UnitCompletion]

    @property
    def target_lower(self) -> Decimal | None:
        doc = self.document
        bound = next((b["lower_bound"] for b in doc["bands"] if b["name"] == doc["target"]), None)
        return None if bound is None else Decimal(bound)

    def question_points(self, question_id: int) -> tuple[Decimal, Decimal]:
        """Claimed and verified points of a question as the engine shows them (to the cent;
        the period's rounding decides what the indicator adds, not this)."""
        points = self.exact.get(question_id, NO_POINTS)
        return points.claimed, points.verified


def report_score(*, period: Period, unit_sort: str = "name") -> ReportScore:
    """The score of the period with the rows of the reports, in a fixed number of queries."""
    inputs = engine_inputs(period=period)
    score = engine.score_period(**inputs)
    return ReportScore(
        document=score_document(period=period, score=score),
        rows=period_rows(period=period),
        exact={q.id: q.points for g in score.groups for i in g.indicators for q in i.questions},
        units=unit_completion(period=period, sort=unit_sort),
    )
