"""The score service: feeds the pure engine from the database and keeps snapshots.

A fixed number of queries whatever the size of the instrument: groups, indicators,
assignments of per-unit questions, questions with their answers, rank bands.
"""

import datetime

from django.db import transaction
from django.utils import timezone

from core import page_cache
from indicators import scoring as engine
from indicators.models import Group, Indicator, Period, Question, RankBand, ScoreSnapshot
from indicators.score_document import score_document
from opd.models import Answer, Assignment

SNAPSHOT_EVERY = datetime.timedelta(minutes=1)


def _instrument(period: Period) -> dict:
    """What scoring reads of the instrument and of who answers, as plain values: groups,
    indicators, questions (pk -> indicator, code, maximum, order), the per-unit questions'
    units, the bands. Five queries, kept until anything district-wide changes (instrument,
    assignments and units all raise "all"), so a score after an answer's change reads only the
    answers: in the March rush the instrument does not move."""
    groups = [
        engine.GroupInput(pk, name, order)
        for pk, name, order in Group.objects.filter(period=period)
        .order_by()
        .values_list("pk", "name", "order")
    ]
    indicators = [
        engine.IndicatorInput(pk, group_id, code, name, max_points, order)
        for pk, group_id, code, name, max_points, order in Indicator.objects.filter(
            group__period=period
        )
        .order_by()
        .values_list("pk", "group_id", "code", "name", "max_points", "order")
    ]
    # A question answered per unit scores the mean over its per-unit units.
    n_units: dict[int, int] = {}
    answering: set[tuple[int, int]] = set()
    for question_id, unit_id in (
        Assignment.objects.filter(
            question__indicator__group__period=period, role=Assignment.Role.PER_UNIT
        )
        .order_by()
        .values_list("question_id", "unit_id")
    ):
        n_units[question_id] = n_units.get(question_id, 0) + 1
        answering.add((question_id, unit_id))
    questions = {
        pk: (indicator_id, code, max_points, order)
        for pk, indicator_id, code, max_points, order in Question.objects.filter(
            indicator__group__period=period
        )
        .order_by()
        .values_list("pk", "indicator_id", "code", "max_points", "order")
    }
    bands = [
        engine.Band(name, lower_bound)
        for name, lower_bound in RankBand.objects.filter(period=period)
        .order_by()
        .values_list("name", "lower_bound")
    ]
    return {"groups": groups, "indicators": indicators, "questions": questions,
            "n_units": n_units, "answering": answering, "bands": bands}  # fmt: skip


def engine_inputs(*, period: Period) -> dict:
    """The engine's inputs as plain values, never model rows (a large period has thousands of
    questions and answers), read without the models' default ordering: the engine orders them
    itself, and sorting by the joined instrument and unit names cost the database more than
    reading. The instrument's five queries are kept (_instrument); the answers are one."""
    instrument = page_cache.remember(
        "score-instrument", parts=[period.pk], compute=lambda: _instrument(period)
    )
    n_units, answering = instrument["n_units"], instrument["answering"]
    approved, submitted = Answer.Status.APPROVED, Answer.Status.SUBMITTED
    answers: dict[int, list[engine.UnitAnswer]] = {pk: [] for pk in instrument["questions"]}
    for pk, unit_id, status, claimed, verified in (
        Answer.objects.filter(question__indicator__group__period=period)
        .order_by()
        .values_list("question_id", "unit_id", "status", "claimed_points", "verified_points")
    ):
        if pk in n_units and (pk, unit_id) not in answering:
            continue  # a unit no longer assigned: it does not count in the mean
        answers[pk].append(
            engine.UnitAnswer(
                claimed, verified if status == approved else None, status == submitted
            )
        )
    questions = [
        engine.QuestionInput(
            pk, indicator_id, code, max_points, tuple(answers[pk]), n_units.get(pk, 1), order
        )
        for pk, (indicator_id, code, max_points, order) in instrument["questions"].items()
    ]
    return {
        "groups": instrument["groups"],
        "indicators": instrument["indicators"],
        "questions": questions,
        "bands": instrument["bands"],
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
