"""More time for one unit: an extension of its deadline."""

import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import DomainError
from indicators.models import Period
from opd.audit import audit_log
from opd.deadlines import MAX_EXTENSION_DAYS
from opd.models import AuditEvent, Extension, Unit
from opd.services._common import _check_not_locked


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
        action=AuditEvent.Action.EXTENSION_GRANT,
        actor=user,
        ip=ip,
        period=period,
        unit=unit,
        summary=_("Extension until %(day)s") % {"day": until.strftime("%d-%m-%Y")},
        data={"until": until.isoformat(), "reason": reason},
    )
    return extension
