"""What the reports show of the score, taken from the score service and the engine.

The engine sums a per-unit question's exact mean (25/3, not 8.33) into its indicator and
rounds only the indicator; the reports therefore carry the exact question points too, so a
workbook's formulas reproduce the engine's indicator, group and period totals exactly.
"""

from dataclasses import dataclass, field
from decimal import Decimal

from indicators import scoring as engine
from indicators.models import Period
from kla.reports.rows import GroupRows, period_rows
from kla.selectors import UnitCompletion, unit_completion
from opd.scoring import engine_inputs

ZERO = Decimal("0.00")
NO_POINTS = engine.Points()


@dataclass
class ReportScore:
    period: Period
    rows: list[GroupRows]
    score: engine.PeriodScore
    exact: dict[int, engine.Points] = field(default_factory=dict)
    band_bounds: dict[str, Decimal] = field(default_factory=dict)
    # Per answering unit, exactly as the dashboards count them (kla.selectors).
    units: list[UnitCompletion] = field(default_factory=list)

    # Totals and ranks as the engine gives them.
    @property
    def claimed(self) -> Decimal:
        return self.score.claimed

    @property
    def verified(self) -> Decimal:
        return self.score.verified

    @property
    def potential(self) -> Decimal:
        return self.score.potential

    @property
    def claimed_rank(self) -> str:
        return self.score.rank_claimed or ""

    @property
    def verified_rank(self) -> str:
        return self.score.rank_verified or ""

    @property
    def potential_rank(self) -> str:
        return self.score.rank_potential or ""

    @property
    def target_rank(self) -> str:
        return self.score.target or ""

    @property
    def target_lower(self) -> Decimal | None:
        return self.band_bounds.get(self.score.target) if self.score.target else None

    @property
    def gap(self) -> Decimal | None:
        return self.score.gap_to_target

    def question_points(self, question_id: int) -> tuple[Decimal, Decimal]:
        """Exact (unrounded) claimed and verified points of a question, as the engine sums them."""
        points = self.exact.get(question_id, NO_POINTS)
        return points.claimed, points.verified

    def group(self, group_id: int) -> engine.GroupScore | None:
        return next((g for g in self.score.groups if g.id == group_id), None)

    def group_points(self, group_id: int) -> engine.Points:
        group = self.group(group_id)
        return group.points if group else NO_POINTS

    def indicator(self, indicator_id: int) -> engine.IndicatorScore | None:
        for group in self.score.groups:
            for indicator in group.indicators:
                if indicator.id == indicator_id:
                    return indicator
        return None


def report_score(*, period: Period, unit_sort: str = "name") -> ReportScore:
    """The score of the period with the rows of the reports, in a fixed number of queries."""
    inputs = engine_inputs(period=period)
    score = engine.score_period(**inputs)
    rows = period_rows(period=period)
    return ReportScore(
        period=period,
        rows=rows,
        score=score,
        exact={q.id: engine.score_question(q) for q in inputs["questions"]},
        band_bounds={b.name: b.lower_bound for b in inputs["bands"]},
        units=unit_completion(period=period, sort=unit_sort),
    )
