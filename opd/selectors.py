"""Reads of units, people and assignments for pages, with related rows fetched up front."""

import datetime
import difflib
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db.models import (
    BooleanField,
    Case,
    Count,
    Exists,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce

from core import page_cache
from indicators import scoring as engine
from indicators.models import Group, Indicator, Period, Question
from opd.models import (
    Answer,
    Assignment,
    AuditEvent,
    Comment,
    Document,
    Evidence,
    EvidenceRevision,
    Notice,
    Profile,
    Unit,
)


def unit_list() -> QuerySet[Unit]:
    return Unit.objects.select_related("parent").order_by("kind", "name")


def unit_contacts(*, unit: Unit) -> list[tuple[str, str]]:
    """(name, phone) of the unit's active members who gave a phone number. One query."""
    return [
        (f"{first} {last}".strip() or username, phone)
        for first, last, username, phone in Profile.objects.filter(units=unit, user__is_active=True)
        .exclude(phone="")
        .order_by("user__first_name", "user__username")
        .values_list("user__first_name", "user__last_name", "user__username", "phone")
    ]


def units_of_user(*, user) -> QuerySet[Unit]:
    if not user.is_authenticated:
        return Unit.objects.none()
    return Unit.objects.filter(members__user=user).order_by("name")


def assignments_for_units(*, period: Period, unit_ids) -> QuerySet[Assignment]:
    """A units' assignments in a period, in instrument order, with question, indicator, group."""
    return (
        Assignment.objects.filter(question__indicator__group__period=period, unit_id__in=unit_ids)
        .select_related("question__indicator__group", "unit")
        .order_by(
            "question__indicator__group__order",
            "question__indicator__order",
            "question__order",
            "question__pk",
            "unit__name",
        )
    )


def questions_without_lead(*, period: Period) -> QuerySet[Question]:
    """Questions nobody answers: no lead unit, and no unit answering for itself."""
    return (
        Question.objects.filter(indicator__group__period=period)
        .exclude(assignments__role__in=Assignment.ANSWERING)
        .select_related("indicator__group")
    )


def unit_assignment_counts(*, period: Period) -> QuerySet[Unit]:
    """Units with how many questions they lead and support in the period."""
    in_period = Q(assignments__question__indicator__group__period=period)
    return (
        Unit.objects.annotate(
            n_lead=Count("assignments", filter=in_period & Q(assignments__role="lead")),
            n_support=Count("assignments", filter=in_period & Q(assignments__role="support")),
        )
        .filter(Q(n_lead__gt=0) | Q(n_support__gt=0))
        .order_by("-n_lead", "name")
    )


# --- Workspace, answer page, review queue ---------------------------------------------------


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
        return self.status in (Answer.Status.SUBMITTED, Answer.Status.APPROVED)

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


_evidence_count = (
    Evidence.objects.filter(answer=OuterRef("pk"), removed_at__isnull=True)
    .order_by()
    .values("answer")
    .annotate(n=Count("pk"))
    .values("n")
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
    # The answers the rows show: the lead's, which supporters work on too, and the units' own.
    # Evidence counted by a subquery and no ordering: a count over a join grouped by every
    # column of the answer, twice the work.
    answers = {
        (a.question_id, a.unit_id): a
        for a in Answer.objects.filter(
            Q(unit_id__in=set(leads.values())) | Q(unit_id__in=unit_ids),
            question_id__in=question_ids,
        )
        .annotate(n_evidence=Coalesce(Subquery(_evidence_count), 0))
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


def answer_page_data(*, answer: Answer | None) -> dict:
    """Evidence with its revisions and the comment thread of an answer, two queries each."""
    if answer is None:
        return {"evidence": [], "removed_evidence": [], "comments": []}
    evidence = list(
        Evidence.objects.filter(answer=answer)
        .select_related("unit", "created_by")
        .prefetch_related(
            Prefetch(
                "revisions",
                queryset=EvidenceRevision.objects.select_related("uploaded_by").order_by(
                    "-uploaded_at", "-pk"
                ),
            )
        )
    )
    comments = list(Comment.objects.filter(answer=answer).select_related("author"))
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
            self.points or self.option or self.narrative or self.data_values or self.added
            or self.removed or self.replaced
        )  # fmt: skip


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
        e for e in evidence
        if e not in found.added and any(r.uploaded_at > when for r in e.revisions.all())
    ]  # fmt: skip
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


# Waiting for review again after the secretariat asked for a revision: a revision request
# before the latest submission. A subquery in the page's one query, whatever the number of
# resubmissions.
_resubmitted = Case(
    When(
        Exists(
            AuditEvent.objects.filter(
                answer=OuterRef("pk"),
                action=AuditEvent.Action.ANSWER_REQUEST_REVISION,
                created_at__lt=OuterRef("submitted_at"),
            )
        ),
        status=Answer.Status.SUBMITTED,
        then=Value(True),
    ),
    default=Value(False),
    output_field=BooleanField(),
)


def review_queue(
    *,
    period: Period,
    status: str = Answer.Status.SUBMITTED,
    group_id: int | None = None,
    indicator_id: int | None = None,
    unit_id: int | None = None,
) -> QuerySet[Answer]:
    """Answers for the secretariat, oldest submission first, with what each row shows."""
    answers = Answer.objects.filter(question__indicator__group__period=period)
    if status:
        answers = answers.filter(status=status)
    if group_id:
        answers = answers.filter(question__indicator__group_id=group_id)
    if indicator_id:
        answers = answers.filter(question__indicator_id=indicator_id)
    if unit_id:
        answers = answers.filter(unit_id=unit_id)
    return (
        answers.annotate(resubmitted=_resubmitted)
        # The people (submitter, claim holder) come from with_people(): joining both user
        # tables as well cost PostgreSQL 5 ms of planning per page, for 1 ms of work.
        .select_related("question__indicator", "unit")
        # A subquery, not Count over a join: grouping by every selected column of six tables
        # cost PostgreSQL 8 ms of planning per page for 1 ms of work.
        .annotate(n_evidence=Coalesce(Subquery(_evidence_count), 0))
        .order_by("submitted_at", "pk")
    )


def with_people(answers: list[Answer]) -> list[Answer]:
    """The answers with their submitters and claim holders, in one query by primary key."""
    people = get_user_model().objects.in_bulk(
        ({a.submitted_by_id for a in answers} | {a.review_claimed_by_id for a in answers}) - {None}
    )
    for answer in answers:
        answer.submitted_by = people.get(answer.submitted_by_id)
        answer.review_claimed_by = people.get(answer.review_claimed_by_id)
    return answers


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


def notices_for(*, user, limit: int = 100) -> list[Notice]:
    """The person's latest notices, newest first, with the question and unit. One query."""
    return list(
        Notice.objects.filter(user=user).select_related(
            "answer__question__indicator", "answer__unit"
        )[:limit]
    )


def next_question(*, question: Question, unit: Unit) -> Question | None:
    """The unit's next question in instrument order that it has not handed in yet, going
    round to the start; None when all are in. Two queries."""
    order = [
        a.question
        for a in Assignment.objects.answering()
        .filter(unit=unit, question__indicator__group__period=question.indicator.group.period_id)
        .select_related("question__indicator")
        .order_by(
            "question__indicator__group__order",
            "question__indicator__order",
            "question__order",
            "question__pk",
        )  # fmt: skip
    ]
    done = set(
        Answer.objects.filter(
            unit=unit, question__in=[q.pk for q in order],
            status__in=[Answer.Status.SUBMITTED, Answer.Status.APPROVED],
        ).values_list("question_id", flat=True)
    )  # fmt: skip
    at = next((i for i, q in enumerate(order) if q.pk == question.pk), -1)
    return next(
        (q for q in order[at + 1 :] + order[: at + 1] if q.pk not in done and q.pk != question.pk),
        None,
    )


# --- Tables of per-unit questions --------------------------------------------------------------


@dataclass
class TableRow:
    """One kecamatan's or desa's row of a per-unit question: its answer and what the reader
    may do with it."""

    access: object  # opd.access.AnswerAccess of the row
    evidence_count: int

    @property
    def unit(self) -> Unit:
        return self.access.unit

    @property
    def answer(self) -> Answer | None:
        return self.access.answer

    @property
    def status(self) -> str:
        return self.answer.status if self.answer else NOT_STARTED

    @property
    def may_fill(self) -> bool:
        """The reader writes this row and its state still lets it be written."""
        return self.access.can_edit and self.status in (
            NOT_STARTED, Answer.Status.DRAFT, Answer.Status.REVISION_REQUESTED,
        )  # fmt: skip


@dataclass
class QuestionTable:
    question: Question
    rows: list[TableRow]
    options: list
    n_units: int  # every row of the question, read or not: the share is over all of them
    n_yes: int  # rows whose claimed points are the question's maximum
    claimed: object  # the question's points as the engine counts them (Decimal)
    verified: object

    def grouped(self, fields: dict | None = None) -> list[tuple[str, list[tuple]]]:
        """(kecamatan name or "", [(row, value field, version field)]): desa rows under
        their kecamatan, kecamatan rows in one list; the fields of the rows the reader fills
        (TableRowsForm.fields_by_unit), else None."""
        fields = fields or {}
        groups: dict[str, list[tuple]] = {}
        for row in self.rows:
            parent = row.unit.parent if row.unit.kind == Unit.Kind.DESA else None
            groups.setdefault(parent.name if parent else "", []).append(
                (row, *fields.get(row.unit.pk, (None, None)))
            )
        return list(groups.items())

    @property
    def may_fill_any(self) -> bool:
        return any(row.may_fill for row in self.rows)

    @property
    def waiting(self) -> list[TableRow]:
        """The rows waiting for the secretariat's review."""
        return [row for row in self.rows if row.status == Answer.Status.SUBMITTED]

    @property
    def may_approve(self) -> bool:
        """The reader reviews (the secretariat) and some row waits."""
        return bool(self.waiting) and self.rows[0].access.can_review


def tables_to_fill(*, period: Period, unit_ids) -> list[Question]:
    """Per-unit questions whose rows these units fill for other units (the rule is
    access.row_writer_unit_ids): as the coordinator of a question whose rows the coordinator
    fills, or as the kecamatan of desa rows. Their own rows are ordinary workspace rows."""
    filled_by = Question.RowsFilledBy
    role = Assignment.Role
    return list(
        Question.objects.filter(indicator__group__period=period)
        .filter(
            Q(
                rows_filled_by=filled_by.COORDINATOR,
                assignments__role=role.COORDINATOR,
                assignments__unit_id__in=unit_ids,
            )
            | Q(
                rows_filled_by=filled_by.UNITS,
                every_desa=True,
                assignments__role=role.PER_UNIT,
                assignments__unit__parent_id__in=unit_ids,
            )
        )  # fmt: skip
        .distinct()
        .select_related("indicator")
        .order_by("indicator__group__order", "indicator__order", "order", "pk")
    )


def question_table(*, question: Question, rows: list) -> QuestionTable:
    """The table of a per-unit question from the rows the reader may read
    (access.table_for_user): evidence counted in one query, options in one, the question's
    points from the engine's own rule (the mean over every row, missing rows count 0); the
    other rows' answers are read only for a reader who does not see them all."""
    answer_ids = [row.answer.pk for row in rows if row.answer]  # rows: the readable ones
    counts = dict(
        Evidence.objects.filter(answer_id__in=answer_ids, removed_at__isnull=True)
        .order_by()
        .values("answer_id")
        .annotate(n=Count("pk"))
        .values_list("answer_id", "n")
    )
    table_rows = sorted(
        (TableRow(row, counts.get(row.answer.pk, 0) if row.answer else 0) for row in rows),
        key=lambda r: (r.unit.parent.name if r.unit.parent_id else r.unit.name, r.unit.kind,
                       r.unit.name),
    )  # fmt: skip
    # The share is over every row of the question, including those this reader cannot see.
    # Each row's access holds all of the question's assignments; a reader who sees every row
    # (the secretariat, the coordinator) has every answer loaded already.
    answering = {a.unit_id for a in rows[0].assignments if a.role == Assignment.Role.PER_UNIT}
    if len(rows) == len(answering):
        every = [row.answer for row in rows if row.answer is not None]
    else:
        every = Answer.objects.filter(question=question, unit_id__in=answering).order_by()
    n_units = len(answering)
    unit_answers = []
    n_yes = 0
    for answer in every:
        claimed = answer.claimed_points
        n_yes += claimed is not None and claimed == question.max_points
        unit_answers.append(
            engine.UnitAnswer(
                claimed,
                answer.verified_points if answer.status == Answer.Status.APPROVED else None,
                answer.status == Answer.Status.SUBMITTED,
            )
        )
    points = engine.score_question(
        engine.QuestionInput(
            question.pk, question.indicator_id, question.code, question.max_points,
            tuple(unit_answers), max(n_units, 1),
        )
    )  # fmt: skip
    return QuestionTable(
        question=question,
        rows=table_rows,
        options=list(question.options.all()),
        n_units=n_units,
        n_yes=n_yes,
        claimed=engine.q2(points.claimed),
        verified=engine.q2(points.verified),
    )


# --- Registered documents ----------------------------------------------------------------------


@dataclass
class LibraryEntry:
    document: Document
    uses: list  # the live evidence rows it is attached as, with answer, question and unit
    expired: bool
    expires_before_deadline: bool


def document_library(
    *, unit_ids: set[int] | None, deadline: datetime.date | None, today: datetime.date
) -> list[LibraryEntry]:
    """The documents the reader may use (unit_ids None: all), each with the questions it
    serves and whether it has expired or will before `deadline`. Two queries."""
    documents = Document.objects.select_related("unit", "revision").prefetch_related(
        Prefetch(
            "uses",
            queryset=Evidence.objects.filter(removed_at__isnull=True)
            .select_related("answer__question__indicator__group__period", "answer__unit")
            .order_by("answer__question__indicator__group__period__year", "pk"),
        )
    )
    if unit_ids is not None:
        documents = documents.filter(unit_id__in=unit_ids)
    return [
        LibraryEntry(
            document=d, uses=list(d.uses.all()), expired=d.expires_before(today),
            expires_before_deadline=deadline is not None and d.expires_before(deadline),
        )
        for d in documents
    ]  # fmt: skip


def documents_to_attach(*, unit: Unit) -> QuerySet[Document]:
    """What a unit may attach: its own documents and the secretariat's (access rule:
    access.document_use_check)."""
    return (
        Document.objects.filter(Q(unit=unit) | Q(unit__is_secretariat=True))
        .select_related("unit")
        .order_by("kind", "title")
    )


def documents_expiring(*, unit_ids, period: Period) -> list[Document]:
    """The units' documents no longer valid when the period's answers are entered."""
    return list(
        Document.objects.lapsing(period)
        .filter(unit_id__in=unit_ids)
        .select_related("unit")
        .order_by("valid_until")
    )


def period_documents(*, period: Period) -> list[tuple[Document, list[Evidence]]]:
    """The registered documents serving a period, each with the evidence rows it is attached
    as (answer, question and unit fetched), in instrument order. One query."""
    uses: dict[int, tuple[Document, list[Evidence]]] = {}
    for item in (
        Evidence.objects.filter(
            answer__question__indicator__group__period=period, removed_at__isnull=True,
            document__isnull=False,
        )
        .select_related("document", "answer__question__indicator", "answer__unit")
        .order_by(
            "document__kind", "document__title", "answer__question__indicator__group__order",
            "answer__question__indicator__order", "answer__question__order", "pk",
        )
    ):  # fmt: skip
        uses.setdefault(item.document_id, (item.document, []))[1].append(item)
    return list(uses.values())
