"""Reads for the tables of per-unit questions (every kecamatan or desa answers)."""

from dataclasses import dataclass

from django.db.models import (
    Count,
    Q,
)

from indicators import scoring as engine
from indicators.models import Period, Question
from opd.models import (
    Answer,
    Assignment,
    Evidence,
    Unit,
)
from opd.scoring import question_input, says_yes, unit_answer
from opd.selectors.answers import NOT_STARTED


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
            NOT_STARTED,
            Answer.Status.DRAFT,
            Answer.Status.REVISION_REQUESTED,
        )


@dataclass
class QuestionTable:
    question: Question
    rows: list[TableRow]
    options: list
    # The share's denominator: the district's official number of kecamatan or desa (the
    # period's), else every row of the question, read or not.
    n_units: int
    n_registered: int  # the units registered to answer: fewer than n_units is a warning
    n_yes: int  # rows whose claimed points are the question's maximum
    claimed: object  # the question's points as the engine counts them (Decimal)
    verified: object
    kept: object = None  # the question's imported points (no row holds them), if any

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
        )
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
        key=lambda r: (
            r.unit.parent.name if r.unit.parent_id else r.unit.name,
            r.unit.kind,
            r.unit.name,
        ),
    )
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
        n_yes += says_yes(answer.claimed_points, question.max_points)
        unit_answers.append(
            unit_answer(answer.claimed_points, answer.verified_points, answer.status)
        )
    # The engine's own input: the share over the official number, through the steps.
    scored = question_input(question=question, registered=n_units, answers=unit_answers)
    points = engine.score_question(scored)
    return QuestionTable(
        question=question,
        rows=table_rows,
        options=list(question.options.all()),
        n_units=scored.n_units,
        n_registered=n_units,
        n_yes=n_yes,
        claimed=engine.q2(points.claimed),
        verified=engine.q2(points.verified),
        kept=question.kept_verified_points
        if question.kept_verified_points is not None
        else question.kept_claimed_points,
    )


def question_share(*, question: Question, assignments) -> dict:
    """A per-unit question's share and points for one row's answer page: "yes" rows over the
    share's denominator, and the question's points as the engine counts them. One query (the
    question's rows); `assignments` are the question's, already loaded with the row's access."""
    answering = {a.unit_id for a in assignments if a.role == Assignment.Role.PER_UNIT}
    unit_answers, n_yes = [], 0
    for claimed, verified, status in Answer.objects.filter(
        question=question, unit_id__in=answering
    ).values_list("claimed_points", "verified_points", "status"):
        n_yes += says_yes(claimed, question.max_points)
        unit_answers.append(unit_answer(claimed, verified, status))
    scored = question_input(question=question, registered=len(answering), answers=unit_answers)
    points = engine.score_question(scored)
    return {
        "yes": n_yes,
        "n": scored.n_units,
        "claimed": engine.q2(points.claimed),
        "verified": engine.q2(points.verified),
    }
