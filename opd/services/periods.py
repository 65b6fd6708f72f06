"""A period's window, its moves (prepared -> open -> closed -> locked) and its official
result."""

import datetime
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import DomainError
from indicators.models import OfficialResult, Period
from indicators.official import derived_rank, rank_problem
from opd.audit import audit_log
from opd.models import AuditEvent
from opd.services._common import IllegalTransition, _check_not_locked, _milestone, _s


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
    before = {
        "window_opens": period.window_opens.isoformat(),
        "window_closes": period.window_closes.isoformat(),
        "entry_date": period.entry_date.isoformat() if period.entry_date else None,
        "target_rank": period.target_rank,
    }
    period.window_opens, period.window_closes = window_opens, window_closes
    period.entry_date, period.target_rank = entry_date, target_rank
    for _field, code, message in period.window_problems():
        raise DomainError(message, code=code)
    period.save(update_fields=["window_opens", "window_closes", "entry_date", "target_rank"])
    audit_log(
        action=AuditEvent.Action.PERIOD_CHANGE,
        actor=user,
        ip=ip,
        period=period,
        summary=_("Window %(opens)s – %(closes)s, target %(target)s")
        % {
            "opens": window_opens.strftime("%d-%m-%Y"),
            "closes": window_closes.strftime("%d-%m-%Y"),
            "target": target_rank or "—",
        },
        data={"before": before},
    )
    return period


@transaction.atomic
def period_scoring_set(
    *,
    period: Period,
    user,
    official_kecamatan: int | None,
    official_desa: int | None,
    rounding: str,
    ip: str | None = None,
) -> Period:
    """Set what the engine reads of the district and the year: the official numbers of
    kecamatan and desa/kelurahan (the share's denominator) and the rounding. The score follows
    at once (a period's save raises "all", so the kept instrument is read again)."""
    period = Period.objects.select_for_update().get(pk=period.pk)
    _check_not_locked(period)
    if rounding not in Period.Rounding.values:
        raise DomainError(_("Unknown rounding."), code="rounding")
    before = {
        "official_kecamatan": period.official_kecamatan,
        "official_desa": period.official_desa,
        "rounding": period.rounding,
    }
    after = {
        "official_kecamatan": official_kecamatan,
        "official_desa": official_desa,
        "rounding": rounding,
    }
    if before == after:
        return period
    for name, value in after.items():
        setattr(period, name, value)
    period.save(update_fields=list(after))
    audit_log(
        action=AuditEvent.Action.PERIOD_CHANGE,
        actor=user,
        ip=ip,
        period=period,
        summary=_("Official numbers: %(k)s kecamatan, %(d)s desa/kelurahan; rounding: %(r)s")
        % {
            "k": official_kecamatan if official_kecamatan is not None else "—",
            "d": official_desa if official_desa is not None else "—",
            "r": period.get_rounding_display(),
        },
        data={"before": before},
    )
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
            % {
                "year": period.year,
                "status": period.get_status_display().lower(),
                "to": Period.Status(to).label.lower(),
            },
            code="locked" if period.is_locked else "illegal_move",
        )
    before = period.status
    period.status = to
    period.save(update_fields=["status"])
    audit_log(
        action=AuditEvent.Action.PERIOD_CHANGE,
        actor=user,
        ip=ip,
        period=period,
        summary=period_move_message(period),
        data={"status": to, "before": before},
    )
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
    field_verification_team: str | None = None,
    field_verification_findings: str | None = None,
    ip: str | None = None,
) -> OfficialResult:
    """Record what the ministry made of the year, as it comes (audited, field by field).
    The rank follows the score on the period's bands: a contradicting rank is refused, a
    blank one is derived from the score. Team and findings left None stay as they are."""
    period = Period.objects.select_for_update().get(pk=period.pk)
    bands = list(period.rank_bands.values_list("name", "lower_bound"))
    problem = rank_problem(score=final_score, rank=final_rank, bands=bands)
    if problem:
        raise DomainError(problem, code="rank_contradicts_bands")
    if final_score is not None and not final_rank:
        final_rank = derived_rank(score=final_score, bands=bands)
    result, _created = OfficialResult.objects.select_for_update().get_or_create(period=period)
    values = {
        "entered_on": entered_on,
        "provincial_notes": provincial_notes.strip(),
        "field_verification_on": field_verification_on,
        "final_score": final_score,
        "final_rank": final_rank,
    }
    if field_verification_team is not None:
        values["field_verification_team"] = field_verification_team.strip()
    if field_verification_findings is not None:
        values["field_verification_findings"] = field_verification_findings.strip()
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
        summary=_("Official result of %(year)s: %(score)s %(rank)s")
        % {
            "year": period.year,
            "score": final_score if final_score is not None else "—",
            "rank": final_rank,
        },
        data={"official": changes},
    )
    return result


def period_move_message(period: Period) -> str:
    """What a period's last move did, in words for the secretariat."""
    return _move_labels()[period.status] % {"year": period.year}


def period_lock(*, period: Period, user, ip: str | None = None) -> Period:
    """Lock a period: from now on nothing in it changes, for anyone. Final."""
    return period_move(period=period, to=Period.Status.LOCKED, user=user, ip=ip)
