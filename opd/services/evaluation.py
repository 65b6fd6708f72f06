"""After the self-assessment: the province's returns (recorded, replied to, closed), the
field verification, and the official points per question, indicator or group.

A return reopens its question for the answering units, whatever the period's state
(opd.deadlines.ensure_unit_may_edit holds the exception): their answers go back to "revision
requested" with the province's note, and closing the return gives an answer approved before
its approval back, since a locked period cannot be reviewed again.
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import DomainError
from core.formats import points as points_text
from indicators.models import Group, Indicator, OfficialPoints, OfficialResult, Period, Question
from opd import access, notifications
from opd.audit import audit_log
from opd.models import Answer, Assignment, AuditEvent, Notice, ProvincialReturn
from opd.notices import notice_create_for_unit
from opd.services._common import IllegalTransition, _s, _touch

# --- Returns ------------------------------------------------------------------------------------


def _lock_return(provincial_return: ProvincialReturn) -> ProvincialReturn:
    return (
        ProvincialReturn.objects.select_for_update(of=("self",))
        .select_related("question__indicator__group__period")
        .get(pk=provincial_return.pk)
    )


def _answering_answers(question: Question) -> list[Answer]:
    """The answers of the question's answering units, locked."""
    units = Assignment.objects.answering().filter(question=question).values("unit_id")
    return list(
        Answer.objects.select_for_update(of=("self",))
        .filter(question=question, unit_id__in=units)
        .select_related("unit")
        .order_by("pk")
    )


@transaction.atomic
def provincial_return_record(
    *,
    question: Question,
    user,
    note: str,
    deadline: datetime.date,
    ip: str | None = None,
) -> ProvincialReturn:
    """The province returned the question with a note and a deadline. Its answering units'
    answers go back to them with the note (mail after the commit), even in a locked period."""
    question = Question.objects.select_related("indicator__group__period").get(pk=question.pk)
    period = question.indicator.group.period
    Period.objects.select_for_update().get(pk=period.pk)  # one return at a time per period
    note = (note or "").strip()
    if not note:
        raise DomainError(_("Write the province's note: what it asks for."), code="no_note")
    if deadline is None:
        raise DomainError(_("Give the province's deadline."), code="no_deadline")
    if (
        ProvincialReturn.objects.filter(question=question)
        .exclude(status=ProvincialReturn.Status.CLOSED)
        .exists()
    ):
        raise IllegalTransition(
            _("This question is already returned: close that return first."), code="open_return"
        )
    answers = _answering_answers(question)
    before = {}
    for answer in answers:
        before[str(answer.pk)] = answer.status
        if answer.status != Answer.Status.DRAFT:
            answer.status, answer.review_note = Answer.Status.REVISION_REQUESTED, note
            answer.review_claimed_by, answer.review_claimed_at = None, None
            _touch(answer, ["status", "review_note", "review_claimed_by", "review_claimed_at"])
    provincial_return = ProvincialReturn.objects.create(
        question=question, note=note, deadline=deadline, returned_by=user, answers_before=before
    )
    for answer in answers:
        audit_log(
            action=AuditEvent.Action.RETURN_RECORD,
            actor=user,
            ip=ip,
            answer=answer,
            period=period,
            summary=note[:200],
            data={"return": provincial_return.pk, "deadline": deadline.isoformat()},
        )
        notice_create_for_unit(answer=answer, kind=Notice.Kind.REVISION_REQUESTED, note=note)
    if not answers:  # returned before anyone answered: the trail still says so
        audit_log(
            action=AuditEvent.Action.RETURN_RECORD,
            actor=user,
            ip=ip,
            period=period,
            summary=note[:200],
            data={"return": provincial_return.pk, "deadline": deadline.isoformat()},
        )
    pk = provincial_return.pk
    transaction.on_commit(lambda: notifications.provincial_returned(return_id=pk))
    return provincial_return


@transaction.atomic
def provincial_return_reply(
    *, provincial_return: ProvincialReturn, user, reply: str, ip: str | None = None
) -> ProvincialReturn:
    """The district's answer to the province: written by the secretariat or by a member of
    an answering unit. May be written again until the return is closed."""
    provincial_return = _lock_return(provincial_return)
    access.return_reply_check(user=user, provincial_return=provincial_return)
    if provincial_return.status == ProvincialReturn.Status.CLOSED:
        raise IllegalTransition(_("This return is closed."), code="closed")
    reply = (reply or "").strip()
    if not reply:
        raise DomainError(_("Write the reply to the province."), code="no_reply")
    before = provincial_return.reply
    provincial_return.reply = reply
    provincial_return.status = ProvincialReturn.Status.ANSWERED
    provincial_return.replied_at, provincial_return.replied_by = timezone.now(), user
    provincial_return.save(update_fields=["reply", "status", "replied_at", "replied_by"])
    audit_log(
        action=AuditEvent.Action.RETURN_REPLY,
        actor=user,
        ip=ip,
        period=provincial_return.question.indicator.group.period,
        summary=reply[:200],
        data={"return": provincial_return.pk, "before": before},
    )
    return provincial_return


@transaction.atomic
def provincial_return_close(
    *, provincial_return: ProvincialReturn, user, ip: str | None = None
) -> ProvincialReturn:
    """The province accepted the district's answer (or the secretariat closes it): the
    question is closed again for its units, and an answer approved before the return is
    approved again with the points verified before."""
    provincial_return = _lock_return(provincial_return)
    period = provincial_return.question.indicator.group.period
    if provincial_return.status == ProvincialReturn.Status.CLOSED:
        raise IllegalTransition(_("This return is already closed."), code="closed")
    approved_before = {
        int(pk)
        for pk, status in provincial_return.answers_before.items()
        if status == Answer.Status.APPROVED
    }
    for answer in _answering_answers(provincial_return.question):
        restored = (
            answer.pk in approved_before
            and answer.status != Answer.Status.APPROVED
            and answer.verified_points is not None
        )
        if restored:
            answer.status = Answer.Status.APPROVED
            _touch(answer, ["status"])
        audit_log(
            action=AuditEvent.Action.RETURN_CLOSE,
            actor=user,
            ip=ip,
            answer=answer,
            period=period,
            summary=_("Provincial return closed"),
            data={"return": provincial_return.pk, "approval_restored": restored},
        )
    provincial_return.status = ProvincialReturn.Status.CLOSED
    provincial_return.closed_at, provincial_return.closed_by = timezone.now(), user
    provincial_return.save(update_fields=["status", "closed_at", "closed_by"])
    if not provincial_return.answers_before:
        audit_log(
            action=AuditEvent.Action.RETURN_CLOSE,
            actor=user,
            ip=ip,
            period=period,
            summary=_("Provincial return closed"),
            data={"return": provincial_return.pk},
        )
    return provincial_return


# --- Field verification -------------------------------------------------------------------------


@transaction.atomic
def field_verification_record(
    *,
    period: Period,
    user,
    on: datetime.date | None,
    team: str,
    findings: str,
    ip: str | None = None,
) -> OfficialResult:
    """The field verification: its day (OfficialResult.field_verification_on, which document
    validity also reads), the team and what it found."""
    period = Period.objects.select_for_update().get(pk=period.pk)
    result, _created = OfficialResult.objects.select_for_update().get_or_create(period=period)
    values = {
        "field_verification_on": on,
        "field_verification_team": (team or "").strip(),
        "field_verification_findings": (findings or "").strip(),
    }
    changes = {
        k: [_s(getattr(result, k)), _s(v)] for k, v in values.items() if getattr(result, k) != v
    }
    for key, value in values.items():
        setattr(result, key, value)
    result.updated_at = timezone.now()
    result.save()
    audit_log(
        action=AuditEvent.Action.PERIOD_CHANGE,
        actor=user,
        ip=ip,
        period=period,
        summary=_("Field verification of %(year)s recorded") % {"year": period.year},
        data={"official": changes},
    )
    return result


# --- Official points ----------------------------------------------------------------------------


@dataclass(frozen=True)
class OfficialEntry:
    """One figure to record: a question, indicator or group (its level and id), the points
    (None: remove the figure) and the ministry's note."""

    level: str
    target_id: int
    points: Decimal | None
    note: str = ""


_MODELS = {
    OfficialPoints.Level.QUESTION: (Question, "indicator__group__period", "question"),
    OfficialPoints.Level.INDICATOR: (Indicator, "group__period", "indicator"),
    OfficialPoints.Level.GROUP: (Group, "period", "group"),
}


def _maximum(level: str, target) -> Decimal | None:
    if level == OfficialPoints.Level.GROUP:
        return sum((i.max_points for i in target.indicators.all()), Decimal("0.00"))
    return target.max_points


@transaction.atomic
def official_points_save(
    *, period: Period, user, entries: list[OfficialEntry], ip: str | None = None
) -> int:
    """Record, change or remove the ministry's points for questions, indicators or groups of
    the period, all or nothing: one bad entry (a figure above the maximum, a target of
    another period) refuses them all. Returns the number of figures changed."""
    period = Period.objects.select_for_update().get(pk=period.pk)
    targets: dict[str, dict[int, object]] = {}
    for level, (model, path, _field) in _MODELS.items():
        ids = {e.target_id for e in entries if e.level == level}
        rows = model.objects.filter(pk__in=ids, **{path: period})
        if level == OfficialPoints.Level.GROUP:
            rows = rows.prefetch_related("indicators")
        targets[level] = {row.pk: row for row in rows}
    problems = []
    for entry in entries:
        target = targets.get(entry.level, {}).get(entry.target_id)
        if target is None:
            problems.append(_("%(id)s is not part of this period.") % {"id": entry.target_id})
            continue
        if entry.points is None:
            continue
        maximum = _maximum(entry.level, target)
        if entry.points < 0 or (maximum is not None and entry.points > maximum):
            problems.append(
                _("%(target)s: %(points)s is above its maximum of %(max)s.")
                % {
                    "target": target,
                    "points": points_text(entry.points),
                    "max": points_text(maximum),
                }
            )
    if problems:
        raise DomainError(" ".join(problems), code="official_points")
    existing = {
        (row.level, row.question_id or row.indicator_id or row.group_id): row
        for row in OfficialPoints.objects.select_for_update().filter(period=period)
    }
    changed, trail = 0, []
    for entry in entries:
        key = (entry.level, entry.target_id)
        row = existing.get(key)
        note = (entry.note or "").strip()
        if entry.points is None:
            if row is not None:
                trail.append([entry.level, entry.target_id, _s(row.points), None])
                row.delete()
                changed += 1
            continue
        if row is None:
            field = _MODELS[entry.level][2]
            row = OfficialPoints(
                period=period, level=entry.level, **{f"{field}_id": entry.target_id}
            )
        elif row.points == entry.points and row.note == note:
            continue
        trail.append([entry.level, entry.target_id, _s(row.points), _s(entry.points)])
        row.points, row.note, row.updated_at = entry.points, note, timezone.now()
        row.save()
        changed += 1
    if changed:
        audit_log(
            action=AuditEvent.Action.OFFICIAL_POINTS,
            actor=user,
            ip=ip,
            period=period,
            summary=_("%(n)s official figures of %(year)s recorded")
            % {"n": changed, "year": period.year},
            data={"changes": trail},
        )
    return changed
