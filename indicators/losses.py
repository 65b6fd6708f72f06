"""Where points were lost: the claimed, verified (both internal) and official points of a year,
side by side per group, indicator, agency and question. Pure, like the engine beside it: plain
records in, plain records out, no database.

Official points come per question where the ministry publishes them, else per indicator or
group. A level without its own figure takes the sum of the level below when every part of it
has one (an indicator capped at its maximum, as the engine caps it), else it has none: a
partial sum would read as a loss that is only a figure not yet known.
"""

from dataclasses import dataclass
from decimal import Decimal
from typing import NamedTuple

ZERO = Decimal("0.00")


class QuestionFigures(NamedTuple):
    id: int
    indicator_id: int
    code: str  # "21 A/2a"
    agency: str  # the lead unit's short name ("" when nobody leads it)
    max_points: Decimal
    claimed: Decimal
    verified: Decimal
    official: Decimal | None = None
    note: str = ""  # the ministry's note on its points, or the province's note on a return


class IndicatorFigures(NamedTuple):
    id: int
    group_id: int
    code: str
    name: str
    max_points: Decimal
    claimed: Decimal
    verified: Decimal
    official: Decimal | None = None  # only where published at this level


class GroupFigures(NamedTuple):
    id: int
    name: str
    max_points: Decimal
    claimed: Decimal
    verified: Decimal
    official: Decimal | None = None  # only where published at this level


@dataclass(frozen=True)
class Loss:
    """One row of the read: what was claimed, verified and given, and what was lost where."""

    key: str
    label: str
    max_points: Decimal
    claimed: Decimal
    verified: Decimal
    official: Decimal | None
    note: str = ""
    agency: str = ""

    @property
    def lost(self) -> Decimal | None:
        """Claimed but not given by the ministry (negative: it gave more)."""
        return None if self.official is None else self.claimed - self.official

    @property
    def lost_internally(self) -> Decimal:
        """Claimed but not verified by the secretariat."""
        return self.claimed - self.verified

    @property
    def lost_officially(self) -> Decimal | None:
        """Verified by the secretariat but not given by the ministry."""
        return None if self.official is None else self.verified - self.official


@dataclass(frozen=True)
class Losses:
    total: Loss
    groups: tuple[Loss, ...]
    indicators: tuple[Loss, ...]
    agencies: tuple[Loss, ...]
    questions: tuple[Loss, ...]  # only those with official points, the largest loss first

    @property
    def has_official(self) -> bool:
        return self.total.official is not None or any(
            row.official is not None for row in (*self.groups, *self.indicators, *self.questions)
        )


def _sum(values) -> Decimal:
    return sum(values, ZERO)


def _all_or_none(values: list[Decimal | None]) -> Decimal | None:
    if not values or any(v is None for v in values):
        return None
    return _sum(values)


def _by_loss(row: Loss):
    return (-(row.lost if row.lost is not None else Decimal("-1e9")), row.key)


def losses(
    *,
    groups: list[GroupFigures],
    indicators: list[IndicatorFigures],
    questions: list[QuestionFigures],
    final_score: Decimal | None = None,
) -> Losses:
    """The read of one year. `final_score`, when the ministry announced one, is the total's
    official figure; else the sum of the groups' when all have one."""
    by_indicator: dict[int, list[QuestionFigures]] = {}
    for q in questions:
        by_indicator.setdefault(q.indicator_id, []).append(q)
    indicator_rows, by_group = [], {}
    for i in indicators:
        official = i.official
        if official is None:
            summed = _all_or_none([q.official for q in by_indicator.get(i.id, [])])
            official = None if summed is None else min(summed, i.max_points)
        row = Loss(f"i{i.id}", f"{i.code}. {i.name}", i.max_points, i.claimed, i.verified, official)
        indicator_rows.append(row)
        by_group.setdefault(i.group_id, []).append(row)
    group_rows = []
    for g in groups:
        official = g.official
        if official is None:
            official = _all_or_none([row.official for row in by_group.get(g.id, [])])
        group_rows.append(Loss(f"g{g.id}", g.name, g.max_points, g.claimed, g.verified, official))
    agencies: dict[str, list[QuestionFigures]] = {}
    for q in questions:
        if q.official is not None:
            agencies.setdefault(q.agency, []).append(q)
    agency_rows = [
        Loss(
            f"a{name}",
            name,
            _sum(q.max_points for q in qs),
            _sum(q.claimed for q in qs),
            _sum(q.verified for q in qs),
            _sum(q.official for q in qs),
            agency=name,
        )
        for name, qs in agencies.items()
    ]
    question_rows = [
        Loss(
            f"q{q.id}",
            q.code,
            q.max_points,
            q.claimed,
            q.verified,
            q.official,
            note=q.note,
            agency=q.agency,
        )
        for q in questions
        if q.official is not None
    ]
    total_official = (
        final_score
        if final_score is not None
        else _all_or_none([row.official for row in group_rows])
    )
    total = Loss(
        "total",
        "",
        _sum(g.max_points for g in groups),
        _sum(g.claimed for g in groups),
        _sum(g.verified for g in groups),
        total_official,
    )
    return Losses(
        total=total,
        groups=tuple(group_rows),
        indicators=tuple(indicator_rows),
        agencies=tuple(sorted(agency_rows, key=_by_loss)),
        questions=tuple(sorted(question_rows, key=_by_loss)),
    )


class LastTime(NamedTuple):
    """Why a question of this year lost points last year: the points claimed and given, and
    the ministry's or the province's note."""

    claimed: Decimal
    official: Decimal
    note: str

    @property
    def lost(self) -> Decimal:
        return self.claimed - self.official


def lost_last_time(*, previous: dict[int, int], last_year: dict[int, Loss]) -> dict[int, LastTime]:
    """This year's question id -> what its question lost last year, for the questions whose
    last year's counterpart (`previous`: this year's id -> last year's) lost official points
    (`last_year`: last year's question id -> its row)."""
    found = {}
    for this_id, last_id in previous.items():
        row = last_year.get(last_id)
        if row is not None and row.lost is not None and row.lost > 0:
            found[this_id] = LastTime(row.claimed, row.official, row.note)
    return found
