"""Charts drawn on the server as SVG: the same markup in the pages and in the PDF report.

No JavaScript and nothing from the internet; each chart carries a <title> and an aria-label
as its text alternative, and uses presentation attributes (never style="") so it works under
the Content-Security-Policy.

Drawn for a phone first: every chart is WIDTH units wide and its smallest text FONT units, so
on a 390 px phone (about 340 px for the chart) no text renders below 12 px; wider screens cap
the chart's width (static/css/kla.css, `.kla-chart`). Nothing is told by colour alone: each
series has its own pattern (solid, hatched, dotted, empty) and a legend in words inside the
chart, so it reads in grey print and for colour-blind readers; every mark and its text meet
WCAG AA contrast on white (marks 3:1, text 4.5:1). Band colours are a background only: each
band is also outlined and named.
"""

import datetime
from decimal import Decimal
from xml.sax.saxutils import escape

from django.utils import formats, timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from core import formats as fmt
from indicators.models import Period
from indicators.scoring import Band, target_band
from kla import selectors

WIDTH = 340
FONT = 13  # 13 units at 340 wide: 12.6 px on a 330 px column, the narrowest we render in
PAD = 12
CHAR = 0.62 * FONT  # about the width of a character of DejaVu Sans at FONT

BAND_COLOURS = {
    None: "#e9ecef",
    "Pratama": "#f6d186",
    "Madya": "#9fd8a8",
    "Nindya": "#5bb6a3",
    "Utama": "#2f8fb5",
    "KLA": "#3d5a98",
}
PRIMARY = "#0b6e4f"  # verified, approved: 6.3:1 on white
SUBMITTED = "#1f5c99"  # waiting for review, hatched: 6.9:1
IN_PROGRESS = "#8a4b00"  # answered, not submitted, dotted: 6.8:1
TARGET = "#b02a37"  # 6.5:1
TRACK = "#6c757d"  # outlines of what is still empty: 4.7:1
TEXT = "#212529"
MUTED = "#495057"  # 8.2:1


def _e(text) -> str:
    return escape(str(text), {'"': "&quot;"})


def _n(value, places: int = 2) -> str:
    """A number as people read it in the active language (591,34 in Indonesian)."""
    return fmt.points(value, places)


def _bound(value) -> str:
    """A band's lower bound: 701, not 701,00."""
    return fmt.bound(value)


def _day(value: datetime.date) -> str:
    return formats.date_format(value, "j M")


def _text(x, y, text, *, anchor="start", fill=TEXT, size=FONT, bold=False) -> str:
    weight = ' font-weight="bold"' if bold else ""
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" '
        f'fill="{fill}"{weight}>{_e(text)}</text>'
    )


def _placed(x: float, text: str, *, low: float = PAD, high: float = WIDTH - PAD) -> tuple:
    """Where a label centred on x must stand to stay inside [low, high]: (x, anchor)."""
    half = len(str(text)) * CHAR / 2
    if x - half < low:
        return low, "start"
    if x + half > high:
        return high, "end"
    return x, "middle"


def _fit(text: str, width: float) -> str:
    """The text cut with an ellipsis to about `width` units."""
    most = max(int(width / CHAR), 4)
    return text if len(text) <= most else text[: most - 1].rstrip() + "…"


def _patterns(prefix: str) -> str:
    """The fills of the series, with ids unique to one chart (several share a page)."""
    hatch = "M0,6 L6,0 M-1.5,1.5 L1.5,-1.5 M4.5,7.5 L7.5,4.5"
    return (
        f'<defs><pattern id="{prefix}-hatch" patternUnits="userSpaceOnUse" width="6" height="6">'
        f'<rect width="6" height="6" fill="#fff"/>'
        f'<path d="{hatch}" stroke="{SUBMITTED}" stroke-width="2"/></pattern>'
        f'<pattern id="{prefix}-dots" patternUnits="userSpaceOnUse" width="5" height="5">'
        f'<rect width="5" height="5" fill="#fff"/>'
        f'<circle cx="2.5" cy="2.5" r="1.4" fill="{IN_PROGRESS}"/></pattern>'
        f'<pattern id="{prefix}-hatch-primary" patternUnits="userSpaceOnUse" width="6" height="6">'
        f'<rect width="6" height="6" fill="#fff"/>'
        f'<path d="{hatch}" stroke="{PRIMARY}" stroke-width="2"/></pattern></defs>'
    )


def _legend(y: float, items: list[tuple[str, str]]) -> str:
    """Swatches in a row with their words: (fill or '' for an outline, text)."""
    parts, x = [], PAD
    for fill, text in items:
        parts.append(
            f'<rect x="{x}" y="{y - 11}" width="14" height="12" fill="{fill or "#fff"}" '
            f'stroke="{TRACK}"/>'
        )
        parts.append(_text(x + 19, y, text, fill=TEXT))
        x += 19 + len(text) * CHAR + 14
    return "".join(parts)


def _svg(height: float, label: str, body: str) -> SafeString:
    return mark_safe(  # noqa: S308 - every text is escaped by _e
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height:.0f}" '
        f'width="100%" role="img" aria-label="{_e(label)}" '
        f'font-family="DejaVu Sans, Arial, sans-serif"><title>{_e(label)}</title>{body}</svg>'
    )


def rank_gauge(
    *,
    verified: Decimal,
    potential: Decimal | None,
    bands: list,
    target: str | None,
    max_points: Decimal = Decimal("1000"),
    label: str = "",
) -> SafeString:
    """A 0-1000 scale with the bands named, the verified total as a solid bar and marker, what
    waits for review hatched after it, the target as a dashed line."""
    top, strip = 28, 22
    scale = (WIDTH - 2 * PAD) / float(max_points or 1)

    def x(value) -> float:
        return PAD + float(min(max(Decimal(value), Decimal(0)), max_points)) * scale

    bounds = sorted(bands, key=lambda b: b.lower_bound)
    parts = [_patterns("gauge")]
    parts.append(
        f'<rect x="{PAD}" y="{top}" width="{WIDTH - 2 * PAD}" height="{strip}" '
        f'fill="{BAND_COLOURS[None]}" stroke="{TRACK}" stroke-width="0.75"/>'
    )
    start = bounds[0].lower_bound if bounds else max_points
    labels = [(x(0), x(start), _("No rank"))]
    for i, band in enumerate(bounds):
        end = bounds[i + 1].lower_bound if i + 1 < len(bounds) else max_points
        parts.append(
            f'<rect x="{x(band.lower_bound):.1f}" y="{top}" '
            f'width="{x(end) - x(band.lower_bound):.1f}" height="{strip}" '
            f'fill="{BAND_COLOURS.get(band.name, "#ced4da")}" stroke="{TRACK}" stroke-width="0.75"/>'
        )
        labels.append((x(band.lower_bound), x(end), band.name))
    # Names under the strip, every other one a row lower ("no rank" first, the widest): a
    # band is narrower than its name.
    for i, (left, right, name) in enumerate(labels):
        cx, anchor = _placed((left + right) / 2, name)
        parts.append(
            _text(cx, top + strip + 17 + (16 if i % 2 == 0 else 0), name, anchor=anchor, fill=TEXT)
        )
    vx = x(verified)
    bar_y, bar_h = top + 7, 8
    if potential is not None and potential > verified:
        parts.append(
            f'<rect x="{vx:.1f}" y="{bar_y}" width="{x(potential) - vx:.1f}" height="{bar_h}" '
            f'fill="url(#gauge-hatch-primary)" stroke="{PRIMARY}" stroke-width="1"/>'
        )
    parts.append(
        f'<rect x="{PAD}" y="{bar_y}" width="{vx - PAD:.1f}" height="{bar_h}" fill="{PRIMARY}"/>'
        f'<polygon points="{vx - 6:.1f},{top - 10} {vx + 6:.1f},{top - 10} {vx:.1f},{top - 1}" '
        f'fill="{PRIMARY}" data-value="{verified}"/>'
    )
    value = _n(verified)
    cx, anchor = _placed(vx, value)
    parts.append(_text(cx, top - 13, value, anchor=anchor, fill=PRIMARY, bold=True))
    rows = top + strip + 17 + 16
    band = target_band(bounds, target)
    if band is not None:
        tx = x(band.lower_bound)
        parts.append(
            f'<line x1="{tx:.1f}" y1="{top - 4}" x2="{tx:.1f}" y2="{top + strip + 5}" '
            f'stroke="{TARGET}" stroke-width="2.5" stroke-dasharray="4 2"/>'
        )
        text = _("Target %(rank)s: %(points)s") % {
            "rank": target,
            "points": _bound(band.lower_bound),
        }
        cx, anchor = _placed(tx, text)
        rows += 18
        parts.append(_text(cx, rows, text, anchor=anchor, fill=TARGET, bold=True))
    rows += 22
    parts.append(
        _legend(
            rows, [(PRIMARY, _("verified")), ("url(#gauge-hatch-primary)", _("awaiting review"))]
        )
    )
    return _svg(rows + 6, label or f"{verified} / {max_points}", "".join(parts))


def group_bars(*, groups: list[dict], label: str) -> SafeString:
    """Per group: its name and verified / maximum in words, then a bar: the maximum as an
    outline, claimed (drafts included) hatched, verified solid.

    groups: dicts with name, max_points, claimed, verified (Decimals or their strings).
    """
    row, bar = 44, 14
    usable = WIDTH - 2 * PAD
    biggest = max((float(g["max_points"]) for g in groups), default=1.0) or 1.0
    parts = [_patterns("groups")]
    for i, g in enumerate(groups):
        y = i * row
        w_max = usable * float(g["max_points"]) / biggest
        w_claimed = min(usable * float(g["claimed"]) / biggest, w_max)
        w_verified = min(usable * float(g["verified"]) / biggest, w_max)
        figures = f"{_n(g['verified'])} / {_n(g['max_points'], 0)}"
        name = _fit(str(g["name"]), usable - len(figures) * CHAR - 10)
        parts.append(
            f"<g><title>{_e(g['name'])}</title>"
            + _text(PAD, y + 14, name)
            + _text(WIDTH - PAD, y + 14, figures, anchor="end")
            + f'<rect x="{PAD}" y="{y + 20}" width="{w_max:.1f}" height="{bar}" fill="#fff" '
            f'stroke="{TRACK}"/>'
            + (
                f'<rect x="{PAD}" y="{y + 20}" width="{w_claimed:.1f}" height="{bar}" '
                f'fill="url(#groups-hatch)" stroke="{SUBMITTED}"/>'
                if w_claimed
                else ""
            )
            + (
                f'<rect x="{PAD}" y="{y + 20}" width="{w_verified:.1f}" height="{bar}" '
                f'fill="{PRIMARY}"/>'
                if w_verified
                else ""
            )
            + "</g>"
        )
    y = row * len(groups) + 12
    parts.append(_legend(y, [(PRIMARY, _("verified")), ("url(#groups-hatch)", _("claimed"))]))
    parts.append(_legend(y + 20, [("", _("maximum"))]))
    return _svg(y + 26, label, "".join(parts))


UNIT_SERIES = [  # (key, fill) in the order of the stack
    ("approved", PRIMARY),
    ("submitted", "url(#units-hatch)"),
    ("in_progress", "url(#units-dots)"),
]


def unit_progress(*, rows: list[dict], label: str) -> SafeString:
    """Per unit: its name and the share submitted (what the list is sorted by), then a stacked
    bar: approved solid, waiting for review hatched, in progress dotted, not started empty."""
    row, bar, top = 40, 14, 48
    usable = WIDTH - 2 * PAD
    parts = [_patterns("units")]
    parts.append(
        _legend(14, [(PRIMARY, _("approved")), ("url(#units-hatch)", _("awaiting review"))])
    )
    parts.append(_legend(34, [("url(#units-dots)", _("in progress")), ("", _("not started"))]))
    for i, r in enumerate(rows):
        y = top + i * row
        total = max(r["assigned"], 1)
        done = r.get("approved", 0) + r.get("submitted", 0)
        figures = _("%(percent)s%% submitted (%(done)s/%(all)s)") % {
            "percent": round(100 * done / total),
            "done": done,
            "all": r["assigned"],
        }
        parts.append(_text(PAD, y + 14, _fit(str(r["name"]), usable - len(figures) * CHAR - 10)))
        parts.append(_text(WIDTH - PAD, y + 14, figures, anchor="end", fill=MUTED))
        parts.append(
            f'<rect x="{PAD}" y="{y + 20}" width="{usable}" height="{bar}" fill="#fff" '
            f'stroke="{TRACK}"/>'
        )
        x = float(PAD)
        for key, fill in UNIT_SERIES:
            w = usable * r.get(key, 0) / total
            if w:
                stroke = {"approved": PRIMARY, "submitted": SUBMITTED}.get(key, IN_PROGRESS)
                parts.append(
                    f'<rect x="{x:.1f}" y="{y + 20}" width="{w:.1f}" height="{bar}" '
                    f'fill="{fill}" stroke="{stroke}"/>'
                )
            x += w
    return _svg(top + row * len(rows), label, "".join(parts))


def trend_columns(
    *,
    years: list,
    current_year: int,
    current: Decimal,
    target: str | None,
    target_points: Decimal | None,
    label: str,
    max_points: Decimal = Decimal("1000"),
) -> SafeString:
    """Each earlier year's final total as a solid column (the ministry's official score where
    recorded, else the internal one), and this year's so far hatched inside a dashed outline up
    to the target: a year in progress, not a fall from last year's final figure."""
    years = list(years)[-3:]  # four columns fit a phone with their words
    slots = len(years) + 1
    slot = (WIDTH - 2 * PAD) / slots
    col = min(46.0, slot * 0.6)
    base, plot = 150, 112  # the baseline and the height of 1000 points

    def y(value) -> float:
        return base - plot * float(min(max(Decimal(value), Decimal(0)), max_points)) / float(
            max_points
        )

    parts = [_patterns("across")]
    parts.append(f'<line x1="{PAD}" y1="{base}" x2="{WIDTH - PAD}" y2="{base}" stroke="{TRACK}"/>')
    for i, item in enumerate(years):
        cx = PAD + slot * (i + 0.5)
        top = y(item.verified)
        parts.append(
            f'<rect x="{cx - col / 2:.1f}" y="{top:.1f}" width="{col:.1f}" '
            f'height="{base - top:.1f}" fill="{PRIMARY}"/>'
        )
        parts.append(_text(cx, top - 5, _n(item.verified), anchor="middle", bold=True))
        parts.append(_text(cx, base + 17, str(item.year), anchor="middle"))
        parts.append(
            _text(
                cx,
                base + 33,
                _("official") if item.official else _("internal"),
                anchor="middle",
                fill=MUTED,
            )
        )
        if item.rank:
            parts.append(_text(cx, base + 49, item.rank, anchor="middle", fill=MUTED))
    cx = PAD + slot * (slots - 0.5)
    top = y(current)
    if target_points is not None:
        goal = y(target_points)
        parts.append(
            f'<rect x="{cx - col / 2 - 3:.1f}" y="{goal:.1f}" width="{col + 6:.1f}" '
            f'height="{base - goal:.1f}" fill="none" stroke="{TARGET}" stroke-width="2" '
            f'stroke-dasharray="5 3"/>'
        )
        parts.append(
            _text(
                cx,
                goal - 5,
                _("target %(points)s") % {"points": _bound(target_points)},
                anchor="middle",
                fill=TARGET,
                bold=True,
            )
        )
    parts.append(
        f'<rect x="{cx - col / 2:.1f}" y="{top:.1f}" width="{col:.1f}" height="{base - top:.1f}" '
        f'fill="url(#across-hatch-primary)" stroke="{PRIMARY}" stroke-width="1.5"/>'
    )
    value_y = min(top - 5, base - 5)
    if target_points is not None and abs(value_y - (y(target_points) - 5)) < 16:
        value_y = y(target_points) + 16  # inside the outline, under the target's words
    parts.append(_text(cx, value_y, _n(current), anchor="middle", bold=True, fill=PRIMARY))
    parts.append(_text(cx, base + 17, str(current_year), anchor="middle", bold=True))
    parts.append(_text(cx, base + 33, _("ongoing"), anchor="middle", fill=PRIMARY, bold=True))
    if target:
        parts.append(_text(cx, base + 49, target, anchor="middle", fill=TARGET))
    return _svg(base + 56, label, "".join(parts))


def pace_line(
    *,
    points: list[tuple[datetime.date, Decimal]],
    opens: datetime.date,
    closes: datetime.date,
    today: datetime.date,
    verified: Decimal,
    target: str | None,
    target_points: Decimal | None,
    label: str,
) -> SafeString:
    """The verified total through the self-assessment window, by date: the way come so far
    (solid) and, while days are left, the way still needed to the target at the deadline
    (dashed), under the target as a dashed line."""
    now = min(max(today, opens), closes)
    series = [(d, v) for d, v in points if opens <= d < now] + [(now, verified)]
    if series[0][0] > opens:  # nothing is verified before the window opens
        series.insert(0, (opens, Decimal(0)))
    top_value = max([verified, target_points or 0, *(v for _d, v in series)])
    ceiling = max(Decimal(100), ((Decimal(top_value) * Decimal("1.1")) / 100).to_integral() * 100)
    span = max((closes - opens).days, 1)
    left, right, top, base = PAD, WIDTH - PAD, 34, 140

    def x(day: datetime.date) -> float:
        return left + (right - left) * min(max((day - opens).days, 0), span) / span

    def y(value) -> float:
        return base - (base - top) * float(Decimal(value) / ceiling)

    parts = [f'<line x1="{left}" y1="{base}" x2="{right}" y2="{base}" stroke="{TRACK}"/>']
    if target_points is not None:
        ty = y(target_points)
        parts.append(
            f'<line x1="{left}" y1="{ty:.1f}" x2="{right}" y2="{ty:.1f}" stroke="{TARGET}" '
            f'stroke-width="2" stroke-dasharray="6 3"/>'
        )
        text = _("Target %(rank)s: %(points)s") % {"rank": target, "points": _bound(target_points)}
        parts.append(_text(right, ty - 6, text, anchor="end", fill=TARGET, bold=True))
        if today < closes and verified < target_points:
            parts.append(
                f'<line x1="{x(now):.1f}" y1="{y(verified):.1f}" x2="{x(closes):.1f}" '
                f'y2="{ty:.1f}" stroke="{TARGET}" stroke-width="2" stroke-dasharray="2 3"/>'
            )
    coords = " ".join(f"{x(d):.1f},{y(v):.1f}" for d, v in series)
    parts.append(
        f'<polyline fill="none" stroke="{PRIMARY}" stroke-width="3" points="{coords}"/>'
        f'<circle cx="{x(now):.1f}" cy="{y(verified):.1f}" r="4.5" fill="{PRIMARY}"/>'
    )
    value = _n(verified)
    cx, anchor = _placed(x(now), value)
    parts.append(_text(cx, y(verified) - 9, value, anchor=anchor, fill=PRIMARY, bold=True))
    first, last, here = _day(opens), _day(closes), _("today")
    parts.append(_text(left, base + 17, first, fill=MUTED))
    parts.append(_text(right, base + 17, last, anchor="end", fill=MUTED))
    # "Today" under its point, unless it would run into the window's dates.
    half = len(here) * CHAR / 2
    if (
        left + len(first) * CHAR + 6 < x(now) - half
        and x(now) + half < right - len(last) * CHAR - 6
    ):
        parts.append(_text(x(now), base + 17, here, anchor="middle", fill=TEXT))
    parts.append(_line_legend(base + 42))
    return _svg(base + 66, label, "".join(parts))


def _line_legend(y: float) -> str:
    """The pace chart's two lines, drawn as they appear, with their words, a row each."""
    return (
        f'<line x1="{PAD}" y1="{y - 5}" x2="{PAD + 18}" y2="{y - 5}" stroke="{PRIMARY}" '
        f'stroke-width="3"/>'
        + _text(PAD + 24, y, _("verified so far"))
        + f'<line x1="{PAD}" y1="{y + 13}" x2="{PAD + 18}" y2="{y + 13}" stroke="{TARGET}" '
        f'stroke-width="2" stroke-dasharray="2 3"/>'
        + _text(PAD + 24, y + 18, _("needed for the target"))
    )


def _drawn(name: str, inputs: tuple, draw):
    """Each chart drawn by score_charts: `draw()`, whatever it is drawn from (`inputs`)."""
    return draw()


def score_charts(*, period: Period, document: dict, trends: bool = False, kept=_drawn) -> dict:
    """The charts of a score document (indicators.score_document): the very SVG on the
    dashboards and in the PDF report. The gauge and the groups; with `trends` (the Bupati's
    views), the verified total's trends too, two queries on the snapshots. The units' progress
    has its own page and chart (unit_progress): drawing it here for hundreds of units cost a
    quarter of the Bupati's page. `kept(name, inputs, draw)` draws each chart, `inputs` naming
    everything it shows besides the period, the language and the snapshots: the dashboards
    keep each under them, so other points on a draft redraw the groups alone."""
    verified = Decimal(document["verified"])
    bands = [Band(b["name"], Decimal(b["lower_bound"])) for b in document["bands"]]
    target = document["target"]
    band = target_band(bands, target)
    target_points = band.lower_bound if band else None
    potential, rank = Decimal(document["potential"]), document["rank"]["verified"]
    groups = document["groups"]
    charts = {
        "gauge": kept(
            "gauge",
            (verified, potential, target, tuple(bands), rank),
            lambda: rank_gauge(
                verified=verified,
                potential=potential,
                target=target,
                bands=bands,
                label=_("Verified %(v)s of 1000 points (%(rank)s); potential %(p)s; target %(t)s")
                % {
                    "v": _n(verified),
                    "rank": rank or _("no rank"),
                    "p": _n(potential),
                    "t": target or "—",
                },
            ),
        ),
        "groups": kept(
            "groups",
            tuple((g["name"], g["max_points"], g["claimed"], g["verified"]) for g in groups),
            lambda: group_bars(groups=groups, label=_("Claimed and verified points per group")),
        ),
    }
    if trends:
        trend = selectors.trend_points(period=period)
        today = timezone.localdate()
        charts |= {
            "trend_across": kept(
                "trend-across",
                (verified, target, target_points),
                lambda: trend_columns(
                    years=trend["across"],
                    current_year=period.year,
                    current=verified,
                    target=target,
                    target_points=target_points,
                    label=_("Verified total across periods; this year in progress"),
                ),
            ),
            "trend_within": kept(
                "trend-within",
                (verified, target, target_points, today),
                lambda: pace_line(
                    points=trend["within"],
                    opens=period.window_opens,
                    closes=period.window_closes,
                    today=today,
                    verified=verified,
                    target=target,
                    target_points=target_points,
                    label=_("Verified total within this period, and the way still needed"),
                ),
            ),
        }
    return charts
