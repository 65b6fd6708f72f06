"""What the reports show of the score: per question, per group, totals, ranks, unit progress.

PROVISIONAL: computed here from the answers until the score service (opd/scoring.py) and the
dashboard selectors (kla/selectors.py) are committed; then this module only adapts them.
"""

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from indicators.models import Period
from kla.reports.rows import GroupRows, period_rows
from opd.models import Answer

ZERO = Decimal("0.00")
CENT = Decimal("0.01")


@dataclass
class UnitProgress:
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
    questions: dict[int, tuple[Decimal, Decimal]] = field(default_factory=dict)
    groups: dict[int, dict] = field(default_factory=dict)
    claimed: Decimal = ZERO
    verified: Decimal = ZERO
    potential: Decimal = ZERO
    claimed_rank: str = ""
    verified_rank: str = ""
    potential_rank: str = ""
    target_rank: str = ""
    target_lower: Decimal | None = None
    gap: Decimal = ZERO
    units: list[UnitProgress] = field(default_factory=list)

    def question_points(self, question_id: int) -> tuple[Decimal, Decimal]:
        return self.questions.get(question_id, (ZERO, ZERO))

    def group_potential(self, group_id: int) -> Decimal:
        return self.groups.get(group_id, {}).get("potential", ZERO)

    @property
    def target_note(self) -> str:
        if not self.target_rank:
            return "Target peringkat belum ditetapkan."
        return (
            f"Target {self.target_rank}: nilai terverifikasi minimal "
            f"{self.target_lower:.2f}; kekurangan {self.gap:.2f} poin."
        )


def _mean(values: list[Decimal], count: int) -> Decimal:
    return (sum(values, ZERO) / count).quantize(CENT, ROUND_HALF_UP) if count else ZERO


def _rank(total: Decimal, bands) -> str:
    name = ""
    for band in bands:
        if total >= band.lower_bound:
            name = band.name
    return name


def report_score(*, period: Period) -> ReportScore:
    rows = period_rows(period=period)
    bands = sorted(period.rank_bands.all(), key=lambda b: b.lower_bound)
    score = ReportScore(period=period, rows=rows)
    units: dict[int, UnitProgress] = {}
    for group_rows in rows:
        g_claimed = g_verified = g_potential = ZERO
        for indicator_rows in group_rows.indicators:
            i_claimed = i_verified = i_potential = ZERO
            for item in indicator_rows.questions:
                claimed, verified, potential = [], [], []
                for unit_answer in item.unit_answers:
                    answer = unit_answer.answer
                    c = answer.claimed_points or ZERO if answer else ZERO
                    v = answer.verified_points or ZERO if answer and answer.is_final else ZERO
                    claimed.append(c)
                    verified.append(v)
                    potential.append(v if answer and answer.is_final else c)
                    progress = units.setdefault(
                        unit_answer.unit.pk, UnitProgress(unit=unit_answer.unit)
                    )
                    progress.assigned += 1
                    if answer is not None and answer.claimed_points is not None:
                        progress.answered += 1
                    if unit_answer.evidence_count:
                        progress.with_evidence += 1
                    if answer is not None and answer.status == Answer.Status.SUBMITTED:
                        progress.submitted += 1
                    if answer is not None and answer.is_final:
                        progress.approved += 1
                n = len(item.unit_answers)
                q = (_mean(claimed, n), _mean(verified, n))
                score.questions[item.question.pk] = q
                i_claimed += q[0]
                i_verified += q[1]
                i_potential += _mean(potential, n)
            cap = indicator_rows.indicator.max_points
            g_claimed += min(i_claimed, cap)
            g_verified += min(i_verified, cap)
            g_potential += min(i_potential, cap)
        score.groups[group_rows.group.pk] = {
            "claimed": g_claimed,
            "verified": g_verified,
            "potential": g_potential,
        }
        score.claimed += g_claimed
        score.verified += g_verified
        score.potential += g_potential
    score.claimed_rank = _rank(score.claimed, bands)
    score.verified_rank = _rank(score.verified, bands)
    score.potential_rank = _rank(score.potential, bands)
    target = next((b for b in bands if b.name == period.target_rank), None)
    if target is not None:
        score.target_rank = target.name
        score.target_lower = target.lower_bound
        score.gap = max(ZERO, target.lower_bound - score.verified)
    score.units = sorted(units.values(), key=lambda p: p.unit.short_name)
    return score
