"""The answer's life. Every change of an answer goes through one of these services.

    draft --submit--> submitted --approve--> approved --reopen--> submitted
                          |
                          +--request_revision(note)--> revision_requested --submit--> submitted

Each service locks the answer row, checks the state, the period and the window, writes the
audit trail and queues mail and score snapshots for after the commit.
"""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import DomainError
from indicators.models import AnswerOption, OfficialResult, Period, Question
from opd import access, notifications
from opd.audit import audit_log, points_text
from opd.deadlines import MAX_EXTENSION_DAYS, ensure_unit_may_edit
from opd.models import (
    Answer,
    Assignment,
    AuditEvent,
    Comment,
    Extension,
    LoweredReason,
    Notice,
    Unit,
)
from opd.notices import notice_create_for_unit

TWO_PLACES = Decimal("0.01")
EDITABLE = (Answer.Status.DRAFT, Answer.Status.REVISION_REQUESTED)


class StaleAnswer(DomainError):
    """Someone changed the answer after the user opened it; nothing was overwritten."""


class IllegalTransition(DomainError):
    pass


def answering_unit_ids(*, question: Question) -> set[int]:
    """Units that give their own answer to the question (the lead, or each per-unit unit)."""
    return set(
        Assignment.objects.answering().filter(question=question).values_list("unit_id", flat=True)
    )


def _period_of(answer: Answer) -> Period:
    return answer.question.indicator.group.period


def _lock(answer: Answer) -> Answer:
    """Re-read the answer under a row lock, with what the checks need."""
    return (
        Answer.objects.select_for_update(of=("self",))
        .select_related(
            "question__indicator__group__period", "unit", "reviewed_by", "review_claimed_by"
        )
        .get(pk=answer.pk)
    )


def _check_version(answer: Answer, expected_version: int | None) -> None:
    if expected_version is not None and answer.version != expected_version:
        who = answer.reviewed_by or answer.submitted_by
        raise StaleAnswer(
            _(
                "This answer was changed by %(who)s at %(when)s after you opened it "
                "(it is now: %(status)s). Nothing was saved; look at the current version."
            )
            % {
                "who": who.get_full_name() or who.get_username() if who else _("someone"),
                "when": timezone.localtime(answer.updated_at).strftime("%d-%m-%Y %H:%M"),
                "status": answer.get_status_display(),
            },
            code="stale",
        )


def _check_not_locked(period: Period) -> None:
    if period.is_locked:
        raise DomainError(
            _("Period %(year)s is locked: nothing can be changed any more.")
            % {"year": period.year},
            code="locked",
        )


def clean_points(value, *, maximum: Decimal, field_label: str) -> Decimal:
    """Parse points: a number with at most two decimals in [0, maximum]."""
    try:
        points = Decimal(str(value).strip().replace(",", "."))
    except (InvalidOperation, ValueError):
        raise DomainError(
            _("%(field)s must be a number.") % {"field": field_label}, code="nan"
        ) from None
    if not points.is_finite():
        raise DomainError(_("%(field)s must be a number.") % {"field": field_label}, code="nan")
    if points < 0:
        raise DomainError(
            _("%(field)s cannot be negative.") % {"field": field_label}, code="negative"
        )
    if points > maximum:
        raise DomainError(
            _("%(field)s cannot exceed the question's maximum of %(max)s.")
            % {"field": field_label, "max": maximum},
            code="over_max",
        )
    if points != points.quantize(TWO_PLACES):
        raise DomainError(
            _("%(field)s can have at most two decimals.") % {"field": field_label},
            code="precision",
        )
    return points.quantize(TWO_PLACES)


def _touch(answer: Answer, fields: list[str]) -> None:
    answer.version += 1
    answer.updated_at = timezone.now()
    answer.save(update_fields=[*fields, "version", "updated_at"])


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
    ensure_unit_may_edit(period=period, unit=answer.unit)
    if answer.status not in EDITABLE:
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
    _touch(answer, ["claimed_points", "option", "narrative", "data_values", "proposed"])
    audit_log(
        action=AuditEvent.Action.ANSWER_SAVE, actor=user, ip=ip, answer=answer, period=period,
        summary=_("Draft saved"),
    )  # fmt: skip
    if old_points != points or old_option != option:
        data = {"field": "claimed_points", "old": _s(old_points), "new": _s(points)}
        if old_option != option:  # options by their label: the trail is read by people
            data["option"] = {"old": _label(old_option), "new": _label(option)}
        audit_log(
            action=AuditEvent.Action.POINTS_CHANGE, actor=user, ip=ip, answer=answer, period=period,
            summary=_("Points claimed: %(old)s → %(new)s")
            % {"old": points_text(old_points), "new": points_text(points)},
            data=data,
        )  # fmt: skip
    return answer


def _label(option: AnswerOption | None) -> str | None:
    return option.label if option is not None else None


def _s(value) -> str | None:
    return None if value is None else str(value)


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
    if answer.status not in EDITABLE:
        raise IllegalTransition(
            _("An approved answer cannot be submitted again."), code="not_editable"
        )
    _check_version(answer, expected_version)
    access.edit_check(user=user, answer=answer)
    ensure_unit_may_edit(period=period, unit=answer.unit)
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
    _touch(answer, ["status", "submitted_at", "submitted_by"])
    audit_log(
        action=AuditEvent.Action.ANSWER_SUBMIT, actor=user, ip=ip, answer=answer, period=period,
        summary=_("Submitted with %(points)s points")
        % {"points": points_text(answer.claimed_points)},
        data={"points": _s(answer.claimed_points)},
    )  # fmt: skip
    return answer


@dataclass
class TableSaveReport:
    saved: list[str] = field(default_factory=list)  # the units whose rows were written
    submitted: list[str] = field(default_factory=list)
    approved: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # "<unit>: <why>", one per refused row


def table_rows_save(
    *,
    question: Question,
    user,
    values: list[tuple],
    submit: bool = False,
    ip: str | None = None,
) -> TableSaveReport:
    """Write several rows of a per-unit question's table at once: `values` holds (unit,
    option or points, version shown) per row. Each row goes through answer_save (and, asked
    to submit, answer_submit) in its own transaction, so a refused row leaves the others
    saved and the report says which and why (each service is atomic and locks its row)."""
    report = TableSaveReport()
    with_options = question.options.exists()
    for unit, value, version in values:
        try:
            answer = answer_open(question=question, unit=unit)
            if with_options:
                unchanged = answer.option_id == getattr(value, "pk", None)
            else:
                unchanged = answer.claimed_points == value
            if not unchanged or answer.proposed:
                answer = answer_save(
                    answer=answer, user=user, narrative=answer.narrative,
                    data_values=answer.data_values, expected_version=version, ip=ip,
                    option=value if with_options else None,
                    claimed_points=None if with_options else value,
                )  # fmt: skip
                report.saved.append(unit.short_name)
            # Submitting is a step of its own: a row refused here (a "yes" without evidence)
            # stays saved as a draft.
            if submit and answer.status in EDITABLE:
                answer_submit(answer=answer, user=user, ip=ip)
                report.submitted.append(unit.short_name)
        except DomainError as error:
            report.problems.append(f"{unit.short_name}: {error.message}")
    return report


def table_rows_approve(*, question: Question, user, ip: str | None = None) -> TableSaveReport:
    """Approve at once every row of a table that waits for review, as its unit answered (the
    option it chose, or its points): thirteen kecamatan saying "Ya" with their evidence need
    not be opened one by one. A row the reviewer would lower is decided on its own page. A
    row another reviewer is on is left to them (claims are never taken from their holder);
    each approval is answer_approve, atomic and audited, so a refused row leaves the others."""
    report = TableSaveReport()
    waiting = (
        Answer.objects.filter(question=question, status=Answer.Status.SUBMITTED)
        .select_related("unit", "review_claimed_by")
        .order_by("unit__name")
    )
    for answer in waiting:
        holder = answer.claim_holder()
        if holder is not None and holder != user:
            report.problems.append(
                _("%(unit)s: %(who)s is reviewing it")
                % {"unit": answer.unit.short_name,
                   "who": holder.get_full_name() or holder.get_username()}
            )  # fmt: skip
            continue
        try:
            answer_approve(answer=answer, user=user, ip=ip)
        except DomainError as error:
            report.problems.append(f"{answer.unit.short_name}: {error.message}")
        else:
            report.approved.append(answer.unit.short_name)
    return report


_UNCHANGED = object()


def _record_review(
    answer: Answer, *, user, status: str, note: str, verified_points=_UNCHANGED,
    extra_fields: tuple | list = (),
):  # fmt: skip
    """The reviewer's decision on the row: state, note, who and when (and verified points,
    and any `extra_fields` the caller set on the answer)."""
    answer.status, answer.review_note = status, note
    answer.reviewed_at, answer.reviewed_by = timezone.now(), user
    fields = ["status", "review_note", "reviewed_at", "reviewed_by", *extra_fields]
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
        action=AuditEvent.Action.ANSWER_REQUEST_REVISION, actor=user, ip=ip, answer=answer,
        period=period, summary=note[:200], data={"seen": seen},
    )  # fmt: skip
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
            _("Say why a lower option: document missing, expired, wrong level, unsigned or "
              "other."), code="no_reason",
        )  # fmt: skip
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
        answer, user=user, status=Answer.Status.APPROVED, note=reason, verified_points=points,
        extra_fields=["verified_option", "lowered_because"],
    )  # fmt: skip
    audit_log(
        action=AuditEvent.Action.ANSWER_APPROVE, actor=user, ip=ip, answer=answer, period=period,
        summary=_("Approved with %(points)s of %(claimed)s points claimed")
        % {"points": points_text(points), "claimed": points_text(answer.claimed_points)},
        data={"verified": _s(points), "claimed": _s(answer.claimed_points), "reason": reason,
              "option": _label(answer.verified_option)},
    )  # fmt: skip
    if old_verified != points:
        audit_log(
            action=AuditEvent.Action.POINTS_CHANGE, actor=user, ip=ip, answer=answer, period=period,
            summary=_("Verified points: %(old)s → %(new)s")
            % {"old": points_text(old_verified), "new": points_text(points)},
            data={"field": "verified_points", "old": _s(old_verified), "new": _s(points)},
        )  # fmt: skip
    notice_create_for_unit(
        answer=answer, note=reason,
        kind=Notice.Kind.APPROVED_FEWER if lowered else Notice.Kind.APPROVED,
    )  # fmt: skip
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
        action=AuditEvent.Action.ANSWER_REOPEN, actor=user, ip=ip, answer=answer, period=period,
        summary=reason[:200], data={"verified_before": _s(old_verified)},
    )  # fmt: skip
    transaction.on_commit(lambda: _after_verified_change(period))
    return answer


def _after_verified_change(period: Period) -> None:
    from opd import scoring  # the score service; imported late to keep this module light

    hook = getattr(scoring, "snapshot_after_verified_change", None)
    if hook is not None:
        hook(period=period)


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
        action=AuditEvent.Action.COMMENT_ADD, actor=user, ip=ip, answer=answer, period=period,
        summary=body[:200],
    )  # fmt: skip
    return comment


@transaction.atomic
def extension_grant(
    *,
    period: Period,
    unit: Unit,
    until: datetime.date,
    reason: str,
    user,
    ip: str | None = None,
) -> Extension:
    """Let one unit keep changing answers after the window closed, until a day.

    The day must come after the window's end, at most MAX_EXTENSION_DAYS after it, before
    entry into the ministry's application and not before today (the district's date). The
    form only checks that it is a date; every bound is here.
    """
    period = Period.objects.select_for_update().get(pk=period.pk)
    _check_not_locked(period)
    if until <= period.window_closes:
        raise DomainError(
            _("An extension must end after the window closes (%(day)s).")
            % {"day": period.window_closes.strftime("%d-%m-%Y")},
            code="too_early",
        )
    latest = period.window_closes + datetime.timedelta(days=MAX_EXTENSION_DAYS)
    if until > latest:
        raise DomainError(
            _(
                "An extension can last at most %(days)s days after the window closes: "
                "until %(day)s at the latest."
            )
            % {"days": MAX_EXTENSION_DAYS, "day": latest.strftime("%d-%m-%Y")},
            code="too_long",
        )
    if period.entry_date and until >= period.entry_date:
        raise DomainError(
            _("An extension must end before entry into the ministry's application (%(day)s).")
            % {"day": period.entry_date.strftime("%d-%m-%Y")},
            code="too_late",
        )
    today = timezone.localdate()
    if until < today:
        raise DomainError(
            _("An extension cannot end in the past: choose today (%(today)s) or a later day.")
            % {"today": today.strftime("%d-%m-%Y")},
            code="in_past",
        )
    extension, _created = Extension.objects.update_or_create(
        period=period,
        unit=unit,
        defaults={"until": until, "reason": reason.strip()[:500], "granted_by": user},
    )
    audit_log(
        action=AuditEvent.Action.EXTENSION_GRANT, actor=user, ip=ip, period=period, unit=unit,
        summary=_("Extension until %(day)s") % {"day": until.strftime("%d-%m-%Y")},
        data={"until": until.isoformat(), "reason": reason},
    )  # fmt: skip
    return extension


@transaction.atomic
def period_update_window(
    *,
    period: Period,
    user,
    window_opens: datetime.date,
    window_closes: datetime.date,
    entry_date: datetime.date | None,
    target_rank: str,
    ip: str | None = None,
) -> Period:
    """Change a period's self-assessment window, entry date and target rank."""
    period = Period.objects.select_for_update().get(pk=period.pk)
    _check_not_locked(period)
    if window_opens > window_closes:
        raise DomainError(_("The window must open before it closes."), code="window_order")
    if entry_date and entry_date < window_closes:
        raise DomainError(
            _("Entry into the ministry's application comes after the window."), code="entry_date"
        )
    bands = set(period.rank_bands.values_list("name", flat=True))
    if target_rank and target_rank not in bands:
        raise DomainError(_("The target must be one of the bands."), code="target")
    before = {
        "window_opens": period.window_opens.isoformat(),
        "window_closes": period.window_closes.isoformat(),
        "entry_date": period.entry_date.isoformat() if period.entry_date else None,
        "target_rank": period.target_rank,
    }
    period.window_opens, period.window_closes = window_opens, window_closes
    period.entry_date, period.target_rank = entry_date, target_rank
    period.save(update_fields=["window_opens", "window_closes", "entry_date", "target_rank"])
    audit_log(
        action=AuditEvent.Action.PERIOD_CHANGE, actor=user, ip=ip, period=period,
        summary=_("Window %(opens)s – %(closes)s, target %(target)s")
        % {"opens": window_opens.strftime("%d-%m-%Y"), "closes": window_closes.strftime("%d-%m-%Y"),
           "target": target_rank or "—"},
        data={"before": before},
    )  # fmt: skip
    return period


def _move_labels() -> dict[str, str]:
    return {
        Period.Status.OPEN: _("Period %(year)s is open: units can answer."),
        Period.Status.CLOSED: _("Period %(year)s is closed: units can no longer change answers."),
        Period.Status.LOCKED: _("Period %(year)s locked"),
    }


@transaction.atomic
def period_move(*, period: Period, to: str, user, ip: str | None = None) -> Period:
    """Open, close, reopen or lock a period, as Period.can_move_to allows. Locking is final."""
    period = Period.objects.select_for_update().get(pk=period.pk)
    if not period.can_move_to(to):
        raise IllegalTransition(
            _("Period %(year)s is %(status)s: it cannot become %(to)s.")
            % {"year": period.year, "status": period.get_status_display().lower(),
               "to": Period.Status(to).label.lower()},
            code="locked" if period.is_locked else "illegal_move",
        )  # fmt: skip
    before = period.status
    period.status = to
    period.save(update_fields=["status"])
    audit_log(
        action=AuditEvent.Action.PERIOD_CHANGE, actor=user, ip=ip, period=period,
        summary=period_move_message(period),
        data={"status": to, "before": before},
    )  # fmt: skip
    if to in (Period.Status.CLOSED, Period.Status.LOCKED):
        reason = "period_locked" if to == Period.Status.LOCKED else "window_closed"
        transaction.on_commit(lambda: _milestone(period, reason))
    return period


@transaction.atomic
def official_result_record(
    *,
    period: Period,
    user,
    entered_on: datetime.date | None,
    provincial_notes: str,
    field_verification_on: datetime.date | None,
    final_score: Decimal | None,
    final_rank: str,
    ip: str | None = None,
) -> OfficialResult:
    """Record what the ministry made of the year, as it comes (audited, field by field)."""
    period = Period.objects.select_for_update().get(pk=period.pk)
    bands = set(period.rank_bands.values_list("name", flat=True))
    if final_rank and final_rank not in bands:
        raise DomainError(_("The rank must be one of the period's bands."), code="rank")
    result, _created = OfficialResult.objects.get_or_create(period=period)
    values = {
        "entered_on": entered_on, "provincial_notes": provincial_notes.strip(),
        "field_verification_on": field_verification_on, "final_score": final_score,
        "final_rank": final_rank,
    }  # fmt: skip
    changes = {k: [_s(getattr(result, k)), _s(v)] for k, v in values.items()
               if getattr(result, k) != v}  # fmt: skip
    for key, value in values.items():
        setattr(result, key, value)
    result.updated_at = timezone.now()
    result.save()
    audit_log(
        action=AuditEvent.Action.PERIOD_CHANGE, actor=user, ip=ip, period=period,
        summary=_("Official result of %(year)s: %(score)s %(rank)s")
        % {"year": period.year, "score": final_score if final_score is not None else "—",
           "rank": final_rank},
        data={"official": changes},
    )  # fmt: skip
    return result


def period_move_message(period: Period) -> str:
    """What a period's last move did, in words for the secretariat."""
    return _move_labels()[period.status] % {"year": period.year}


def period_lock(*, period: Period, user, ip: str | None = None) -> Period:
    """Lock a period: from now on nothing in it changes, for anyone. Final."""
    return period_move(period=period, to=Period.Status.LOCKED, user=user, ip=ip)


def _milestone(period: Period, reason: str) -> None:
    from opd import scoring

    take = getattr(scoring, "snapshot_take", None)
    if take is not None:
        take(period=period, reason=reason)
