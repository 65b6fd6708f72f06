"""The task force's progress as a WhatsApp message: copy-ready Indonesian plain text.

Task forces coordinate in a WhatsApp group; the secretariat used to type the figures into it
by hand from the dashboard. `whatsapp_summary` writes the same figures the dashboard shows
(kla.selectors) in one message: the position against the target, each agency's status and
the nearest deadlines. WhatsApp shows *text* in bold; nothing else is marked up.
"""

import datetime

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core import formats as fmt
from indicators.models import Period
from kla import selectors as dash
from opd.models import Extension
from opd.notifications import MAIL_LANGUAGE, absolute_url

# More extensions than this are counted, not listed: the message stays readable on a phone.
MAX_EXTENSIONS = 5


def whatsapp_summary(*, period: Period, today: datetime.date | None = None) -> str:
    """The message, in Indonesian whatever the reader's language: the group's language."""
    today = today or timezone.localdate()
    with translation.override(MAIL_LANGUAGE):
        lines = [
            _("*KLA %(year)s progress · %(district)s*")
            % {"year": period.year, "district": settings.KLA_DISTRICT_NAME},
            _("as of %(day)s") % {"day": fmt.day(today)},
            "",
            *_position(period),
            "",
            *_units(period),
            "",
            *_deadlines(period, today),
            "",
            _("Details: %(url)s") % {"url": absolute_url("kla:home")},
        ]
    return "\n".join(lines)


def _position(period: Period) -> list[str]:
    score = dash.period_score(period=period)
    waiting = dash.queue_state(period=period)["size"]
    no_rank = _("no rank yet")
    lines = [
        _("*Position*"),
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
                % {"target": band.name, "lower": fmt.points(band.lower_bound),
                   "gap": fmt.points(score.gap_to_target)}
            )  # fmt: skip
        else:
            lines.append(
                _("Target %(target)s (from %(lower)s): reached on verified points")
                % {"target": band.name, "lower": fmt.points(band.lower_bound)}
            )
    lines.append(_("Waiting for review: %(n)s answers") % {"n": waiting})
    return lines


def _units(period: Period) -> list[str]:
    """Each agency: submitted of assigned, approved; the ones behind schedule first."""
    rows = sorted(
        dash.unit_completion(period=period),
        key=lambda r: (not r.behind, r.percent, r.unit.short_name),
    )
    lines = [_("*Status per agency* (submitted/assigned, approved)")]
    for row in rows:
        line = _("• %(unit)s: %(submitted)s/%(assigned)s submitted, %(approved)s approved") % {
            "unit": row.unit.short_name, "submitted": row.submitted, "assigned": row.assigned,
            "approved": row.approved,
        }  # fmt: skip
        lines.append(line + (" — " + _("behind") if row.behind else ""))
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
        _("*Nearest deadlines*"),
        _("• Self-assessment window closes: %(day)s (%(when)s)")
        % {"day": fmt.day(period.window_closes), "when": closes},
    ]
    extensions = list(
        Extension.objects.filter(period=period, until__gte=today, until__gt=period.window_closes)
        .select_related("unit")
        .order_by("until", "unit__short_name")
    )
    for extension in extensions[:MAX_EXTENSIONS]:
        lines.append(
            _("• Extension for %(unit)s: until %(day)s")
            % {"unit": extension.unit.short_name, "day": fmt.day(extension.until)}
        )
    if len(extensions) > MAX_EXTENSIONS:
        lines.append(_("• and %(n)s more extensions") % {"n": len(extensions) - MAX_EXTENSIONS})
    if period.entry_date:
        lines.append(
            _("• Entry into the ministry's application: %(day)s")
            % {"day": fmt.day(period.entry_date)}
        )
    return lines
