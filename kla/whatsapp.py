"""The task force's progress as a WhatsApp message: copy-ready Indonesian plain text.

Task forces coordinate in a WhatsApp group; the secretariat used to type the figures into it
by hand from the dashboard. `whatsapp_summary` writes the same figures the dashboard shows
(kla.selectors) in one message: the position against the target, each agency's status and
the nearest deadlines. WhatsApp shows *text* in bold; nothing else is marked up.

The message fits a phone screen or two: at most MAX_LINES lines. The agencies take the lines
the rest leaves, those behind schedule first; the others are counted, and the link at the end
leads to all of them.
"""

import datetime

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core import formats as fmt
from indicators.models import Period
from kla import selectors as dash
from opd import selectors as opd_selectors
from opd.models import Extension
from opd.notifications import MAIL_LANGUAGE, absolute_url

# At most this many lines (blank ones included): about two phone screens in WhatsApp.
MAX_LINES = 20
# More extensions than this are counted, not listed; they share one line.
MAX_EXTENSIONS = 3


def whatsapp_summary(*, period: Period, today: datetime.date | None = None) -> str:
    """The message, in Indonesian whatever the reader's language: the group's language."""
    today = today or timezone.localdate()
    with translation.override(MAIL_LANGUAGE):
        head = [
            _("*KLA %(year)s progress · %(district)s*")
            % {"year": period.year, "district": settings.KLA_DISTRICT_NAME},
            _("as of %(day)s") % {"day": fmt.day(today)},
            "",
            *_position(period),
            "",
        ]
        tail = [
            "",
            *_deadlines(period, today),
            "",
            _("Details: %(url)s") % {"url": absolute_url("kla:home")},
        ]
        units = _units(period, room=MAX_LINES - len(head) - len(tail))
    return "\n".join([*head, *units, *tail])


def _position(period: Period) -> list[str]:
    score = dash.period_score(period=period)
    waiting = opd_selectors.queue_state(period=period)["size"]
    no_rank = _("no rank yet")
    # No heading: under the title, the figures say what they are; the lines go to the agencies.
    lines = [
        _("Verified: %(points)s points (%(rank)s)")
        % {"points": fmt.points(score.verified), "rank": score.rank_verified or no_rank},
        _("Potential: %(points)s points (%(rank)s)")
        % {"points": fmt.points(score.potential), "rank": score.rank_potential or no_rank},
    ]
    band = score.target_band
    if band is not None:
        if score.gap_to_target:
            lines.append(
                _("Target %(target)s (from %(lower)s): %(gap)s verified points still missing")
                % {
                    "target": band.name,
                    "lower": fmt.points(band.lower_bound),
                    "gap": fmt.points(score.gap_to_target),
                }
            )
        else:
            lines.append(
                _("Target %(target)s (from %(lower)s): reached on verified points")
                % {"target": band.name, "lower": fmt.points(band.lower_bound)}
            )
    lines.append(_("Waiting for review: %(n)s answers") % {"n": waiting})
    return lines


def _units(period: Period, *, room: int) -> list[str]:
    """Each agency: submitted of assigned, approved; the ones behind schedule first. In `room`
    lines at most (its title included): the agencies that do not fit are counted."""
    rows = sorted(
        dash.unit_completion(period=period),
        key=lambda r: (not r.behind, r.percent, r.unit.short_name),
    )
    lines = [_("*Status per agency* (submitted/assigned, approved)")]
    hidden = []
    if len(rows) > room - 1:
        # One line goes to the count of those left out.
        keep = max(room - 2, 1)
        rows, hidden = rows[:keep], rows[keep:]
    for row in rows:
        line = _("• %(unit)s: %(submitted)s/%(assigned)s submitted, %(approved)s approved") % {
            "unit": row.unit.short_name,
            "submitted": row.submitted,
            "assigned": row.assigned,
            "approved": row.approved,
        }
        lines.append(line + (" — " + _("behind") if row.behind else ""))
    if hidden:
        behind = sum(1 for row in hidden if row.behind)
        more = _("• and %(n)s more units") % {"n": len(hidden)}
        if behind:
            more += " " + _("(%(n)s of them behind)") % {"n": behind}
        lines.append(more)
    if not rows:
        lines.append(_("No agency has questions yet."))
    return lines


def _deadlines(period: Period, today: datetime.date) -> list[str]:
    """The window's end, the extensions still running (soonest first) and the entry date."""
    days = period.days_left(today)
    if days > 0:
        closes = _("%(n)s days left") % {"n": days}
    elif days == 0:
        closes = _("today")
    else:
        closes = _("closed")
    lines = [
        _("• Self-assessment window closes: %(day)s (%(when)s)")
        % {"day": fmt.day(period.window_closes), "when": closes},
    ]
    extensions = list(
        Extension.objects.filter(period=period, until__gte=today, until__gt=period.window_closes)
        .select_related("unit")
        .order_by("until", "unit__short_name")
    )
    if extensions:
        # One line for all of them: the lines are kept for the agencies.
        named = [
            _("%(unit)s until %(day)s")
            % {"unit": extension.unit.short_name, "day": fmt.day(extension.until)}
            for extension in extensions[:MAX_EXTENSIONS]
        ]
        if len(extensions) > MAX_EXTENSIONS:
            named.append(_("%(n)s more") % {"n": len(extensions) - MAX_EXTENSIONS})
        lines.append(_("• Extensions: %(list)s") % {"list": "; ".join(named)})
    if period.entry_date:
        lines.append(
            _("• Entry into the ministry's application: %(day)s")
            % {"day": fmt.day(period.entry_date)}
        )
    return lines
