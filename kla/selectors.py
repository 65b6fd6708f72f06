"""Reads for the dashboards: the score, unit completion, the review queue's state, trends,
gaps.

Each is kept per process until a version it depends on moves (core/page_cache.py): the score
and the queue's state until an answer's points or state change, a unit's completion until one
of its answers or their evidence changes, so a dashboard rebuilt after a save recomputes only
what the save touched. With the page cache off, everything is read afresh.
"""

from dataclasses import dataclass

from django.db.models import Count, Exists, F, Min, OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from core import page_cache
from indicators import selectors as instrument
from indicators.models import Period, ScoreSnapshot
from indicators.scoring import PeriodScore
from opd import selectors as opd_selectors
from opd.models import Answer, Assignment, Evidence, Unit
from opd.scoring import score_period


def period_score(*, period: Period) -> PeriodScore:
    """The engine's result, computed again only when the period's score version moves."""
    return page_cache.remember(
        "score", scopes=[page_cache.score_scope(period.pk)], parts=[period.pk],
        compute=lambda: score_period(period=period),
    )  # fmt: skip


def instrument_summary(*, period: Period) -> dict:
    """The instrument's counts and up to 20 questions nobody answers: four queries, kept until
    anything district-wide changes."""
    return page_cache.remember(
        "instrument", parts=[period.pk],
        compute=lambda: {
            "counts": instrument.instrument_counts(period=period),
            "orphans": list(opd_selectors.questions_without_lead(period=period)[:20]),
        },
    )  # fmt: skip


@dataclass
class UnitCompletion:
    unit: Unit
    assigned: int = 0
    answered: int = 0
    with_evidence: int = 0
    submitted: int = 0
    approved: int = 0
    behind: bool = False

    @property
    def key(self) -> tuple:
        """Everything a row of the unit table shows (kla/_unit_row.html)."""
        return (self.unit.pk, self.unit.name, self.assigned, self.answered, self.with_evidence,
                self.submitted, self.approved, self.behind)  # fmt: skip

    @property
    def percent(self) -> int:
        return round(100 * self.submitted / self.assigned) if self.assigned else 0

    @property
    def chart_row(self) -> dict:
        return {
            "name": self.unit.short_name, "assigned": self.assigned, "approved": self.approved,
            "submitted": self.submitted - self.approved,
            "in_progress": self.answered - self.submitted if self.answered > self.submitted else 0,
            "not_started": self.assigned - max(self.answered, self.submitted),
        }  # fmt: skip


UNIT_SORTS = {
    "name": lambda r: r.unit.name,
    "assigned": lambda r: -r.assigned,
    "submitted": lambda r: -r.submitted,
    "approved": lambda r: -r.approved,
    "progress": lambda r: -r.percent,
    "behind": lambda r: (not r.behind, r.percent),
}


def unit_completion(*, period: Period, sort: str = "progress") -> list[UnitCompletion]:
    """Per answering unit: assigned, answered, with evidence, submitted, approved. Three
    queries, reading plain values rather than model rows so large periods stay fast; each
    unit's counts are kept until that unit's version moves, so a save recounts its unit only."""
    assigned = page_cache.remember("assigned", parts=[period.pk], compute=lambda: _assigned(period))
    counts = page_cache.remember_each(
        "completion", parts=[period.pk],
        scopes={pk: page_cache.unit_scope(pk) for pk in assigned},
        compute=lambda unit_ids: _answer_counts(period, unit_ids),
    )  # fmt: skip
    elapsed = _window_elapsed(period)
    rows = []
    for pk, (unit, n) in assigned.items():
        row = UnitCompletion(unit, n, *counts[pk])
        # Behind schedule: the share submitted trails the share of the window gone by
        # by more than 10 points.
        row.behind = row.percent + 10 < elapsed
        rows.append(row)
    return sorted(rows, key=UNIT_SORTS.get(sort, UNIT_SORTS["progress"]))


def _assigned(period: Period) -> dict[int, tuple[Unit, int]]:
    """Each answering unit with its number of questions. Two queries."""
    counts: dict[int, int] = {}
    for unit_id in (
        Assignment.objects.answering()
        .filter(question__indicator__group__period=period)
        .values_list("unit_id", flat=True)
    ):
        counts[unit_id] = counts.get(unit_id, 0) + 1
    return {u.pk: (u, counts[u.pk]) for u in Unit.objects.filter(pk__in=counts)}


def _answer_counts(period: Period, unit_ids) -> dict[int, tuple[int, int, int, int]]:
    """Answered, with evidence, submitted, approved per unit: one query of plain values, counted
    here (cheaper to build and run than four filtered aggregates when one unit is recounted);
    evidence is tested, not joined, so no answer is counted twice."""
    live_evidence = Exists(Evidence.objects.filter(answer=OuterRef("pk"), removed_at__isnull=True))
    counts = {pk: [0, 0, 0, 0] for pk in unit_ids}
    done = (Answer.Status.SUBMITTED, Answer.Status.APPROVED)
    for unit_id, status, claimed, evidenced in (
        Answer.objects.filter(question__indicator__group__period=period, unit_id__in=unit_ids)
        .order_by()
        .values_list("unit_id", "status", "claimed_points", live_evidence)
    ):
        row = counts[unit_id]
        row[0] += claimed is not None
        row[1] += evidenced
        row[2] += status in done
        row[3] += status == Answer.Status.APPROVED
    return {pk: tuple(row) for pk, row in counts.items()}


def _window_elapsed(period: Period) -> int:
    today = timezone.localdate()
    total = (period.window_closes - period.window_opens).days or 1
    done = (min(today, period.window_closes) - period.window_opens).days
    return max(0, min(100, round(100 * done / total)))


def queue_state(*, period: Period) -> dict:
    """How many answers wait for review, and since when. One query, kept with the score (an
    answer's state and submission time are among what moves its version)."""

    def compute():
        waiting = Answer.objects.filter(
            question__indicator__group__period=period, status=Answer.Status.SUBMITTED
        ).aggregate(n=Count("pk"), oldest=Min("submitted_at"))
        return {"size": waiting["n"], "oldest": waiting["oldest"]}

    return page_cache.remember(
        "queue", scopes=[page_cache.score_scope(period.pk)], parts=[period.pk], compute=compute
    )


def gap_rows(*, score: PeriodScore, period: Period) -> list[dict]:
    """The largest gaps with the lead unit and the answer's status. Two queries, kept with the
    score (an answer appearing or changing state moves its version)."""
    return page_cache.remember(
        "gaps", scopes=[page_cache.score_scope(period.pk)], parts=[period.pk],
        compute=lambda: _gap_rows(score),
    )  # fmt: skip


def _gap_rows(score: PeriodScore) -> list[dict]:
    ids = [g.id for g in score.gaps]
    leads = dict(
        Assignment.objects.filter(question_id__in=ids, role=Assignment.Role.LEAD).values_list(
            "question_id", "unit__short_name"
        )
    )
    statuses = {}
    for question_id, status in Answer.objects.filter(question_id__in=ids).values_list(
        "question_id", "status"
    ):
        statuses.setdefault(question_id, status)
    codes = {i.id: i.code for g in score.groups for i in g.indicators}
    return [
        {"indicator": codes.get(g.indicator_id), "question": g.code, "missing": g.missing,
         "max_points": g.max_points, "verified": g.points.verified, "unit": leads.get(g.id, "—"),
         "status": statuses.get(g.id, "not_started")}
        for g in score.gaps
    ]  # fmt: skip


def trend_points(*, period: Period) -> dict:
    """Verified totals from snapshots: each earlier period's latest one, and this period's in
    order. Two queries, kept until a snapshot is taken; history is never recomputed on a page
    view."""
    return page_cache.remember(
        # The language too: a year the ministry scored is labelled in words ("2023 resmi").
        "trend", scopes=[page_cache.SNAPSHOTS], parts=[period.pk, get_language()],
        compute=lambda: _trend_points(period),
    )  # fmt: skip


def _trend_points(period: Period) -> dict:
    last_verified = (
        ScoreSnapshot.objects.filter(period=OuterRef("pk")).order_by("-taken_at").values("verified")
    )
    earlier = (
        Period.objects.filter(year__lt=period.year)
        .annotate(verified=Subquery(last_verified[:1]), official_score=F("official__final_score"))
        .filter(Q(verified__isnull=False) | Q(official_score__isnull=False))
        .order_by("-year")
        .values_list("year", "verified", "official_score")[:6]
    )
    # A year the ministry has scored shows its official score; others, the internal one.
    across = [
        (_("%(year)s official") % {"year": year}, official) if official is not None
        else (str(year), verified)
        for year, verified, official in reversed(list(earlier))
    ]  # fmt: skip
    within = [
        (timezone.localtime(s.taken_at).strftime("%d/%m"), s.verified)
        for s in ScoreSnapshot.objects.filter(period=period).order_by("-taken_at")[:12]
    ][::-1]
    return {"across": across, "within": within}
