"""The scoring engine: pure Python, Decimal with two places, plain dataclasses in and out.

    question points in [0, max]  (every-kecamatan questions: mean over the units, missing = 0)
    indicator = min(sum of its questions, indicator max)
    group     = sum of its indicators
    total     = sum of the groups

Three totals: claimed (latest claimed points, any status), verified (approved points only),
potential (verified + claimed of answers awaiting review). Ranks are half-open bands on the
decimal total. Nothing here touches the database.
"""

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

ZERO = Decimal("0.00")
CENT = Decimal("0.01")


def q2(value: Decimal) -> Decimal:
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class UnitAnswer:
    claimed: Decimal | None = None
    verified: Decimal | None = None  # set only when approved
    awaiting_review: bool = False


@dataclass(frozen=True)
class QuestionInput:
    id: int
    indicator_id: int
    code: str
    max_points: Decimal
    answers: tuple[UnitAnswer, ...] = ()
    # Questions every kecamatan/desa answers: the mean over this many units (missing = 0).
    n_units: int = 1
    order: int = 0


@dataclass(frozen=True)
class IndicatorInput:
    id: int
    group_id: int
    code: str
    name: str
    max_points: Decimal
    order: int = 0


@dataclass(frozen=True)
class GroupInput:
    id: int
    name: str
    order: int = 0


@dataclass(frozen=True)
class Band:
    name: str
    lower_bound: Decimal


@dataclass(frozen=True)
class Points:
    claimed: Decimal = ZERO
    verified: Decimal = ZERO
    potential: Decimal = ZERO


@dataclass(frozen=True)
class QuestionScore:
    id: int
    indicator_id: int
    code: str
    max_points: Decimal
    points: Points
    order: int

    @property
    def missing(self) -> Decimal:
        return q2(self.max_points - self.points.verified)


@dataclass(frozen=True)
class IndicatorScore:
    id: int
    code: str
    name: str
    max_points: Decimal
    points: Points
    questions: tuple[QuestionScore, ...]


@dataclass(frozen=True)
class GroupScore:
    id: int
    name: str
    max_points: Decimal
    points: Points
    indicators: tuple[IndicatorScore, ...]


@dataclass(frozen=True)
class PeriodScore:
    max_points: Decimal
    points: Points
    rank_claimed: str | None
    rank_verified: str | None
    rank_potential: str | None
    target: str | None
    gap_to_target: Decimal | None
    groups: tuple[GroupScore, ...] = field(default=())
    gaps: tuple[QuestionScore, ...] = field(default=())
    # The scale the ranks were read on, lowest first: what the gauge and the reports draw.
    bands: tuple[Band, ...] = field(default=())

    @property
    def claimed(self) -> Decimal:
        return self.points.claimed

    @property
    def verified(self) -> Decimal:
        return self.points.verified

    @property
    def potential(self) -> Decimal:
        return self.points.potential


def rank_for(total: Decimal, bands: list[Band]) -> str | None:
    """The band whose half-open range [lower, next lower) holds the total; None below all."""
    found = None
    for band in sorted(bands, key=lambda b: b.lower_bound):
        if total >= band.lower_bound:
            found = band.name
    return found


def _clamp(value: Decimal | None, maximum: Decimal) -> Decimal:
    if value is None:
        return ZERO
    return min(max(Decimal(value), ZERO), maximum)


def score_question(q: QuestionInput) -> Points:
    claimed = verified = potential = ZERO
    for a in q.answers:
        c = _clamp(a.claimed, q.max_points)
        v = _clamp(a.verified, q.max_points)
        claimed += c
        verified += v
        potential += v + (c if a.awaiting_review else ZERO)
    n = Decimal(max(q.n_units, 1))
    return Points(
        claimed=min(claimed / n, q.max_points),
        verified=min(verified / n, q.max_points),
        potential=min(potential / n, q.max_points),
    )


def _sum(points) -> Points:
    points = list(points)
    return Points(
        claimed=sum((p.claimed for p in points), ZERO),
        verified=sum((p.verified for p in points), ZERO),
        potential=sum((p.potential for p in points), ZERO),
    )


def _cap(p: Points, maximum: Decimal) -> Points:
    return Points(min(p.claimed, maximum), min(p.verified, maximum), min(p.potential, maximum))


def _round(p: Points) -> Points:
    return Points(q2(p.claimed), q2(p.verified), q2(p.potential))


def score_period(
    *,
    groups: list[GroupInput],
    indicators: list[IndicatorInput],
    questions: list[QuestionInput],
    bands: list[Band],
    target: str | None = None,
    n_gaps: int = 10,
) -> PeriodScore:
    by_indicator: dict[int, list[QuestionInput]] = {}
    for q in questions:
        by_indicator.setdefault(q.indicator_id, []).append(q)
    by_group: dict[int, list[IndicatorInput]] = {}
    for i in indicators:
        by_group.setdefault(i.group_id, []).append(i)

    group_scores, all_questions = [], []
    for g in sorted(groups, key=lambda g: (g.order, g.id)):
        indicator_scores = []
        for i in sorted(by_group.get(g.id, []), key=lambda i: (i.order, i.id)):
            q_scores, q_raw = [], []
            for q in sorted(by_indicator.get(i.id, []), key=lambda q: (q.order, q.id)):
                points = score_question(q)
                q_raw.append(points)  # the indicator sums unrounded points
                q_scores.append(
                    QuestionScore(q.id, i.id, q.code, q2(q.max_points), _round(points), q.order)
                )
            raw = _sum(q_raw)
            capped = _round(_cap(raw, i.max_points))
            indicator_scores.append(
                IndicatorScore(i.id, i.code, i.name, q2(i.max_points), capped, tuple(q_scores))
            )
            all_questions += q_scores
        group_scores.append(
            GroupScore(
                g.id, g.name, q2(sum((i.max_points for i in indicator_scores), ZERO)),
                _round(_sum(i.points for i in indicator_scores)), tuple(indicator_scores),
            )
        )  # fmt: skip
    total = _round(_sum(g.points for g in group_scores))
    max_points = q2(sum((g.max_points for g in group_scores), ZERO))
    target_band = next((b for b in bands if b.name == target), None)
    gap = max(ZERO, q2(target_band.lower_bound - total.verified)) if target_band else None
    order = {q.id: n for n, q in enumerate(all_questions)}
    gaps = sorted(
        (q for q in all_questions if q.missing > 0), key=lambda q: (-q.missing, order[q.id])
    )[:n_gaps]
    return PeriodScore(
        max_points=max_points,
        points=total,
        rank_claimed=rank_for(total.claimed, bands),
        rank_verified=rank_for(total.verified, bands),
        rank_potential=rank_for(total.potential, bands),
        target=target or None,
        gap_to_target=gap,
        groups=tuple(group_scores),
        gaps=tuple(gaps),
        bands=tuple(sorted(bands, key=lambda b: b.lower_bound)),
    )
