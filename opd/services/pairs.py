"""The secretariat's word on question pairs (indicators.identity): is this question of this
year last year's question under a new text or code? Carry-over follows the answer."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import DomainError
from indicators.identity import previous_period
from indicators.models import Question, QuestionPair
from opd import access
from opd.audit import audit_log
from opd.models import AuditEvent
from opd.services._common import _check_not_locked


@transaction.atomic
def question_pair_decide(
    *,
    new_question: Question,
    old_question: Question,
    decision: str,
    user,
    ip: str | None = None,
) -> QuestionPair:
    """Confirm (same question) or reject (different question) the pair; deciding again
    changes the decision. A question of this year has at most one confirmed pair."""
    if not access.is_secretariat(user):
        raise DomainError(_("Only the secretariat decides question pairs."), code="forbidden")
    if decision not in QuestionPair.Decision.values:
        raise DomainError(_("Confirm or reject the pair."), code="decision")
    # The new question's row lock serialises two decisions on it (one confirmed pair at most).
    new_question = (
        Question.objects.select_for_update(of=("self",))
        .select_related("indicator__group__period")
        .get(pk=new_question.pk)
    )
    period = new_question.indicator.group.period
    _check_not_locked(period)
    source = previous_period(period)
    old_question = Question.objects.select_related("indicator__group").get(pk=old_question.pk)
    if source is None or old_question.indicator.group.period_id != source.pk:
        raise DomainError(
            _("Only a question of %(year)s can be paired with this year's questions.")
            % {"year": source.year if source else "—"},
            code="not_previous",
        )
    if decision == QuestionPair.Decision.CONFIRMED:
        other = (
            QuestionPair.objects.filter(new_question=new_question, decision=decision)
            .exclude(old_question=old_question)
            .select_related("old_question__indicator")
            .first()
        )
        if other is not None:
            raise DomainError(
                _(
                    "Question %(new)s is already paired with %(old)s of last year: reject that "
                    "pair first."
                )
                % {"new": new_question, "old": other.old_question},
                code="already_paired",
            )
    pair, _created = QuestionPair.objects.update_or_create(
        new_question=new_question,
        old_question=old_question,
        defaults={"decision": decision, "decided_by": user, "decided_at": timezone.now()},
    )
    audit_log(
        action=AuditEvent.Action.QUESTION_PAIR,
        actor=user,
        ip=ip,
        period=period,
        summary=_("%(new)s is %(what)s %(old)s of %(year)s")
        % {
            "new": new_question,
            "what": _("the same question as") if pair.confirmed else _("a different question than"),
            "old": old_question,
            "year": source.year,
        },
        data={
            "new_question": new_question.pk,
            "old_question": old_question.pk,
            "decision": decision,
            "new_text": new_question.text[:500],
            "old_text": old_question.text[:500],
        },
    )
    return pair
