"""The score service: feeds the pure engine from the database and keeps snapshots.

A fixed number of queries whatever the size of the instrument: groups, indicators,
questions, assignments of per-unit questions, answers, rank bands.
"""

import datetime

from django.db import transaction
from django.utils import timezone

from indicators import scoring as engine
from indicators.models import Group, Indicator, Period, Question, RankBand, ScoreSnapshot
from indicators.score_document import score_document
from opd.models import Answer, Assignment

SNAPSHOT_EVERY = datetime.timedelta(minutes=1)


def engine_inputs(*, period: Period) -> dict:
    groups = [
        engine.GroupInput(id=g.pk, name=g.name, order=g.order)
        for g in Group.objects.filter(period=period).only("pk", "name", "order")
    ]
    indicators = [
        engine.IndicatorInput(
            id=i.pk, group_id=i.group_id, code=i.code, name=i.name, max_points=i.max_points,
            order=i.order,
        )
        for i in Indicator.objects.filter(group__period=period)
    ]  # fmt: skip
    # Plain values, not model rows: a large period has thousands of questions.
    questions = list(
        Question.objects.filter(indicator__group__period=period).values_list(
            "pk", "indicator_id", "code", "max_points", "order", named=True
        )
    )
    # A question answered per unit scores the mean over its per-unit units.
    n_units: dict[int, int] = {}
    answering: set[tuple[int, int]] = set()
    for question_id, unit_id in Assignment.objects.filter(
        question__indicator__group__period=period, role=Assignment.Role.PER_UNIT
    ).values_list("question_id", "unit_id"):
        n_units[question_id] = n_units.get(question_id, 0) + 1
        answering.add((question_id, unit_id))
    answers: dict[int, list[engine.UnitAnswer]] = {}
    for question_id, unit_id, status, claimed, verified in Answer.objects.filter(
        question__indicator__group__period=period
    ).values_list("question_id", "unit_id", "status", "claimed_points", "verified_points"):
        if question_id in n_units and (question_id, unit_id) not in answering:
            continue  # a unit no longer assigned does not count in the mean
        answers.setdefault(question_id, []).append(
            engine.UnitAnswer(
                claimed=claimed,
                verified=verified if status == Answer.Status.APPROVED else None,
                awaiting_review=status == Answer.Status.SUBMITTED,
            )
        )
    return {
        "groups": groups,
        "indicators": indicators,
        "questions": [
            engine.QuestionInput(
                id=q.pk,
                indicator_id=q.indicator_id,
                code=q.code,
                max_points=q.max_points,
                answers=tuple(answers.get(q.pk, ())),
                n_units=n_units.get(q.pk, 1),
                order=q.order,
            )
            for q in questions
        ],  # fmt: skip
        "bands": [
            engine.Band(name=b.name, lower_bound=b.lower_bound)
            for b in RankBand.objects.filter(period=period)
        ],
        "target": period.target_rank or None,
    }


def score_period(*, period: Period) -> engine.PeriodScore:
    """The period's claimed, verified and potential points, ranks and largest gaps."""
    return engine.score_period(**engine_inputs(period=period))


@transaction.atomic
def snapshot_take(
    *, period: Period, reason: str, force: bool = False, now: datetime.datetime | None = None
) -> ScoreSnapshot | None:
    """Store the score now. Verified-point changes are kept at most once a minute per period;
    milestones (window closed, period locked) always are."""
    now = now or timezone.now()
    Period.objects.select_for_update().filter(pk=period.pk).first()  # serialise snapshots
    if reason == ScoreSnapshot.Reason.VERIFIED_CHANGE and not force:
        last = ScoreSnapshot.objects.filter(period=period).order_by("-taken_at").first()
        if last is not None and now - last.taken_at < SNAPSHOT_EVERY:
            return None
    score = score_period(period=period)
    return ScoreSnapshot.objects.create(
        period=period, taken_at=now, reason=reason, claimed=score.claimed,
        verified=score.verified, potential=score.potential,
        rank_claimed=score.rank_claimed or "", rank_verified=score.rank_verified or "",
        detail=score_document(period=period, score=score),
    )  # fmt: skip


def snapshot_after_verified_change(*, period: Period) -> ScoreSnapshot | None:
    """Called by the review workflow after a commit that changed verified points."""
    return snapshot_take(period=period, reason=ScoreSnapshot.Reason.VERIFIED_CHANGE)


def snapshot_milestones(*, today: datetime.date | None = None) -> list[ScoreSnapshot]:
    """For cron: one snapshot per period whose window has closed and has none for it yet."""
    today = today or timezone.localdate()
    taken = []
    for period in Period.objects.filter(window_closes__lt=today):
        if not ScoreSnapshot.objects.filter(
            period=period, reason=ScoreSnapshot.Reason.WINDOW_CLOSED
        ).exists():
            taken.append(snapshot_take(period=period, reason=ScoreSnapshot.Reason.WINDOW_CLOSED))
    return taken
