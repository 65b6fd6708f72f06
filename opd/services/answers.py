"""An answer written by its unit: opened, saved as a draft, submitted."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import DomainError
from indicators.models import AnswerOption, Question
from opd import access
from opd.audit import audit_log, points_text
from opd.deadlines import ensure_unit_may_edit
from opd.models import Answer, AuditEvent, Unit
from opd.services._common import (
    IllegalTransition,
    _check_version,
    _label,
    _lock,
    _period_of,
    _s,
    _touch,
    answering_unit_ids,
    clean_points,
)


def _clear_coordinator_check(answer: Answer, fields: list[str]) -> None:
    """The unit changed the answer: a cluster coordinator's mark spoke of the earlier one."""
    if answer.coordinator_checked_at is not None:
        answer.coordinator_checked_at, answer.coordinator_checked_by = None, None
        fields += ["coordinator_checked_at", "coordinator_checked_by"]


@transaction.atomic
def answer_open(*, question: Question, unit: Unit) -> Answer:
    """The unit's answer to the question, created as a draft the first time it is written."""
    if unit.pk not in answering_unit_ids(question=question):
        raise DomainError(
            _("%(unit)s does not answer this question itself.") % {"unit": unit.name},
            code="not_answering_unit",
        )
    answer, _created = Answer.objects.get_or_create(question=question, unit=unit)
    return answer


@transaction.atomic
def answer_save(
    *,
    answer: Answer,
    user,
    claimed_points,
    narrative: str,
    data_values: dict | None = None,
    option: AnswerOption | None = None,
    expected_version: int | None = None,
    ip: str | None = None,
) -> Answer:
    """Save the draft: points claimed (or, for a question with options, the option chosen,
    whose points they become), narrative, data values. Only while it may be edited."""
    answer = _lock(answer)
    period = _period_of(answer)
    _check_version(answer, expected_version)
    access.edit_check(user=user, answer=answer)
    ensure_unit_may_edit(period=period, unit=answer.unit, question=answer.question)
    if answer.status not in Answer.EDITABLE:
        raise IllegalTransition(
            _("The answer is %(status)s and cannot be edited now.")
            % {"status": answer.get_status_display().lower()},
            code="not_editable",
        )
    points = None
    if answer.question.options.exists():
        if claimed_points not in (None, ""):
            raise DomainError(
                _("Choose one of the options: its points are the points claimed."),
                code="option_required",
            )
        if option is not None and option.question_id != answer.question_id:
            raise DomainError(_("That option belongs to another question."), code="option")
        points = option.points if option is not None else None
    elif option is not None:
        raise DomainError(_("This question has no options."), code="option")
    elif claimed_points not in (None, ""):
        points = clean_points(
            claimed_points, maximum=answer.question.max_points, field_label=_("Points claimed")
        )
    old_points, old_option = answer.claimed_points, answer.option
    answer.claimed_points = points
    answer.option = option
    answer.narrative = narrative
    answer.data_values = data_values or {}
    answer.proposed = False  # a person has saved it: a proposal from last year is confirmed
    fields = ["claimed_points", "option", "narrative", "data_values", "proposed"]
    _clear_coordinator_check(answer, fields)
    _touch(answer, fields)
    audit_log(
        action=AuditEvent.Action.ANSWER_SAVE,
        actor=user,
        ip=ip,
        answer=answer,
        period=period,
        summary=_("Draft saved"),
    )
    if old_points != points or old_option != option:
        data = {"field": "claimed_points", "old": _s(old_points), "new": _s(points)}
        if old_option != option:  # options by their label: the trail is read by people
            data["option"] = {"old": _label(old_option), "new": _label(option)}
        audit_log(
            action=AuditEvent.Action.POINTS_CHANGE,
            actor=user,
            ip=ip,
            answer=answer,
            period=period,
            summary=_("Points claimed: %(old)s → %(new)s")
            % {"old": points_text(old_points), "new": points_text(points)},
            data=data,
        )
    return answer


@transaction.atomic
def answer_submit(
    *, answer: Answer, user, expected_version: int | None = None, ip: str | None = None
) -> Answer:
    """Send the answer to the secretariat for review."""
    answer = _lock(answer)
    period = _period_of(answer)
    # State first: a double click must hear "already submitted", not "changed by someone".
    if answer.status == Answer.Status.SUBMITTED:
        raise IllegalTransition(_("The answer was already submitted."), code="already_submitted")
    if answer.status not in Answer.EDITABLE:
        raise IllegalTransition(
            _("An approved answer cannot be submitted again."), code="not_editable"
        )
    _check_version(answer, expected_version)
    access.edit_check(user=user, answer=answer)
    ensure_unit_may_edit(period=period, unit=answer.unit, question=answer.question)
    if answer.claimed_points is None:
        raise DomainError(_("Enter the points claimed before submitting."), code="no_points")
    if answer.claimed_points > 0 and not answer.evidence.filter(removed_at__isnull=True).exists():
        raise DomainError(
            _("Attach at least one piece of evidence: points without evidence are lost."),
            code="no_evidence",
        )
    answer.status = Answer.Status.SUBMITTED
    answer.submitted_at = timezone.now()
    answer.submitted_by = user
    fields = ["status", "submitted_at", "submitted_by"]
    _clear_coordinator_check(answer, fields)
    _touch(answer, fields)
    audit_log(
        action=AuditEvent.Action.ANSWER_SUBMIT,
        actor=user,
        ip=ip,
        answer=answer,
        period=period,
        summary=_("Submitted with %(points)s points")
        % {"points": points_text(answer.claimed_points)},
        data={"points": _s(answer.claimed_points)},
    )
    return answer
