"""The secretariat's review: claiming an answer, asking for a revision, approving (with a
reason when points are lowered), reopening; comments on an answer."""

import datetime
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import DomainError
from indicators.models import AnswerOption, Period
from opd import notifications
from opd.audit import audit_log, points_text
from opd.models import Answer, AuditEvent, Comment, LoweredReason, Notice
from opd.notices import notice_create_for_unit
from opd.services._common import (
    IllegalTransition,
    _after_verified_change,
    _check_not_locked,
    _check_version,
    _label,
    _lock,
    _period_of,
    _s,
    _touch,
    clean_points,
)

# A review that leaves the verified points as they are passes nothing for them.
_UNCHANGED = object()


def _record_review(
    answer: Answer,
    *,
    user,
    status: str,
    note: str,
    verified_points=_UNCHANGED,
    extra_fields: tuple | list = (),
):
    """The reviewer's decision on the row: state, note, who and when (and verified points,
    and any `extra_fields` the caller set on the answer)."""
    answer.status, answer.review_note = status, note
    answer.reviewed_at, answer.reviewed_by = timezone.now(), user
    answer.returned_by_coordinator = None  # the secretariat's decision, not a coordinator's
    fields = ["status", "review_note", "reviewed_at", "reviewed_by", *extra_fields]
    fields.append("returned_by_coordinator")
    _claim_clear(answer, fields)  # decided: nobody is reviewing it any more
    if verified_points is not _UNCHANGED:
        answer.verified_points = verified_points
        fields.append("verified_points")
    _touch(answer, fields)


class ClaimedByOther(DomainError):
    """Another reviewer is reviewing the answer; a claim is never taken from them."""


def _claim_clear(answer: Answer, fields: list[str]) -> None:
    answer.review_claimed_by, answer.review_claimed_at = None, None
    fields += ["review_claimed_by", "review_claimed_at"]


@transaction.atomic
def answer_claim(*, answer: Answer, user, now: datetime.datetime | None = None) -> Answer:
    """Mark the answer as being reviewed by `user` for REVIEW_CLAIM_TTL.

    Not audited and not a change of the answer (its version stays): a claim decides nothing,
    it only keeps two reviewers from doing the same work. Claiming again extends one's own.
    """
    answer = _lock(answer)
    _check_reviewable(answer, _period_of(answer))
    now = now or timezone.now()
    holder = answer.claim_holder(now=now)
    if holder is not None and holder.pk != user.pk:
        raise ClaimedByOther(
            _("%(who)s has been reviewing this answer since %(time)s WIB.")
            % {
                "who": holder.get_full_name() or holder.get_username(),
                "time": timezone.localtime(answer.review_claimed_at).strftime("%H:%M"),
            },
            code="claimed",
        )
    answer.review_claimed_by, answer.review_claimed_at = user, now
    answer.save(update_fields=["review_claimed_by", "review_claimed_at"])
    return answer


@transaction.atomic
def answer_release(*, answer: Answer, user) -> Answer:
    """Give up one's own claim (another reviewer may take the answer)."""
    answer = _lock(answer)
    if answer.review_claimed_by_id != user.pk:
        raise IllegalTransition(
            _("You are not reviewing this answer; nothing was changed."), code="not_holder"
        )
    fields: list[str] = []
    _claim_clear(answer, fields)
    answer.save(update_fields=fields)
    return answer


def _check_reviewable(answer: Answer, period: Period) -> None:
    _check_not_locked(period)
    if answer.status != Answer.Status.SUBMITTED:
        who = answer.reviewed_by
        raise IllegalTransition(
            _(
                "This answer is no longer waiting for review: it is %(status)s%(by)s. "
                "Nothing was changed."
            )
            % {
                "status": answer.get_status_display().lower(),
                "by": (" " + _("by %(who)s") % {"who": who.get_full_name() or who.get_username()})
                if who
                else "",
            },
            code="not_submitted",
        )


@transaction.atomic
def answer_request_revision(
    *,
    answer: Answer,
    user,
    note: str,
    expected_version: int | None = None,
    ip: str | None = None,
) -> Answer:
    """Send the answer back to its unit with a note saying what is missing."""
    answer = _lock(answer)
    period = _period_of(answer)
    _check_reviewable(answer, period)
    _check_version(answer, expected_version)
    note = (note or "").strip()
    if not note:
        raise DomainError(_("Say what the unit must change: a note is required."), code="no_note")
    seen = _seen(answer)
    _record_review(answer, user=user, status=Answer.Status.REVISION_REQUESTED, note=note)
    audit_log(
        action=AuditEvent.Action.ANSWER_REQUEST_REVISION,
        actor=user,
        ip=ip,
        answer=answer,
        period=period,
        summary=note[:200],
        data={"seen": seen},
    )
    notice_create_for_unit(answer=answer, kind=Notice.Kind.REVISION_REQUESTED, note=note)
    transaction.on_commit(lambda: notifications.revision_requested(answer_id=answer.pk))
    return answer


def _seen(answer: Answer) -> dict:
    """What the reviewer saw when asking for a revision, kept with the request in the audit
    trail: the resubmission is compared with it (opd.selectors.resubmission_changes)."""
    return {
        "points": _s(answer.claimed_points),
        "option": _label(answer.option),
        "narrative": answer.narrative,
        "data_values": answer.data_values or {},
        "evidence": sorted(
            answer.evidence.filter(removed_at__isnull=True).values_list("pk", flat=True)
        ),
    }


@transaction.atomic
def answer_approve(
    *,
    answer: Answer,
    user,
    verified_points=None,
    reason: str = "",
    verified_option: AnswerOption | None = None,
    lowered_because: str = "",
    expected_version: int | None = None,
    ip: str | None = None,
) -> Answer:
    """Approve the answer. Verified points default to the claimed ones; fewer need a reason.

    For a question with options the reviewer confirms the unit's option or picks a lower one,
    with a structured reason (LoweredReason; "other" needs the note too).
    """
    answer = _lock(answer)
    period = _period_of(answer)
    _check_reviewable(answer, period)
    _check_version(answer, expected_version)
    reason = (reason or "").strip()
    with_options = answer.question.options.exists()
    if with_options:
        verified_option = verified_option or answer.option
        if verified_option is None:
            raise DomainError(_("Choose the option the evidence supports."), code="option")
        if verified_option.question_id != answer.question_id:
            raise DomainError(_("That option belongs to another question."), code="option")
        points = verified_option.points
    elif verified_points in (None, ""):
        points = answer.claimed_points or Decimal("0.00")
    else:
        points = clean_points(
            verified_points, maximum=answer.question.max_points, field_label=_("Verified points")
        )
    lowered = answer.claimed_points is not None and points < answer.claimed_points
    if with_options and lowered and lowered_because not in LoweredReason.values:
        raise DomainError(
            _("Say why a lower option: document missing, expired, wrong level, unsigned or other."),
            code="no_reason",
        )
    if (lowered and not with_options and not reason) or (
        with_options and lowered_because == LoweredReason.OTHER and not reason
    ):
        raise DomainError(
            _("Verifying fewer points than claimed needs a reason the unit can act on."),
            code="no_reason",
        )
    if with_options and lowered and not reason:
        reason = str(LoweredReason(lowered_because).label)  # the unit reads it as a note
    old_verified = answer.verified_points
    answer.verified_option = verified_option if with_options else None
    answer.lowered_because = lowered_because if with_options and lowered else ""
    _record_review(
        answer,
        user=user,
        status=Answer.Status.APPROVED,
        note=reason,
        verified_points=points,
        extra_fields=["verified_option", "lowered_because"],
    )
    audit_log(
        action=AuditEvent.Action.ANSWER_APPROVE,
        actor=user,
        ip=ip,
        answer=answer,
        period=period,
        summary=_("Approved with %(points)s of %(claimed)s points claimed")
        % {"points": points_text(points), "claimed": points_text(answer.claimed_points)},
        data={
            "verified": _s(points),
            "claimed": _s(answer.claimed_points),
            "reason": reason,
            "option": _label(answer.verified_option),
        },
    )
    if old_verified != points:
        audit_log(
            action=AuditEvent.Action.POINTS_CHANGE,
            actor=user,
            ip=ip,
            answer=answer,
            period=period,
            summary=_("Verified points: %(old)s → %(new)s")
            % {"old": points_text(old_verified), "new": points_text(points)},
            data={"field": "verified_points", "old": _s(old_verified), "new": _s(points)},
        )
    notice_create_for_unit(
        answer=answer,
        note=reason,
        kind=Notice.Kind.APPROVED_FEWER if lowered else Notice.Kind.APPROVED,
    )
    if lowered:
        transaction.on_commit(lambda: notifications.approved_with_fewer_points(answer_id=answer.pk))
    transaction.on_commit(lambda: _after_verified_change(period))
    return answer


@transaction.atomic
def answer_reopen(*, answer: Answer, user, reason: str, ip: str | None = None) -> Answer:
    """Take an approved answer back into review (the secretariat found a problem later)."""
    answer = _lock(answer)
    period = _period_of(answer)
    _check_not_locked(period)
    if answer.status != Answer.Status.APPROVED:
        raise IllegalTransition(_("Only approved answers can be reopened."), code="not_approved")
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Say why the answer is reopened."), code="no_reason")
    old_verified = answer.verified_points
    _record_review(
        answer, user=user, status=Answer.Status.SUBMITTED, note=reason, verified_points=None
    )
    audit_log(
        action=AuditEvent.Action.ANSWER_REOPEN,
        actor=user,
        ip=ip,
        answer=answer,
        period=period,
        summary=reason[:200],
        data={"verified_before": _s(old_verified)},
    )
    transaction.on_commit(lambda: _after_verified_change(period))
    return answer


@transaction.atomic
def comment_add(*, answer: Answer, user, body: str, ip: str | None = None) -> Comment:
    body = (body or "").strip()
    if not body:
        raise DomainError(_("The comment is empty."), code="empty")
    if len(body) > 5000:
        raise DomainError(_("A comment can have at most 5000 characters."), code="too_long")
    answer = _lock(answer)
    period = _period_of(answer)
    _check_not_locked(period)
    comment = Comment.objects.create(answer=answer, author=user, body=body)
    audit_log(
        action=AuditEvent.Action.COMMENT_ADD,
        actor=user,
        ip=ip,
        answer=answer,
        period=period,
        summary=body[:200],
    )
    return comment
