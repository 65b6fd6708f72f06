"""Start a period from last year: what still holds is proposed, never re-uploaded.

Most evidence stays valid for years (the Perda KLA, the SK of the task force, the RAD), yet
each period used to start empty and every file was sent again over slow connections. For
each question of the new period that is last year's question (indicators.identity: the same
text, or a pair the secretariat confirmed; never merely the same code, which a new juknis
gives to another question), the unit's answer of last year is proposed as a draft:
narrative, data values, the option of the same label, and its evidence as the same stored
files (new rows pointing at the same bytes, with their SHA-256). The draft carries no points
and stays `proposed` until someone of the unit saves it; nothing counts as submitted until a
person confirms it. A question with no identity gets nothing.
"""

from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext as _

from core.errors import DomainError
from indicators.identity import previous_period, previous_question_ids
from indicators.models import Period
from opd.audit import audit_log
from opd.evidence import revision_reuse
from opd.models import Answer, Assignment, AuditEvent, Evidence


@dataclass
class CarryOverReport:
    source: Period | None = None
    proposed: int = 0
    files: int = 0
    links: int = 0
    skipped_answered: int = 0


@transaction.atomic
def period_carry_over(*, period: Period, user, ip: str | None = None) -> CarryOverReport:
    """Propose last year's answers and evidence for the units of `period` to confirm."""
    period = Period.objects.select_for_update().get(pk=period.pk)
    if period.status not in (Period.Status.PREPARED, Period.Status.OPEN):
        raise DomainError(
            _("Only a prepared or open period can start from last year."), code="period_state"
        )
    report = CarryOverReport(source=previous_period(period))
    if report.source is None:
        raise DomainError(_("There is no earlier period to start from."), code="no_source")
    same_question = previous_question_ids(period)
    old_answers = {
        (a.question_id, a.unit_id): a
        for a in Answer.objects.filter(question_id__in=set(same_question.values()))
        .exclude(status=Answer.Status.DRAFT)
        .select_related("option")
        .prefetch_related("evidence__revisions")
    }
    existing = set(
        Answer.objects.filter(question__indicator__group__period=period).values_list(
            "question_id", "unit_id"
        )
    )
    for assignment in (
        Assignment.objects.answering()
        .filter(question__indicator__group__period=period)
        .select_related("question__indicator", "unit")
        .prefetch_related("question__options")
    ):
        question = assignment.question
        old_question_id = same_question.get(question.pk)
        previous = old_question_id and old_answers.get((old_question_id, assignment.unit_id))
        if previous is None:
            continue
        if (question.pk, assignment.unit_id) in existing:
            report.skipped_answered += 1  # someone has started: their work stays as it is
            continue
        options = {o.label: o for o in question.options.all()}
        answer = Answer.objects.create(
            question=question,
            unit=assignment.unit,
            narrative=previous.narrative,
            data_values=previous.data_values,
            carried_from=previous,
            proposed=True,
            option=options.get(previous.option.label) if previous.option else None,
        )
        report.proposed += 1
        for item in previous.evidence.all():
            if item.removed_at is not None:
                continue
            revisions = sorted(item.revisions.all(), key=lambda r: (r.uploaded_at, r.pk))
            if item.kind == Evidence.Kind.FILE and not revisions:
                continue
            copy = Evidence.objects.create(
                answer=answer,
                unit=assignment.unit,
                kind=item.kind,
                title=item.title,
                url=item.url,
                created_by=user,
            )
            if item.kind == Evidence.Kind.LINK:
                report.links += 1
                continue
            latest = revisions[-1]
            revision_reuse(revision=latest, evidence=copy, uploaded_by=latest.uploaded_by)
            report.files += 1
    audit_log(
        action=AuditEvent.Action.CARRY_OVER,
        actor=user,
        ip=ip,
        period=period,
        summary=_("%(n)s answers proposed from %(year)s (%(f)s files, %(l)s links)")
        % {"n": report.proposed, "year": report.source.year, "f": report.files, "l": report.links},
        data={
            "source": report.source.year,
            "proposed": report.proposed,
            "files": report.files,
            "links": report.links,
        },
    )
    return report
