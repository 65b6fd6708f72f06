"""Reads for the secretariat's review: the queue with its filters, the next answer waiting,
the audit trail."""

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import BooleanField, Count, Min, QuerySet
from django.db.models.expressions import RawSQL

from core import page_cache
from indicators.models import AnswerOption, Group, Indicator, Period, Question
from opd.models import (
    Answer,
    AuditEvent,
    Unit,
)
from opd.selectors.answers import live_evidence_count


def review_filter_choices(*, period: Period) -> dict[str, list[tuple[int, str]]]:
    """(id, label) pairs for the queue's filters: groups, indicators and units of the period.
    Three queries, kept until "all" moves (core/page_cache.py)."""
    return page_cache.remember(
        "queue-filters", parts=[period.pk], compute=lambda: _review_filter_choices(period)
    )


def _review_filter_choices(period: Period) -> dict[str, list[tuple[int, str]]]:
    return {
        "groups": list(
            Group.objects.filter(period=period).order_by("order").values_list("pk", "name")
        ),
        "indicators": [
            (pk, f"{code}. {name[:60]}")
            for pk, code, name in Indicator.objects.filter(group__period=period)
            .order_by("group__order", "order")
            .values_list("pk", "code", "name")
        ],
        "units": list(
            Unit.objects.filter(assignments__question__indicator__group__period=period)
            .distinct()
            .order_by("short_name")
            .values_list("pk", "short_name")
        ),
    }


def _queue_figures() -> dict:
    """Whether each answer waits for review again after a revision request (one made before
    its latest submission), and how many live evidence items it has: two subqueries of the
    queue's one query, whatever the number of resubmissions. Written out (core.sql says when):
    Django compiling them took 0.65 ms of every rebuilt queue, more than a sixth of the page's
    query."""
    name = connection.ops.quote_name
    answer, audit = name(Answer._meta.db_table), name(AuditEvent._meta.db_table)
    return {
        "resubmitted": RawSQL(  # noqa: S611 - our table names; values as parameters
            f"({answer}.status = %s AND EXISTS (SELECT 1 FROM {audit} e "  # noqa: S608
            f"WHERE e.answer_id = {answer}.id AND e.action = %s "
            f"AND e.created_at < {answer}.submitted_at))",
            [Answer.Status.SUBMITTED, AuditEvent.Action.ANSWER_REQUEST_REVISION],
            output_field=BooleanField(),
        ),
        "n_evidence": live_evidence_count(),
    }


def review_queue(
    *,
    period: Period,
    status: str = Answer.Status.SUBMITTED,
    group_id: int | None = None,
    indicator_id: int | None = None,
    unit_id: int | None = None,
    coordinator_checked: bool | None = None,
) -> QuerySet[Answer]:
    """Answers for the secretariat, oldest submission first, with what each row shows;
    `coordinator_checked` keeps those its cluster's coordinator checked (True) or did not."""
    answers = Answer.objects.filter(question__indicator__group__period=period)
    if status:
        answers = answers.filter(status=status)
    if group_id:
        answers = answers.filter(question__indicator__group_id=group_id)
    if indicator_id:
        answers = answers.filter(question__indicator_id=indicator_id)
    if unit_id:
        answers = answers.filter(unit_id=unit_id)
    if coordinator_checked is not None:
        answers = answers.filter(coordinator_checked_at__isnull=not coordinator_checked)
    # Answers alone: each listed one's question (with its indicator), unit and option come
    # from with_listed(), kept with the instrument. Joining them cost PostgreSQL 0.9 ms of
    # planning on every rebuilt queue (and the people's tables, 5 ms more).
    return answers.annotate(**_queue_figures()).order_by("submitted_at", "pk")


def queue_state(*, period: Period) -> dict:
    """How many answers wait for review, and since when. One query, kept until an answer's
    state or submission time changes (the queue's version; a change of points leaves it)."""

    def compute():
        waiting = Answer.objects.filter(
            question__indicator__group__period=period, status=Answer.Status.SUBMITTED
        ).aggregate(n=Count("pk"), oldest=Min("submitted_at"))
        return {"size": waiting["n"], "oldest": waiting["oldest"]}

    return page_cache.remember(
        "queue", scopes=[page_cache.queue_scope(period.pk)], parts=[period.pk], compute=compute
    )


def with_listed(answers: list[Answer], *, period: Period) -> list[Answer]:
    """The answers with what the queue shows of them: question (with its indicator), unit and
    option from the period's instrument kept until "all" moves, shared (read them, never
    change them); submitters and claim holders in one query by primary key."""
    questions, units, options = page_cache.remember(
        "queue-instrument", parts=[period.pk], compute=lambda: _queue_instrument(period)
    )
    people = get_user_model().objects.in_bulk(
        ({a.submitted_by_id for a in answers} | {a.review_claimed_by_id for a in answers}) - {None}
    )
    # Into the relations' caches, as select_related does: assigning through the fields
    # checks each object and cost 0.7 ms for a page of fifty.
    for answer in answers:
        for field, found in (
            (_QUESTION, questions[answer.question_id]),
            (_UNIT, units[answer.unit_id]),
            (_OPTION, options.get(answer.option_id)),
            (_SUBMITTER, people.get(answer.submitted_by_id)),
            (_CLAIM_HOLDER, people.get(answer.review_claimed_by_id)),
        ):
            field.set_cached_value(answer, found)
    return answers


_QUESTION, _UNIT, _OPTION, _SUBMITTER, _CLAIM_HOLDER = (
    Answer._meta.get_field(name)
    for name in ("question", "unit", "option", "submitted_by", "review_claimed_by")
)


def _queue_instrument(period: Period) -> tuple[dict, dict, dict]:
    """The period's questions with their indicators, the units and the period's options, each
    by id: three queries."""
    questions = Question.objects.filter(indicator__group__period=period).select_related("indicator")
    options = AnswerOption.objects.filter(question__indicator__group__period=period)
    return (
        {q.pk: q for q in questions},
        Unit.objects.in_bulk(),
        {o.pk: o for o in options},
    )


def next_waiting_answer(*, period_id: int, after: Answer, reviewer) -> Answer | None:
    """The oldest answer waiting for review that no other reviewer is on, other than `after`."""
    return (
        Answer.objects.filter(
            Answer.claim_free_for(reviewer),
            question__indicator__group__period_id=period_id,
            status=Answer.Status.SUBMITTED,
        )
        .exclude(pk=after.pk)
        .select_related("question__indicator", "unit")  # named in the reviewer's message
        .order_by("submitted_at", "pk")
        .first()
    )


def audit_events(
    *,
    period_id: int | None = None,
    unit_id: int | None = None,
    action: str | None = None,
    actor: str | None = None,
    date_from=None,
    date_to=None,
) -> QuerySet:
    """The audit trail, newest first, filtered, with who/unit/answer fetched for display."""
    from opd.models import AuditEvent

    events = AuditEvent.objects.select_related("actor", "unit", "answer__question__indicator")
    if period_id:
        events = events.filter(period_id=period_id)
    if unit_id:
        events = events.filter(unit_id=unit_id)
    if action:
        events = events.filter(action=action)
    if actor:
        events = events.filter(actor__username__icontains=actor)
    if date_from:
        events = events.filter(created_at__date__gte=date_from)
    if date_to:
        events = events.filter(created_at__date__lte=date_to)
    return events.order_by("-created_at", "-pk")
