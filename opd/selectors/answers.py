"""Reads for a unit's workspace and the answer page: rows with their answers and evidence
counts, an answer's history and what changed since a revision request, the next question, a
person's notices."""

import datetime
import difflib
from dataclasses import dataclass, field
from operator import attrgetter

from django.db import connection
from django.db.models import (
    IntegerField,
    Prefetch,
    Q,
)
from django.db.models.expressions import RawSQL

from core import page_cache
from indicators.models import Period, Question
from opd.models import (
    Answer,
    Assignment,
    AuditEvent,
    Comment,
    Evidence,
    EvidenceRevision,
    Notice,
    Unit,
)
from opd.selectors.units import assignments_for_units


@dataclass
class WorkspaceRow:
    """One assignment of the user's units, with the answer it concerns (if written yet)."""

    assignment: Assignment
    answering_unit_id: int | None
    answer: Answer | None
    evidence_count: int

    @property
    def question(self) -> Question:
        return self.assignment.question

    @property
    def status(self) -> str:
        return self.answer.status if self.answer else NOT_STARTED

    @property
    def is_done(self) -> bool:
        return self.status in Answer.HANDED_IN

    @property
    def per_unit(self) -> bool:
        return self.assignment.role == Assignment.Role.PER_UNIT

    @property
    def coordinates(self) -> bool:
        return self.assignment.role == Assignment.Role.COORDINATOR

    @property
    def key(self) -> tuple:
        """What the row shows of its answer (opd/_workspace_row.html); the question and the
        assignment change only with "all", which every rendered row's key holds too."""
        a = self.answer
        answer = a and (a.status, a.claimed_points, a.verified_points, a.review_note)
        return (self.assignment.pk, self.answering_unit_id, self.evidence_count, answer)


def live_evidence_count() -> RawSQL:
    """How many live (not removed) evidence items each answer has, as a subquery of a query of
    answers (the answers' table unaliased). Written out (core.sql says when): Django compiled
    the subquery anew for every rebuilt workspace and review queue. A subquery, not a count over
    a join: grouping by every selected column of the answer (and of the tables joined to it)
    was twice the work, and cost PostgreSQL 8 ms of planning on the queue."""
    name = connection.ops.quote_name
    return RawSQL(  # noqa: S611 - our table names
        f"(SELECT COUNT(*) FROM {name(Evidence._meta.db_table)} v "  # noqa: S608
        f"WHERE v.answer_id = {name(Answer._meta.db_table)}.id AND v.removed_at IS NULL)",
        [],
        output_field=IntegerField(),
    )


NOT_STARTED = "not_started"


WORKSPACE_STATUSES = [NOT_STARTED, *Answer.Status.values]


def workspace_rows(*, period: Period, unit_ids) -> list[WorkspaceRow]:
    """The rows of an OPD workspace, in instrument order, in three queries whatever the size.

    1. the units' assignments with question, indicator, group and unit;
    2. the lead unit of each of those questions (a supporter works on the lead's answer);
    3. the answers concerned, each with its count of evidence not removed.

    The first two change only with the instrument or the assignments: they are kept
    (core/page_cache.py) until "all" moves, so a workspace rebuilt after a save reads its
    answers only. The rows share those assignments: nothing may change them.
    """
    unit_ids = sorted(unit_ids)
    assignments, leads = page_cache.remember(
        "workspace", parts=[period.pk, *unit_ids], compute=lambda: _assigned(period, unit_ids)
    )
    question_ids = {a.question_id for a in assignments}
    # The answers the rows show: the lead's, which supporters work on too, and the units' own,
    # with no ordering.
    answers = {
        (a.question_id, a.unit_id): a
        for a in Answer.objects.filter(
            Q(unit_id__in=set(leads.values())) | Q(unit_id__in=unit_ids),
            question_id__in=question_ids,
        )
        .annotate(n_evidence=live_evidence_count())
        .order_by()
    }
    rows = []
    for assignment in assignments:
        question = assignment.question
        if assignment.role == Assignment.Role.PER_UNIT:
            answering = assignment.unit_id
        elif assignment.role == Assignment.Role.COORDINATOR:
            answering = None  # a coordinating agency's row has no answer of its own
        else:
            answering = leads.get(question.pk)
            if answering is None:
                continue  # a question without a lead has no answer yet; the secretariat is warned
        answer = answers.get((question.pk, answering))
        rows.append(
            WorkspaceRow(
                assignment=assignment,
                answering_unit_id=answering,
                answer=answer,
                evidence_count=answer.n_evidence if answer else 0,
            )
        )
    return rows


def _assigned(period: Period, unit_ids) -> tuple[list[Assignment], dict[int, int]]:
    assignments = list(assignments_for_units(period=period, unit_ids=unit_ids))
    leads = dict(
        Assignment.objects.filter(
            question_id__in={a.question_id for a in assignments}, role=Assignment.Role.LEAD
        ).values_list("question_id", "unit_id")
    )
    return assignments, leads


_IN_ORDER = attrgetter("created_at", "pk")  # evidence and comments, as their models order them


def answer_page_data(*, answer: Answer | None) -> dict:
    """Evidence with its revisions and the comment thread of an answer: three queries, kept
    until the unit's answers, their evidence or comments change (answers:<unit>), or anything
    district-wide (people's names, documents). The answer page is the commonest page, opened
    again and again between saves, and these reads were a fifth of it. Kept values are shared
    between requests: read them, never change them."""
    if answer is None:
        return {"evidence": [], "removed_evidence": [], "comments": []}
    return page_cache.remember(
        "answer-page-data",
        scopes=[page_cache.answers_scope(answer.unit_id)],
        parts=[answer.pk],
        compute=lambda: _answer_page_data(answer),
    )


def _answer_page_data(answer: Answer) -> dict:
    # A few rows each, sorted here rather than by the database: of a query with both joined
    # rows and an order, Django hashes every selected column (SQLCompiler._order_by_pairs),
    # a third of reading an answer's evidence.
    evidence = sorted(
        Evidence.objects.filter(answer=answer)
        .order_by()
        # The document too: the verification risk reads its kind and validity from here.
        .select_related("unit", "created_by", "document")
        .prefetch_related(
            Prefetch(
                "revisions",
                queryset=EvidenceRevision.objects.select_related("uploaded_by").order_by(
                    "-uploaded_at", "-pk"
                ),
            )
        ),
        key=_IN_ORDER,
    )
    comments = sorted(
        Comment.objects.filter(answer=answer).order_by().select_related("author"), key=_IN_ORDER
    )
    return {
        "evidence": [e for e in evidence if e.removed_at is None],
        "removed_evidence": [e for e in evidence if e.removed_at is not None],
        "comments": comments,
    }


def answer_history(*, answer: Answer | None, limit: int = 100) -> list[AuditEvent]:
    """The answer's audit events, newest first, with who did them: one query. Downloads are
    left out (a reviewer opening each file is not the answer's history)."""
    if answer is None:
        return []
    return list(
        AuditEvent.objects.filter(answer=answer)
        .exclude(action=AuditEvent.Action.EVIDENCE_DOWNLOAD)
        .select_related("actor")
        .order_by("-created_at", "-pk")[:limit]
    )


@dataclass
class Resubmission:
    """What changed in an answer between the reviewer's revision request and its
    resubmission (opd/_resubmission.html shows it)."""

    requested_at: datetime.datetime
    requested_by: object
    note: str
    # False for a request made before what the reviewer saw was kept with it: then only the
    # evidence can be compared (by its dates).
    known: bool = True
    points: tuple | None = None  # (before, now), when they differ
    option: tuple | None = None
    narrative: list[tuple[str, str]] | None = None  # word diff: ("same"|"del"|"ins"|"gap", text)
    data_values: list[tuple[str, str, str]] = field(default_factory=list)  # label, before, now
    added: list = field(default_factory=list)
    removed: list = field(default_factory=list)
    replaced: list = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(
            self.points
            or self.option
            or self.narrative
            or self.data_values
            or self.added
            or self.removed
            or self.replaced
        )


def resubmission_changes(
    *, answer: Answer | None, evidence: list[Evidence], removed_evidence: list[Evidence]
) -> Resubmission | None:
    """For an answer waiting for review again after a revision request: what changed since
    the request, against what the reviewer saw then (kept with the request in the audit
    trail by opd.services.answer_request_revision). One query; the evidence comes from
    answer_page_data, its revisions prefetched. None when the answer is not a resubmission."""
    if answer is None or not answer.awaits_review or answer.submitted_at is None:
        return None
    request = (
        AuditEvent.objects.filter(
            answer=answer,
            action=AuditEvent.Action.ANSWER_REQUEST_REVISION,
            created_at__lt=answer.submitted_at,
        )
        .select_related("actor")
        .order_by("-created_at", "-pk")
        .first()
    )
    if request is None:
        return None
    when = request.created_at
    seen = (request.data or {}).get("seen")
    found = Resubmission(
        requested_at=when, requested_by=request.actor, note=request.summary, known=seen is not None
    )
    if seen is None:  # an older request: the evidence by its dates, nothing else is known
        found.added = [e for e in evidence if e.created_at > when]
        found.removed = [e for e in removed_evidence if e.created_at <= when < e.removed_at]
    else:
        before = set(seen.get("evidence", []))
        found.added = [e for e in evidence if e.pk not in before]
        found.removed = [e for e in removed_evidence if e.pk in before]
        now = _s(answer.claimed_points)
        if seen.get("points") != now:
            found.points = (seen.get("points"), now)
        option = answer.option.label if answer.option_id else None
        if seen.get("option") != option:
            found.option = (seen.get("option"), option)
        if (seen.get("narrative") or "") != answer.narrative:
            found.narrative = word_diff(seen.get("narrative") or "", answer.narrative)
        old_values, new_values = seen.get("data_values") or {}, answer.data_values or {}
        found.data_values = [
            (label, old_values.get(label, ""), new_values.get(label, ""))
            for label in dict.fromkeys([*old_values, *new_values])
            if old_values.get(label) != new_values.get(label)
        ]
    # A file replaced by a new version after the request (the item itself stayed).
    found.replaced = [
        e
        for e in evidence
        if e not in found.added and any(r.uploaded_at > when for r in e.revisions.all())
    ]
    return found


def _s(value) -> str | None:
    return None if value is None else str(value)


def word_diff(before: str, after: str, *, context: int = 6) -> list[tuple[str, str]]:
    """A short word diff: ("del", words) and ("ins", words) with up to `context` unchanged
    words around each change ("gap" stands for the unchanged words left out)."""
    old, new = before.split(), after.split()
    parts: list[tuple[str, str]] = []
    opcodes = difflib.SequenceMatcher(a=old, b=new, autojunk=False).get_opcodes()
    for n, (op, i1, i2, j1, j2) in enumerate(opcodes):
        if op == "equal":
            words = old[i1:i2]
            head = words[:context] if n > 0 else []
            tail = words[-context:] if n < len(opcodes) - 1 else []
            if len(head) + len(tail) >= len(words):
                parts.append(("same", " ".join(words)))
            else:
                if head:
                    parts.append(("same", " ".join(head)))
                parts.append(("gap", "…"))
                if tail:
                    parts.append(("same", " ".join(tail)))
            continue
        if i2 > i1:
            parts.append(("del", " ".join(old[i1:i2])))
        if j2 > j1:
            parts.append(("ins", " ".join(new[j1:j2])))
    return parts


def notices_for(*, user, limit: int = 100) -> list[Notice]:
    """The person's latest notices, newest first, with the question and unit. One query."""
    return list(
        Notice.objects.filter(user=user).select_related(
            "answer__question__indicator", "answer__unit"
        )[:limit]
    )


def next_question(*, question: Question, unit: Unit) -> Question | None:
    """The unit's next question in instrument order that it has not handed in yet, going
    round to the start; None when all are in. At most one query: the unit's questions in order
    are kept until the instrument or the assignments change ("all"), the commonest page need
    not build a large agency's hundred questions again at every view."""
    period_id = question.indicator.group.period_id
    order = page_cache.remember(
        "answering-order",
        parts=[period_id, unit.pk],
        compute=lambda: _answering_order(period_id, unit),
    )
    # Kept until the unit's answers change: one read of the numbers, and no query while the
    # unit goes from answer to answer without saving.
    done = page_cache.remember(
        "handed-in",
        scopes=[page_cache.unit_scope(unit.pk)],
        parts=[period_id],
        compute=lambda: frozenset(
            Answer.objects.filter(
                unit=unit,
                question__in=[q.pk for q in order],
                status__in=Answer.HANDED_IN,
            )
            .order_by()
            .values_list("question_id", flat=True)
        ),
    )
    at = next((i for i, q in enumerate(order) if q.pk == question.pk), -1)
    return next(
        (q for q in order[at + 1 :] + order[: at + 1] if q.pk not in done and q.pk != question.pk),
        None,
    )


def _answering_order(period_id: int, unit: Unit) -> list[Question]:
    return [
        a.question
        for a in Assignment.objects.answering()
        .filter(unit=unit, question__indicator__group__period=period_id)
        .select_related("question__indicator")
        .order_by(
            "question__indicator__group__order",
            "question__indicator__order",
            "question__order",
            "question__pk",
        )
    ]
