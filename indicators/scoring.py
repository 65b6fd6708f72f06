"""The scoring engine: pure Python, Decimal with two places, plain immutable records in and
out (named tuples for the thousands made per question and answer: a frozen dataclass costs
four times as much to make, and a large district's score makes tens of thousands).

    question points in [0, max]  (per-unit questions: the share of the rows' points over the
                                  official number of units, missing = 0, through the
                                  question's steps when it has them)
    indicator = min(sum of its questions, indicator max)
    group     = sum of its indicators
    total     = sum of the groups

Four totals: claimed (latest claimed points, any status, drafts included), submitted (claimed
points of answers handed in: awaiting review or approved; no drafts), verified (approved
points only), potential (verified + claimed of answers awaiting review). Ranks are half-open
bands on the decimal total. Nothing here touches the database.

Rounding is the period's one choice (`prepare(rounding=...)`): each question to the cent and
the indicator sums those (the ministry publishes per question at two decimals: 1,67 + 1,67 =
3,34), or the indicator sums unrounded points and rounds once (1,666.. + 1,666.. = 3,33).
"""

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from functools import cached_property
from itertools import count
from operator import attrgetter, itemgetter
from typing import NamedTuple

ZERO = Decimal("0.00")
CENT = Decimal("0.01")
UP = ROUND_HALF_UP
_q2 = Decimal.quantize  # _q2(value, CENT, UP): q2 of a Decimal, in the engine's inner loop


def q2(value: Decimal) -> Decimal:
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


# The period's rounding choices (indicators.models.Period.Rounding holds the same values).
ROUND_QUESTION = "question"  # each question to the cent, then sums
ROUND_INDICATOR = "indicator"  # unrounded sums, rounded at the indicator


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
    # Questions every kecamatan/desa answers: the share over this many units (missing = 0):
    # the district's official number of kecamatan or desa, or the registered units.
    n_units: int = 1
    order: int = 0
    # A per-unit question's steps: ((lowest share in percent, points), ...), the lowest share
    # first and 0 (indicators.steps checks them). The share lands on the step with the largest
    # lower bound at or under it. Empty: points = share x maximum.
    steps: tuple[tuple[Decimal, Decimal], ...] = ()
    # Points kept at question level (a past year's result that no unit's answer carries):
    # counted as the question's one answer while it has no answers.
    kept: "UnitAnswer | None" = None


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


_NOTHING = (ZERO, ZERO, ZERO, ZERO)


def _points(
    maximum: Decimal, answers, n_units: int, steps=(), kept=None
) -> tuple[Decimal, Decimal, Decimal, Decimal]:
    """Claimed, verified, potential and submitted points of a question, not rounded: an
    indicator sums them (or their cents) before it rounds."""
    if not answers:
        if kept is None:
            return _NOTHING
        answers, n_units, steps = (kept,), 1, ()  # the question's own result, as it was
    if steps:
        return _stepped(maximum, answers, n_units, steps)
    if n_units == 1 and len(answers) == 1:  # the common case: the loop below, unrolled
        claimed, verified, awaiting = answers[0]
        c = ZERO + _clamp(claimed, maximum)
        if verified is None:
            v = ZERO
            if not awaiting:
                return (c, ZERO, ZERO, ZERO)  # a draft
        else:
            v = ZERO + _clamp(verified, maximum)
        p = v + c if awaiting else v
        return (c, v, maximum if p > maximum else p, c)
    claimed = verified = potential = submitted = ZERO
    for a in answers:
        c = _clamp(a.claimed, maximum)
        v = _clamp(a.verified, maximum)
        claimed += c
        verified += v
        potential += v + c if a.awaiting_review else v
        # Handed in: awaiting review, or approved (only approved answers carry verified).
        if a.awaiting_review or a.verified is not None:
            submitted += c
    if n_units > 1:  # the mean over the units; a division by one would change nothing
        n = Decimal(n_units)
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


def step_points(total: Decimal, maximum: Decimal, n_units: int, steps) -> Decimal:
    """The points of the step the share total / (maximum x n_units) lands on: the step with
    the largest lower bound (percent) at or under the share. Compared without dividing
    (lower x maximum x n <= total x 100), so 25% of 4 units is exactly 1 row of 4."""
    found = ZERO
    scale = maximum * max(n_units, 1)
    reached = total * 100
    for lower, points in steps:
        if lower * scale <= reached:
            found = points
        else:
            break
    return maximum if found > maximum else found


def _stepped(maximum: Decimal, answers, n_units: int, steps) -> tuple:
    """A per-unit question scored in steps: each figure's share of the rows' points over the
    units, mapped through the steps. A figure no row contributes to stays 0 (nothing verified
    is not the first step's points)."""
    if maximum <= ZERO:
        return _NOTHING
    claimed = verified = potential = submitted = ZERO
    any_verified = any_potential = any_submitted = False
    for a in answers:
        c = _clamp(a.claimed, maximum)
        v = _clamp(a.verified, maximum)
        claimed += c
        verified += v
        potential += v + c if a.awaiting_review else v
        if a.verified is not None:
            any_verified = any_potential = any_submitted = True
        if a.awaiting_review:
            any_potential = any_submitted = True
            submitted += c
        elif a.verified is not None:
            submitted += c
    return (
        step_points(claimed, maximum, n_units, steps),
        step_points(verified, maximum, n_units, steps) if any_verified else ZERO,
        step_points(potential, maximum, n_units, steps) if any_potential else ZERO,
        step_points(submitted, maximum, n_units, steps) if any_submitted else ZERO,
    )


def _question_points(q: QuestionInput) -> tuple[Decimal, Decimal, Decimal, Decimal]:
    return _points(q.max_points, q.answers, q.n_units, q.steps, q.kept)


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


class PreparedIndicator(NamedTuple):
    indicator: IndicatorInput
    questions: tuple[QuestionInput, ...]  # in order; their answers are not read
    first: int  # the position of its first question in the whole instrument (ties of gaps)
    max_points: Decimal  # rounded
    question_max: tuple[Decimal, ...]  # each question's maximum, rounded


class PreparedGroup(NamedTuple):
    group: GroupInput
    indicators: tuple[PreparedIndicator, ...]
    max_points: Decimal


@dataclass(frozen=True)
class Instrument:
    """What a score reads besides the answers, ordered and rounded once (`prepare`): in the
    March rush the instrument does not move while the answers do."""

    groups: tuple[PreparedGroup, ...]
    bands: tuple[Band, ...]  # lowest first
    max_points: Decimal
    rounding: str = ROUND_QUESTION

    @property
    def by_question(self) -> bool:
        """Whether an indicator sums its questions' cents (else their unrounded points)."""
        return self.rounding != ROUND_INDICATOR

    @cached_property
    def located(self) -> dict[int, tuple[QuestionInput, int, int, int]]:
        """Question id -> (the question, its group's index, its indicator's index in the
        group, its index in the indicator), for the questions under an indicator of a group:
        what `score_update` looks up. Made on the first update, not by `prepare`: a whole
        score does not need it, and thousands of entries cost a tenth of one."""
        return {
            q.id: (q, gn, n, k)
            for gn, group in enumerate(self.groups)
            for n, item in enumerate(group.indicators)
            for k, q in enumerate(item.questions)
        }


def prepare(
    *,
    groups: list[GroupInput],
    indicators: list[IndicatorInput],
    questions: list[QuestionInput],
    bands: list[Band],
    rounding: str = ROUND_QUESTION,
) -> Instrument:
    """The instrument's structure for `score_prepared` and `score_update`. Questions of an
    indicator outside the groups, and indicators of no group, count nowhere. `rounding` is the
    period's choice (ROUND_QUESTION or ROUND_INDICATOR)."""
    if rounding not in (ROUND_QUESTION, ROUND_INDICATOR):
        raise ValueError(f"unknown rounding {rounding!r}")
    by_indicator: dict[int, list[QuestionInput]] = {}
    for q in questions:
        listed = by_indicator.get(q.indicator_id)
        if listed is None:
            by_indicator[q.indicator_id] = [q]
        else:
            listed.append(q)
    by_group: dict[int, list[IndicatorInput]] = {}
    for i in indicators:
        by_group.setdefault(i.group_id, []).append(i)
    prepared, position = [], 0
    rounded = _Rounded()  # a few dozen maxima among thousands of questions
    for g in sorted(groups, key=_in_order):
        items = []
        for i in sorted(by_group.get(g.id, []), key=_in_order):
            qs = tuple(sorted(by_indicator.get(i.id, ()), key=_in_order))
            maxima = tuple([rounded[q.max_points] for q in qs])
            items.append(PreparedIndicator(i, qs, position, q2(i.max_points), maxima))
            position += len(qs)
        maximum = q2(sum((i.max_points for i in items), ZERO))
        prepared.append(PreparedGroup(g, tuple(items), maximum))
    return Instrument(
        groups=tuple(prepared),
        bands=tuple(sorted(bands, key=lambda b: b.lower_bound)),
        max_points=q2(sum((g.max_points for g in prepared), ZERO)),
        rounding=rounding,
    )


class _Rounded(dict):
    """Values to the cent, each rounded once."""

    __slots__ = ()

    def __missing__(self, value: Decimal) -> Decimal:
        self[value] = rounded = q2(value)
        return rounded


@dataclass(frozen=True)
class ScoreState:
    """A score with what its update needs: each question's points unrounded and in cents (an
    indicator sums one or the other), by indicator, and each indicator's largest gaps.
    Shared between threads: `score_update` returns a new state and never changes this one."""

    instrument: Instrument
    target: str | None
    n_gaps: int
    score: PeriodScore
    # indicator id -> its questions' points unrounded, to the cent and in whole cents, in
    # order (`_question`)
    valued: dict[int, tuple[tuple[tuple, Points, tuple], ...]]
    # indicator id -> its n_gaps largest gaps, as (-missing, position, QuestionScore)
    largest: dict[int, tuple]


class _Memo(dict):
    """The memo of the engine's two commonest steps: a question's points from its maximum and
    its one answer, and a question's points to the cent. A large district's thousands of
    questions hold a few hundred values (5.00 of 5.00, approved), and each step cost several
    Decimal operations: computing each value once halved a score at ten times a district.
    (maximum, answer) gives the unrounded points, the points to the cent and those in whole
    cents (an indicator sums integers: a tenth of the cost of summing Decimals), one lookup a
    question; unrounded points give the other two. Keyed by values (5 and 5.00 are one key), so
    a hit gives the same cents.

    One for the process (`_MEMO`): a pure function of values, the same for every period and
    every thread (two threads missing one key both compute the same value). Computing the few
    hundred values again cost a whole score at ten times a district a third of its engine
    time. Emptied when it holds MEMO_MAX_ENTRIES, a few MB."""

    __slots__ = ()

    def __missing__(self, key):
        if len(self) >= MEMO_MAX_ENTRIES:
            self.clear()
        if len(key) == 2:  # (maximum, answer)
            exact = _points(key[0], (key[1],), 1)
            value = (exact, *self[exact])
        else:  # unrounded points
            rounded = _new(
                Points,
                (
                    _q2(key[0], CENT, UP),
                    _q2(key[1], CENT, UP),
                    _q2(key[2], CENT, UP),
                    _q2(key[3], CENT, UP),
                ),
            )
            value = (rounded, tuple(int(x.scaleb(2)) for x in rounded))
        self[key] = value
        return value


MEMO_MAX_ENTRIES = 10_000
_MEMO = _Memo()


def _question(memo: _Memo, q: QuestionInput, answers) -> tuple[tuple, Points, tuple]:
    """A question's points unrounded, to the cent and in whole cents, through the memo in the
    common case (one answer, one unit, no steps)."""
    if len(answers) == 1 and q.n_units == 1 and not q.steps:
        return memo[q.max_points, answers[0]]
    exact = _points(q.max_points, answers, q.n_units, q.steps, q.kept)
    return _UNANSWERED if exact is _NOTHING else (exact, *memo[exact])


def _indicator(
    item: PreparedIndicator, valued: tuple, n_gaps: int, by_question: bool
) -> tuple[IndicatorScore, tuple]:
    """An indicator's score from its questions' points unrounded, to the cent and in whole
    cents (in order, from `_question`), and its largest gaps: the one computation a full score
    and an update share, so both agree to the digit. `by_question`: the indicator sums its
    questions' cents, else their unrounded points."""
    i, cap = item.indicator, item.indicator.max_points
    # (Records are made with tuple.__new__: a named tuple's own constructor is a Python call,
    # and a large district makes tens of thousands.)
    if by_question:  # the cents, summed as integers
        claimed = verified = potential = submitted = 0
        for _exact, _rounded, (c, v, p, s) in valued:
            claimed, verified, potential = claimed + c, verified + v, potential + p
            submitted += s
        claimed, verified, potential, submitted = (
            _from_cents(claimed),
            _from_cents(verified),
            _from_cents(potential),
            _from_cents(submitted),
        )
    else:
        claimed = verified = potential = submitted = ZERO
        for (c, v, p, s), _rounded, _cents in valued:
            claimed, verified, potential = claimed + c, verified + v, potential + p
            submitted += s
    room = q2(cap - verified) if verified < cap else ZERO  # what the cap still allows
    q_scores, gaps, i_id = [], [], i.id
    for position, q, maximum, (_exact, rounded, _cents) in zip(
        count(item.first), item.questions, item.question_max, valued
    ):
        short = maximum - rounded[1]  # verified
        available = short if short < room else room
        score = _new(QuestionScore, (q.id, i_id, q.code, maximum, rounded, q.order, available))
        q_scores.append(score)
        if available > ZERO:
            gaps.append((-available, position, score))
    capped = Points(
        q2(min(claimed, cap)),
        q2(min(verified, cap)),
        q2(min(potential, cap)),
        q2(min(submitted, cap)),
    )
    gaps.sort(key=_gap_order)
    indicator = IndicatorScore(i.id, i.code, i.name, item.max_points, capped, tuple(q_scores))
    return indicator, tuple(gaps[:n_gaps])


NO_POINTS = Points()
_UNANSWERED = (_NOTHING, NO_POINTS, (0, 0, 0, 0))
_new = tuple.__new__
_gap_order = itemgetter(0, 1)  # the largest first; ties keep the instrument's order


def _from_cents(cents: int) -> Decimal:
    return Decimal(cents).scaleb(-2)


def _group(item: PreparedGroup, indicators: tuple[IndicatorScore, ...]) -> GroupScore:
    g = item.group
    return GroupScore(
        g.id, g.name, item.max_points, _round(_sum(i.points for i in indicators)), indicators
    )


def _period(instrument: Instrument, groups, largest: dict, target, n_gaps) -> PeriodScore:
    bands = instrument.bands
    total = _round(_sum(g.points for g in groups))
    band = target_band(bands, target)
    gap = max(ZERO, q2(band.lower_bound - total.verified)) if band else None
    candidates = sorted((gap for found in largest.values() for gap in found), key=_gap_order)
    return PeriodScore(
        max_points=instrument.max_points,
        points=total,
        rank_claimed=rank_for(total.claimed, bands),
        rank_verified=rank_for(total.verified, bands),
        rank_potential=rank_for(total.potential, bands),
        target=target or None,
        gap_to_target=gap,
        groups=tuple(groups),
        gaps=tuple(score for _short, _position, score in candidates[:n_gaps]),
        bands=bands,
    )


def score_prepared(
    instrument: Instrument,
    answers: dict[int, tuple[UnitAnswer, ...]],
    *,
    target: str | None = None,
    n_gaps: int = 10,
) -> ScoreState:
    """The score of `answers` (question id -> its answers; a question missing has none)."""
    valued_by, largest, groups = {}, {}, []
    get, no_answers, by_question, memo = answers.get, (), instrument.by_question, _MEMO
    for item in instrument.groups:
        indicators = []
        for entry in item.indicators:
            i_id = entry.indicator.id
            valued = valued_by[i_id] = tuple(
                [_question(memo, q, get(q.id, no_answers)) for q in entry.questions]
            )
            indicator, largest[i_id] = _indicator(entry, valued, n_gaps, by_question)
            indicators.append(indicator)
        groups.append(_group(item, tuple(indicators)))
    score = _period(instrument, groups, largest, target, n_gaps)
    return ScoreState(instrument, target or None, n_gaps, score, valued_by, largest)


def score_update(state: ScoreState, changed: dict[int, tuple[UnitAnswer, ...]]) -> ScoreState:
    """`state` after the answers of some questions changed (question id -> all its answers
    now; none: an empty tuple): only their indicators and groups are derived again, then the
    totals. Equal, to the digit, to `score_prepared` of all the answers."""
    instrument, memo = state.instrument, _MEMO
    touched: dict[tuple[int, int], dict[int, tuple]] = {}  # (group, indicator) -> {index: new}
    for question_id, answers in changed.items():
        found = instrument.located.get(question_id)
        if found is None:
            continue  # not scored (an indicator outside the groups)
        q, gn, n, k = found
        touched.setdefault((gn, n), {})[k] = _question(memo, q, answers)
    if not touched:
        return state
    groups = [list(g.indicators) for g in state.score.groups]
    valued_by, largest = dict(state.valued), dict(state.largest)
    for (gn, n), news in touched.items():
        entry = instrument.groups[gn].indicators[n]
        i_id = entry.indicator.id
        valued = list(valued_by[i_id])
        for k, value in news.items():
            valued[k] = value
        valued_by[i_id] = valued = tuple(valued)
        groups[gn][n], largest[i_id] = _indicator(
            entry, valued, state.n_gaps, instrument.by_question
        )
    new_groups = list(state.score.groups)
    for gn in {gn for gn, _n in touched}:
        new_groups[gn] = _group(instrument.groups[gn], tuple(groups[gn]))
    score = _period(instrument, new_groups, largest, state.target, state.n_gaps)
    return ScoreState(instrument, state.target, state.n_gaps, score, valued_by, largest)


def score_period(
    *,
    groups: list[GroupInput],
    indicators: list[IndicatorInput],
    questions: list[QuestionInput],
    bands: list[Band],
    target: str | None = None,
    n_gaps: int = 10,
    rounding: str = ROUND_QUESTION,
) -> PeriodScore:
    """The whole score at once: the reference `score_update` is held to."""
    instrument = prepare(
        groups=groups, indicators=indicators, questions=questions, bands=bands, rounding=rounding
    )
    answers = {q.id: q.answers for q in questions}
    return score_prepared(instrument, answers, target=target, n_gaps=n_gaps).score
