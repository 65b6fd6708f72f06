"""The self-assessment window: when a unit may still change its answers and evidence."""

import datetime

from django.utils import timezone
from django.utils.translation import gettext as _

from core import page_cache
from core.errors import DomainError
from indicators.models import Period
from opd.models import Assignment, Extension, ProvincialReturn, Unit

# The longest extension, in days after the window closes. An extension is a few days' grace
# for a unit that ran late, not a second window: without a bound a typo (9999-12-31) would
# keep one unit's answers open for ever.
MAX_EXTENSION_DAYS = 60


class WindowClosed(DomainError):
    pass


def unit_deadline(
    *, period: Period, unit: Unit, extended: dict[int, datetime.date] | None = None
) -> datetime.date:
    """The last day the unit may change answers: the window's end, or its extension.
    `extended`: the period's extensions by unit (period_extensions), when the caller has them;
    else one query."""
    if extended is None:
        extension = (
            Extension.objects.filter(period=period, unit=unit).only("until").order_by().first()
        )
        until = extension.until if extension else None
    else:
        until = extended.get(unit.pk)
    return until if until and until > period.window_closes else period.window_closes


def period_extensions(*, period: Period) -> dict[int, datetime.date]:
    """Unit id -> the day its extension runs to: the period's extensions read whole (a few
    rows, at most one per unit), in one query."""
    return dict(Extension.objects.filter(period=period).values_list("unit_id", "until"))


def kept_extensions(*, period: Period) -> dict[int, datetime.date]:
    """period_extensions for pages, kept until anything district-wide changes (an extension
    raises "all"); a service deciding a write reads afresh."""
    return page_cache.remember(
        "extensions", parts=[period.pk], compute=lambda: period_extensions(period=period)
    )


def unit_deadlines(*, period: Period, units) -> list[tuple[Unit, datetime.date]]:
    """The deadline of each unit, in one query whatever the number of units (sending hundreds
    of unit ids to the database costs more than reading the period's few extensions)."""
    extended = period_extensions(period=period)
    return [(u, unit_deadline(period=period, unit=u, extended=extended)) for u in units]


def returned_to_unit(*, question, unit: Unit) -> bool:
    """Whether the province returned `question` and the return is not closed, and `unit`
    gives its own answer to it (the lead, or a per-unit unit): supporting units and every
    other question stay as the period's state says."""
    return (
        ProvincialReturn.objects.filter(
            question=question,
            question__assignments__unit=unit,
            question__assignments__role__in=Assignment.ANSWERING,
        )
        .exclude(status=ProvincialReturn.Status.CLOSED)
        .exists()
    )


def ensure_unit_may_edit(
    *,
    period: Period,
    unit: Unit,
    question=None,
    on: datetime.date | None = None,
    deadline: datetime.date | None = None,
) -> None:
    """Raise WindowClosed unless the unit may change its answers on that day (default today).

    The one exception to the period's state and window: a question the province returned
    (not closed yet) is open to its answering units, even in a closed or locked period, so
    they can correct what the province asked for. Callers that change one question's answer
    pass `question`; nothing else is opened by a return. (Asked only when the window refuses,
    so the usual open window costs no query.) `deadline`: the unit's, when the caller read it
    already (unit_deadline)."""
    try:
        _ensure_window(period=period, unit=unit, on=on, deadline=deadline)
    except WindowClosed:
        if question is None or unit is None or not returned_to_unit(question=question, unit=unit):
            raise


def _ensure_window(
    *, period: Period, unit: Unit, on: datetime.date | None, deadline: datetime.date | None
) -> None:
    day = on or timezone.localdate()
    if period.is_locked:
        raise WindowClosed(
            _("Period %(year)s is locked: nothing can be changed any more.")
            % {"year": period.year},
            code="locked",
        )
    if period.status == period.Status.PREPARED:
        raise WindowClosed(
            _("Period %(year)s is being prepared: the secretariat has not opened it yet.")
            % {"year": period.year},
            code="prepared",
        )
    if period.status == period.Status.CLOSED:
        raise WindowClosed(
            _("The secretariat has closed period %(year)s: answers can no longer change.")
            % {"year": period.year},
            code="period_closed",
        )
    if day < period.window_opens:
        raise WindowClosed(
            _("The self-assessment window opens on %(day)s.")
            % {"day": period.window_opens.strftime("%d-%m-%Y")},
            code="not_open",
        )
    deadline = deadline or unit_deadline(period=period, unit=unit)
    if day > deadline:
        raise WindowClosed(
            _(
                "The self-assessment window closed on %(day)s. Ask the secretariat for an "
                "extension if your unit still needs to change answers."
            )
            % {"day": deadline.strftime("%d-%m-%Y")},
            code="closed",
        )


def unit_may_edit(
    *,
    period: Period,
    unit: Unit,
    question=None,
    on: datetime.date | None = None,
    deadline: datetime.date | None = None,
) -> bool:
    try:
        ensure_unit_may_edit(period=period, unit=unit, question=question, on=on, deadline=deadline)
    except WindowClosed:
        return False
    return True
