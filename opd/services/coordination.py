"""A cluster's coordinator reads its group's answers before the secretariat: it returns a
submitted answer to its unit with a note, or marks it checked.

    submitted --coordinator_return(note)--> revision_requested  (as the secretariat's request)
    submitted --coordinator_check--> submitted, marked checked   (the queue shows the mark)

The return is a revision request in every way the unit sees (the note on its page, a notice,
mail), said to come from the coordinator. The mark decides nothing: the secretariat still
approves or asks; the unit's next save or submission clears it (opd/services/answers.py), so
a mark always speaks of the answer as it was checked.
"""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import DomainError
from opd import access, notifications
from opd.audit import audit_log
from opd.models import Answer, AuditEvent, Notice, TaskForceMember
from opd.notices import notice_create_for_unit
from opd.services._common import (
    IllegalTransition,
    _check_not_locked,
    _check_version,
    _lock,
    _period_of,
    _touch,
)


def _check_coordinable(answer: Answer, *, user) -> None:
    """Only a submitted answer nobody in the secretariat is reviewing: the coordinator reads
    before the secretariat, never under a reviewer's hands."""
    _check_not_locked(_period_of(answer))
    access.cluster_coordinator_check(user=user, answer=answer)
    if answer.status != Answer.Status.SUBMITTED:
        raise IllegalTransition(
            _("Only a submitted answer can be returned or checked; this one is %(status)s.")
            % {"status": answer.get_status_display().lower()},
            code="not_submitted",
        )
    holder = answer.claim_holder()
    if holder is not None:
        raise IllegalTransition(
            _("%(who)s of the secretariat is reviewing this answer; nothing was changed.")
            % {"who": holder.get_full_name() or holder.get_username()},
            code="claimed",
        )


def _coordinating_unit(answer: Answer):
    member = (
        TaskForceMember.objects.filter(
            role=TaskForceMember.Role.COORDINATOR, group_id=answer.question.indicator.group_id
        )
        .select_related("unit")
        .first()
    )
    return member.unit if member else None


@transaction.atomic
def answer_coordinator_return(
    *,
    answer: Answer,
    user,
    note: str,
    expected_version: int | None = None,
    ip: str | None = None,
) -> Answer:
    """Send a submitted answer back to its unit with the coordinator's note: it becomes
    revision_requested, as after the secretariat's request; notice now, mail on commit."""
    answer = _lock(answer)
    _check_coordinable(answer, user=user)
    _check_version(answer, expected_version)
    note = (note or "").strip()
    if not note:
        raise DomainError(_("Say what the unit must change: a note is required."), code="no_note")
    coordinator = _coordinating_unit(answer)
    answer.status, answer.review_note = Answer.Status.REVISION_REQUESTED, note
    answer.reviewed_at, answer.reviewed_by = timezone.now(), user
    answer.returned_by_coordinator = coordinator
    answer.coordinator_checked_at, answer.coordinator_checked_by = None, None
    _touch(
        answer,
        [
            "status",
            "review_note",
            "reviewed_at",
            "reviewed_by",
            "returned_by_coordinator",
            "coordinator_checked_at",
            "coordinator_checked_by",
        ],
    )
    audit_log(
        action=AuditEvent.Action.COORDINATOR_RETURN,
        actor=user,
        ip=ip,
        answer=answer,
        summary=note[:200],
        data={"coordinator": coordinator.short_name if coordinator else None},
    )
    notice_create_for_unit(answer=answer, kind=Notice.Kind.COORDINATOR_RETURNED, note=note)
    transaction.on_commit(lambda: notifications.coordinator_returned(answer_id=answer.pk))
    return answer


@transaction.atomic
def answer_coordinator_check(
    *, answer: Answer, user, expected_version: int | None = None, ip: str | None = None
) -> Answer:
    """Mark a submitted answer as read and found ready by the cluster's coordinator. Marking
    it again is refused: the mark already says so."""
    answer = _lock(answer)
    _check_coordinable(answer, user=user)
    _check_version(answer, expected_version)
    if answer.coordinator_checked_at is not None:
        raise IllegalTransition(
            _("The coordinator has checked this answer already."), code="already_checked"
        )
    answer.coordinator_checked_at, answer.coordinator_checked_by = timezone.now(), user
    # Not a change of the answer (its version stays): a reviewer's open form is still good.
    answer.save(update_fields=["coordinator_checked_at", "coordinator_checked_by"])
    audit_log(
        action=AuditEvent.Action.COORDINATOR_CHECK,
        actor=user,
        ip=ip,
        answer=answer,
        summary=_("Checked by the cluster coordinator"),
    )
    return answer
