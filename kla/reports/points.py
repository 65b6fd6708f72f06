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
from opd.models import Answer
from opd.scoring import engine_inputs

ZERO = Decimal("0.00")
NO_POINTS = engine.Points()


@dataclass
class UnitProgress:
    """One answering unit's questions in the period, from not started to approved."""

    unit: object
    assigned: int = 0
    answered: int = 0
    with_evidence: int = 0
    submitted: int = 0
    approved: int = 0

    @property
    def percent(self) -> float:
        return round(100 * self.approved / self.assigned, 2) if self.assigned else 0.0


@dataclass
class ReportScore:
    period: Period
    rows: list[GroupRows]
    score: engine.PeriodScore
    exact: dict[int, engine.Points] = field(default_factory=dict)
    band_bounds: dict[str, Decimal] = field(default_factory=dict)
    units: list[UnitProgress] = field(default_factory=list)

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


def _unit_progress(rows: list[GroupRows]) -> list[UnitProgress]:
    """Per answering unit (the lead, or each kecamatan/desa of a per-unit question)."""
    units: dict[int, UnitProgress] = {}
    for group_rows in rows:
        for indicator_rows in group_rows.indicators:
            for item in indicator_rows.questions:
                for unit_answer in item.unit_answers:
                    answer = unit_answer.answer
                    progress = units.setdefault(
                        unit_answer.unit.pk, UnitProgress(unit=unit_answer.unit)
                    )
                    progress.assigned += 1
                    if answer is None:
                        continue
                    if answer.claimed_points is not None:
                        progress.answered += 1
                    if unit_answer.evidence_count:
                        progress.with_evidence += 1
                    if answer.status in (Answer.Status.SUBMITTED, Answer.Status.APPROVED):
                        progress.submitted += 1
                    if answer.status == Answer.Status.APPROVED:
                        progress.approved += 1
    return sorted(units.values(), key=lambda p: p.unit.short_name)


def report_score(*, period: Period) -> ReportScore:
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
        units=_unit_progress(rows),
    )
