"""Reads of the evaluation after the self-assessment: the stages of a year, the province's
returns, and where points were lost (the arithmetic is indicators/losses.py; this feeds it).

Kept per process until anything district-wide changes (official points, returns and results
raise "all") or the year's score moves: last year's read is what this year's shortfall list
marks, on every dashboard view.
"""

from dataclasses import dataclass

from django.db.models import Q

from core import page_cache
from indicators import losses as arithmetic
from indicators.identity import previous_question_ids
from indicators.models import OfficialPoints, OfficialResult, Period
from opd.models import Assignment, ProvincialReturn


def _agencies(period: Period) -> dict[int, str]:
    """Each question's lead unit (short name). One query."""
    return dict(
        Assignment.objects.filter(
            question__indicator__group__period=period, role=Assignment.Role.LEAD
        )
        .order_by()
        .values_list("question_id", "unit__short_name")
    )


def _return_notes(period: Period) -> dict[int, str]:
    """The province's latest note per returned question. One query."""
    notes: dict[int, str] = {}
    for question_id, note in (
        ProvincialReturn.objects.filter(question__indicator__group__period=period)
        .order_by("returned_at", "pk")
        .values_list("question_id", "note")
    ):
        notes[question_id] = note
    return notes


def _year_losses(period: Period) -> arithmetic.Losses:
    from kla.selectors import period_score  # the dashboards' kept score

    return losses_of(period=period, score=period_score(period=period))


def losses_of(*, period: Period, score, official_rows=None, final=...) -> arithmetic.Losses:
    """The read of `period` from its engine score (and its official rows and final score when
    the caller has read them already). Two to four queries."""
    if official_rows is None:
        official_rows = list(OfficialPoints.objects.filter(period=period).order_by())
    official = {
        (row.level, row.question_id or row.indicator_id or row.group_id): row
        for row in official_rows
    }
    if final is ...:
        final = (
            OfficialResult.objects.filter(period=period)
            .values_list("final_score", flat=True)
            .first()
        )
    agencies, notes = _agencies(period), _return_notes(period)

    def figure(level, pk):
        row = official.get((level, pk))
        return row.points if row is not None else None

    groups, indicators, questions = [], [], []
    for g in score.groups:
        groups.append(
            arithmetic.GroupFigures(
                g.id,
                g.name,
                g.max_points,
                g.points.claimed,
                g.points.verified,
                figure(OfficialPoints.Level.GROUP, g.id),
            )
        )
        for i in g.indicators:
            indicators.append(
                arithmetic.IndicatorFigures(
                    i.id,
                    g.id,
                    i.code,
                    i.name,
                    i.max_points,
                    i.points.claimed,
                    i.points.verified,
                    figure(OfficialPoints.Level.INDICATOR, i.id),
                )
            )
            for q in i.questions:
                row = official.get((OfficialPoints.Level.QUESTION, q.id))
                questions.append(
                    arithmetic.QuestionFigures(
                        q.id,
                        i.id,
                        f"{i.code}/{q.code}",
                        agencies.get(q.id, ""),
                        q.max_points,
                        q.points.claimed,
                        q.points.verified,
                        row.points if row is not None else None,
                        (row.note if row is not None and row.note else notes.get(q.id, "")),
                    )
                )
    return arithmetic.losses(
        groups=groups, indicators=indicators, questions=questions, final_score=final
    )


def year_losses(*, period: Period) -> arithmetic.Losses:
    """Where the year's points were lost, per group, indicator, agency and question."""
    return page_cache.remember(
        "losses",
        scopes=[page_cache.score_scope(period.pk)],
        parts=[period.pk],
        compute=lambda: _year_losses(period),
    )


def years_with_official(*, up_to: Period | None = None) -> list[Period]:
    """The periods the ministry has given points or a final score for, latest first."""
    periods = Period.objects.filter(
        Q(official_points__isnull=False) | Q(official__final_score__isnull=False)
    ).distinct()
    if up_to is not None:
        periods = periods.filter(year__lte=up_to.year)
    return list(periods.order_by("-year"))


@dataclass(frozen=True)
class YearLosses:
    period: Period
    losses: arithmetic.Losses


def losses_by_year(*, up_to: Period | None = None) -> list[YearLosses]:
    """Every year with official figures, latest first, each with its read."""
    return [YearLosses(p, year_losses(period=p)) for p in years_with_official(up_to=up_to)]


def latest_losses(*, period: Period) -> YearLosses | None:
    """The latest year up to `period` with official figures and its read, for the dashboards'
    compact section: no query while nothing district-wide changes, when no year has any."""
    # Official figures change with "all": kept, so a page rebuilt after a save asks nothing.
    latest = page_cache.remember(
        "latest-official-year",
        parts=[period.pk],
        compute=lambda: (
            Period.objects.filter(
                Q(official_points__isnull=False) | Q(official__final_score__isnull=False),
                year__lte=period.year,
            )
            .order_by("-year")
            .first()
        ),
    )
    return YearLosses(latest, year_losses(period=latest)) if latest is not None else None


def lost_last_time(*, period: Period) -> dict[int, arithmetic.LastTime]:
    """This year's questions whose question of last year lost official points, and why."""
    return page_cache.remember(
        "lost-last-time", parts=[period.pk], compute=lambda: _lost_last_time(period)
    )


def _lost_last_time(period: Period) -> dict[int, arithmetic.LastTime]:
    last = Period.objects.filter(year=period.year - 1, official_points__isnull=False).first()
    if last is None:  # one query when last year has no official points
        return {}
    rows = {int(row.key[1:]): row for row in year_losses(period=last).questions}
    return arithmetic.lost_last_time(previous=previous_question_ids(period), last_year=rows)


def returns_of(*, period: Period) -> list[ProvincialReturn]:
    """The period's returns, those not closed first (the nearest deadline first). One query."""
    found = (
        ProvincialReturn.objects.filter(question__indicator__group__period=period)
        .select_related("question__indicator", "returned_by", "replied_by", "closed_by")
        .order_by("deadline", "pk")
    )
    return sorted(found, key=lambda r: r.status == ProvincialReturn.Status.CLOSED)
