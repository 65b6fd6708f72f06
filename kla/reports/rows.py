"""The instrument of a period with its answers, as rows for the recap and the report.

Read in a fixed number of queries (groups, indicators, questions, assignments, answers with
their evidence counts), whatever the number of questions and units.
"""

from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Q
from django.utils import translation
from django.utils.translation import gettext as _

from core import formats
from indicators import scoring as engine
from indicators.models import Group, Indicator, Period, Question
from indicators.steps import as_decimals
from opd.models import Answer, Assignment, Evidence, Unit
from opd.scoring import kept_answer, says_yes, share_denominator, unit_answer

# Indonesian labels: the documents are Indonesian whatever the UI language.
STATUS_LABELS = {
    "not_started": "Belum dimulai",
    Answer.Status.DRAFT: "Draf",
    Answer.Status.SUBMITTED: "Diajukan",
    Answer.Status.REVISION_REQUESTED: "Perlu revisi",
    Answer.Status.APPROVED: "Disetujui",
}


def document_label(document) -> str:
    """How reports name a registered document: type, number, title and validity."""
    label = str(document)
    if document.valid_until:
        label += f" (berlaku s.d. {document.valid_until:%d-%m-%Y})"
    return label


def effective_points(answer: Answer):
    """An answer's points as the district enters them: the verified points once approved,
    else the claimed ones."""
    if answer.status == Answer.Status.APPROVED and answer.verified_points is not None:
        return answer.verified_points
    return answer.claimed_points


@dataclass
class UnitAnswerRow:
    """One answering unit's answer (or its absence) to a question."""

    unit: Unit
    answer: Answer | None
    # The registered documents attached to the answer ("Perda 5/2019: Perda KLA, berlaku …").
    documents: list[str] = field(default_factory=list)

    @property
    def status(self) -> str:
        return self.answer.status if self.answer else "not_started"

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]

    @property
    def evidence_count(self) -> int:
        return self.answer.n_evidence if self.answer else 0


@dataclass
class QuestionRow:
    question: Question
    lead: Unit | None
    supporting: list[Unit]
    # The lead's answer for an ordinary question; every answering unit for per-unit questions.
    unit_answers: list[UnitAnswerRow]
    per_unit: bool
    # A per-unit question's share denominator: the district's official number of kecamatan or
    # desa (the period's), else the registered units (opd.scoring.share_denominator).
    share_of: int = 0

    @property
    def n_yes(self) -> int:
        """Rows whose claimed points are the question's maximum ("Ya")."""
        maximum = self.question.max_points
        return sum(
            1
            for u in self.unit_answers
            if u.answer is not None and says_yes(u.answer.claimed_points, maximum)
        )

    def engine_points(self, *, effective: bool = False):
        """The question's points (engine.Points, to the cent) as the engine counts them from
        these rows: the share over `share_of` through the steps, kept points when no row
        holds it. `effective`: each row as the district would enter it (verified once
        approved, else claimed), read as the claimed figure; for the entry kit's cover."""
        question, rows = self.question, []
        for u in self.unit_answers:
            a = u.answer
            if a is None:
                continue
            if effective:
                rows.append(engine.UnitAnswer(effective_points(a)))
            else:
                rows.append(unit_answer(a.claimed_points, a.verified_points, a.status))
        scored = engine.QuestionInput(
            question.pk,
            question.indicator_id,
            question.code,
            question.max_points,
            tuple(rows),
            max(self.share_of, 1),
            question.order,
            as_decimals(question.steps) if question.steps else (),
            kept_answer(question.kept_claimed_points, question.kept_verified_points),
        )
        points = engine.score_question(scored)
        return engine.Points(*(engine.q2(p) for p in points))

    @property
    def n_effective_yes(self) -> int:
        """Rows whose points as entered (effective_points) are the question's maximum."""
        maximum = self.question.max_points
        return sum(
            1
            for u in self.unit_answers
            if u.answer is not None and effective_points(u.answer) == maximum
        )

    @property
    def share_text(self) -> str:
        """ "Ya: 3 dari 13 (23,1%)" for a per-unit question (Indonesian, as the documents
        are); "" otherwise."""
        if not self.per_unit:
            return ""
        with translation.override("id"):
            return "Ya: " + formats.share(self.n_yes, self.share_of)

    @property
    def answer(self) -> Answer | None:
        return None if self.per_unit or not self.unit_answers else self.unit_answers[0].answer

    @property
    def documents(self) -> list[str]:
        """Every registered document serving the question, once."""
        return list(dict.fromkeys(d for u in self.unit_answers for d in u.documents))

    @property
    def status_label(self) -> str:
        if not self.per_unit:
            return (
                self.unit_answers[0].status_label
                if self.unit_answers
                else STATUS_LABELS["not_started"]
            )
        approved = sum(1 for u in self.unit_answers if u.status == Answer.Status.APPROVED)
        return f"{approved}/{len(self.unit_answers)} unit disetujui"

    @property
    def status_display(self) -> str:
        """The status in the active language, for documents that follow the UI language."""
        if not self.per_unit:
            answer = self.answer
            return answer.get_status_display() if answer else _("Not started")
        approved = sum(1 for u in self.unit_answers if u.status == Answer.Status.APPROVED)
        return _("%(approved)s of %(total)s units approved") % {
            "approved": approved,
            "total": len(self.unit_answers),
        }

    @property
    def evidence_count(self) -> int:
        return sum(u.evidence_count for u in self.unit_answers)

    @property
    def last_change(self):
        moments = [u.answer.updated_at for u in self.unit_answers if u.answer]
        return max(moments) if moments else None

    @property
    def review_note(self) -> str:
        if not self.per_unit:
            return self.answer.review_note if self.answer else ""
        return "\n".join(
            f"{u.unit.short_name}: {u.answer.review_note}"
            for u in self.unit_answers
            if u.answer and u.answer.review_note
        )


@dataclass
class IndicatorRows:
    indicator: Indicator
    questions: list[QuestionRow] = field(default_factory=list)


@dataclass
class GroupRows:
    group: Group
    indicators: list[IndicatorRows] = field(default_factory=list)


def period_rows(*, period: Period, content: bool = False) -> list[GroupRows]:
    """Groups -> indicators -> questions with units and answers, in six queries.

    1. groups; 2. indicators; 3. questions; 4. assignments with their units;
    5. answers with their count of evidence not removed: narratives and data values left out,
       unless `content` asks for what the units wrote (the entry kit), which brings the
       chosen and verified options too, in the same query;
    6. the registered documents attached to them.
    """
    groups = list(Group.objects.filter(period=period).order_by("order", "pk"))
    indicators = list(
        Indicator.objects.filter(group__period=period).order_by("group_id", "order", "pk")
    )
    questions = list(
        Question.objects.filter(indicator__group__period=period).order_by(
            "indicator_id", "order", "pk"
        )
    )
    assignments = list(
        Assignment.objects.filter(question__indicator__group__period=period)
        .select_related("unit")
        .order_by("question_id", "unit__short_name")
    )
    answer_rows = Answer.objects.filter(question__indicator__group__period=period)
    if content:
        answer_rows = answer_rows.select_related("option", "verified_option")
    else:
        answer_rows = answer_rows.defer("narrative", "data_values")
    answers = {
        (a.question_id, a.unit_id): a
        for a in answer_rows.annotate(
            n_evidence=Count("evidence", filter=Q(evidence__removed_at__isnull=True))
        )
    }

    documents: dict[int, list[str]] = defaultdict(list)
    for evidence in Evidence.objects.filter(
        answer__question__indicator__group__period=period,
        removed_at__isnull=True,
        document__isnull=False,
    ).select_related("document"):
        documents[evidence.answer_id].append(document_label(evidence.document))

    by_question: dict[int, list[Assignment]] = defaultdict(list)
    for assignment in assignments:
        by_question[assignment.question_id].append(assignment)
    questions_of: dict[int, list[QuestionRow]] = defaultdict(list)
    for question in questions:
        assigned = by_question.get(question.pk, [])
        lead = next((a.unit for a in assigned if a.role == Assignment.Role.LEAD), None)
        supporting = [
            a.unit
            for a in assigned
            if a.role in (Assignment.Role.SUPPORT, Assignment.Role.COORDINATOR)
        ]
        answering = [a.unit for a in assigned if a.answers]
        questions_of[question.indicator_id].append(
            QuestionRow(
                question=question,
                lead=lead,
                supporting=supporting,
                unit_answers=[
                    UnitAnswerRow(
                        unit=u,
                        answer=(answer := answers.get((question.pk, u.pk))),
                        documents=documents.get(answer.pk, []) if answer else [],
                    )
                    for u in answering
                ],
                per_unit=any(a.role == Assignment.Role.PER_UNIT for a in assigned),
                share_of=share_denominator(
                    every_kecamatan=question.every_kecamatan,
                    every_desa=question.every_desa,
                    registered=sum(a.role == Assignment.Role.PER_UNIT for a in assigned),
                    kecamatan=period.official_kecamatan,
                    desa=period.official_desa,
                ),
            )
        )
    indicators_of: dict[int, list[IndicatorRows]] = defaultdict(list)
    groups_by_pk = {g.pk: g for g in groups}
    for indicator in indicators:
        indicator.group = groups_by_pk[indicator.group_id]  # no query per row later
        for item in questions_of.get(indicator.pk, []):
            item.question.indicator = indicator
        indicators_of[indicator.group_id].append(
            IndicatorRows(indicator=indicator, questions=questions_of.get(indicator.pk, []))
        )
    return [GroupRows(group=g, indicators=indicators_of.get(g.pk, [])) for g in groups]
