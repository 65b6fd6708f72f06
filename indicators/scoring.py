"""The scoring engine: pure Python, Decimal with two places, plain immutable records in and
out (named tuples for the thousands made per question and answer: a frozen dataclass costs
four times as much to make, and a large district's score makes tens of thousands).

    question points in [0, max]  (every-kecamatan questions: mean over the units, missing = 0)
    indicator = min(sum of its questions, indicator max)
    group     = sum of its indicators
    total     = sum of the groups

Four totals: claimed (latest claimed points, any status, drafts included), submitted (claimed
points of answers handed in: awaiting review or approved; no drafts), verified (approved
points only), potential (verified + claimed of answers awaiting review). Ranks are half-open
bands on the decimal total. Nothing here touches the database.
"""

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from operator import attrgetter
from typing import NamedTuple

ZERO = Decimal("0.00")
CENT = Decimal("0.01")
UP = ROUND_HALF_UP
_q2 = Decimal.quantize  # _q2(value, CENT, UP): q2 of a Decimal, in the engine's inner loop


def q2(value: Decimal) -> Decimal:
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


class UnitAnswer(NamedTuple):
    claimed: Decimal | None = None
    verified: Decimal | None = None  # set only when approved
    awaiting_review: bool = False


class QuestionInput(NamedTuple):
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


class Points(NamedTuple):
    claimed: Decimal = ZERO
    verified: Decimal = ZERO
    potential: Decimal = ZERO
    submitted: Decimal = ZERO  # claimed points of answers handed in (no drafts)


class QuestionScore(NamedTuple):
    id: int
    indicator_id: int
    code: str
    max_points: Decimal
    points: Points
    order: int
    # What verifying the question in full would still add to the total: its own shortfall,
    # but never more than its indicator's room under the indicator's cap (21 B: questions of
    # 18 points under a cap of 17).
    missing: Decimal


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
    def target_band(self) -> Band | None:
        return target_band(self.bands, self.target)

    @property
    def claimed(self) -> Decimal:
        return self.points.claimed

    @property
    def verified(self) -> Decimal:
        return self.points.verified

    @property
    def potential(self) -> Decimal:
        return self.points.potential

    @property
    def submitted(self) -> Decimal:
        return self.points.submitted


def target_band(bands, target: str | None) -> Band | None:
    """The band a target names, among `bands`: the one place a target becomes points."""
    return next((b for b in bands if b.name == target), None) if target else None


def rank_for(total: Decimal, bands: list[Band]) -> str | None:
    """The band whose half-open range [lower, next lower) holds the total; None below all."""
    found = None
    for band in sorted(bands, key=lambda b: b.lower_bound):
        if total >= band.lower_bound:
            found = band.name
    return found


def _clamp(value: Decimal | None, maximum: Decimal) -> Decimal:
    """min(max(value, 0), maximum), written out: the engine's innermost step."""
    if value is None:
        return ZERO
    if not isinstance(value, Decimal):
        value = Decimal(value)
    if value < ZERO:
        value = ZERO
    return maximum if value > maximum else value


def _question_points(q: QuestionInput) -> tuple[Decimal, Decimal, Decimal, Decimal]:
    """Claimed, verified, potential and submitted points of a question, not rounded: an
    indicator sums them before it rounds."""
    maximum = q.max_points
    claimed = verified = potential = submitted = ZERO
    for a in q.answers:
        c = _clamp(a.claimed, maximum)
        v = _clamp(a.verified, maximum)
        claimed += c
        verified += v
        potential += v + c if a.awaiting_review else v
        # Handed in: awaiting review, or approved (only approved answers carry verified).
        if a.awaiting_review or a.verified is not None:
            submitted += c
    if q.n_units > 1:  # the mean over the units; a division by one would change nothing
        n = Decimal(q.n_units)
        claimed, verified, potential, submitted = (
            claimed / n,
            verified / n,
            potential / n,
            submitted / n,
        )
    return (
        maximum if claimed > maximum else claimed,
        maximum if verified > maximum else verified,
        maximum if potential > maximum else potential,
        maximum if submitted > maximum else submitted,
    )


def score_question(q: QuestionInput) -> Points:
    return Points(*_question_points(q))


def _sum(points) -> Points:
    points = list(points)
    return Points(
        claimed=sum((p.claimed for p in points), ZERO),
        verified=sum((p.verified for p in points), ZERO),
        potential=sum((p.potential for p in points), ZERO),
        submitted=sum((p.submitted for p in points), ZERO),
    )


def _round(p: Points) -> Points:
    return Points(q2(p.claimed), q2(p.verified), q2(p.potential), q2(p.submitted))


_in_order = attrgetter("order", "id")


def score_period(
    *,
    groups: list[GroupInput],
    indicators: list[IndicatorInput],
    questions: list[QuestionInput],
    bands: list[Band],
    target: str | None = None,
    n_gaps: int = 10,
) -> PeriodScore:
    # Thousands of questions on a large district: plain loops, each value rounded once.
    by_indicator: dict[int, list[QuestionInput]] = {}
    for q in questions:
        by_indicator.setdefault(q.indicator_id, []).append(q)
    by_group: dict[int, list[IndicatorInput]] = {}
    for i in indicators:
        by_group.setdefault(i.group_id, []).append(i)

    group_scores, all_questions, missing = [], [], []
    for g in sorted(groups, key=_in_order):
        indicator_scores = []
        for i in sorted(by_group.get(g.id, []), key=_in_order):
            rows = []
            # The indicator sums unrounded points.
            claimed = verified = potential = submitted = ZERO
            for q in sorted(by_indicator.get(i.id, []), key=_in_order):
                c, v, p, s = _question_points(q)
                claimed, verified, potential = claimed + c, verified + v, potential + p
                submitted += s
                rounded = Points(
                    _q2(c, CENT, UP), _q2(v, CENT, UP), _q2(p, CENT, UP), _q2(s, CENT, UP)
                )
                rows.append((q, rounded, _q2(q.max_points, CENT, UP)))
            cap = i.max_points
            room = q2(cap - verified) if verified < cap else ZERO  # what the cap still allows
            q_scores = []
            for q, rounded, maximum in rows:
                short = maximum - rounded.verified
                available = short if short < room else room
                q_scores.append(
                    QuestionScore(q.id, i.id, q.code, maximum, rounded, q.order, available)
                )
                missing.append(available)
            capped = Points(
                q2(min(claimed, cap)), q2(min(verified, cap)), q2(min(potential, cap)),
                q2(min(submitted, cap)),
            )  # fmt: skip
            indicator_scores.append(
                IndicatorScore(i.id, i.code, i.name, q2(cap), capped, tuple(q_scores))
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
    band = target_band(bands, target)
    gap = max(ZERO, q2(band.lower_bound - total.verified)) if band else None
    largest = sorted((n for n, m in enumerate(missing) if m > 0), key=lambda n: -missing[n])
    gaps = [all_questions[n] for n in largest[:n_gaps]]  # a stable sort: ties keep their order
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
