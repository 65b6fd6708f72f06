"""Reads for the dashboards: unit completion, the review queue's state, trends, gaps."""

from dataclasses import dataclass

from django.db.models import Count, Min, OuterRef, Q, Subquery
from django.utils import timezone

from indicators.models import Period, ScoreSnapshot
from indicators.scoring import PeriodScore
from opd.models import Answer, Assignment, Unit


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
    queries, reading plain values rather than model rows so large periods stay fast."""
    counts: dict[int, int] = {}
    for unit_id in (
        Assignment.objects.answering()
        .filter(question__indicator__group__period=period)
        .values_list("unit_id", flat=True)
    ):
        counts[unit_id] = counts.get(unit_id, 0) + 1
    rows = {
        u.pk: UnitCompletion(unit=u, assigned=counts[u.pk])
        for u in Unit.objects.filter(pk__in=counts)
    }
    answers = (
        Answer.objects.filter(question__indicator__group__period=period, unit_id__in=rows)
        .values("unit_id")
        .annotate(
            answered=Count("pk", filter=Q(claimed_points__isnull=False), distinct=True),
            with_evidence=Count(
                "pk", filter=Q(evidence__isnull=False, evidence__removed_at__isnull=True),
                distinct=True,
            ),
            submitted=Count("pk", filter=Q(status__in=["submitted", "approved"]), distinct=True),
            approved=Count("pk", filter=Q(status="approved"), distinct=True),
        )
    )  # fmt: skip
    for row in answers:
        target = rows[row["unit_id"]]
        for key in ("answered", "with_evidence", "submitted", "approved"):
            setattr(target, key, row[key])
    elapsed = _window_elapsed(period)
    for r in rows.values():
        # Behind schedule: the share submitted trails the share of the window gone by
        # by more than 10 points.
        r.behind = r.percent + 10 < elapsed
    return sorted(rows.values(), key=UNIT_SORTS.get(sort, UNIT_SORTS["progress"]))


def _window_elapsed(period: Period) -> int:
    today = timezone.localdate()
    total = (period.window_closes - period.window_opens).days or 1
    done = (min(today, period.window_closes) - period.window_opens).days
    return max(0, min(100, round(100 * done / total)))


def queue_state(*, period: Period) -> dict:
    waiting = Answer.objects.filter(
        question__indicator__group__period=period, status=Answer.Status.SUBMITTED
    ).aggregate(n=Count("pk"), oldest=Min("submitted_at"))
    return {"size": waiting["n"], "oldest": waiting["oldest"]}


def gap_rows(*, score: PeriodScore, period: Period) -> list[dict]:
    """The largest gaps with the lead unit and the answer's status. Two queries."""
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
    order. Two queries; history is never recomputed on a page view."""
    last_verified = (
        ScoreSnapshot.objects.filter(period=OuterRef("pk")).order_by("-taken_at").values("verified")
    )
    earlier = (
        Period.objects.filter(year__lt=period.year)
        .annotate(verified=Subquery(last_verified[:1]))
        .filter(verified__isnull=False)
        .order_by("-year")
        .values_list("year", "verified")[:6]
    )
    across = [(str(year), verified) for year, verified in reversed(list(earlier))]
    within = [
        (timezone.localtime(s.taken_at).strftime("%d/%m"), s.verified)
        for s in ScoreSnapshot.objects.filter(period=period).order_by("-taken_at")[:12]
    ][::-1]
    return {"across": across, "within": within}
