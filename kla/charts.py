"""Charts drawn on the server as SVG: the same markup in the pages and in the PDF report.

No JavaScript and nothing from the internet; each chart carries a <title> and an aria-label
as its text alternative, and uses presentation attributes (never style="") so it works under
the Content-Security-Policy. Colours follow the rank bands (static/css/kla.css).
"""

from decimal import Decimal
from xml.sax.saxutils import escape

from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from indicators.models import Period
from indicators.scoring import Band
from kla import selectors

BAND_COLOURS = {
    None: "#e9ecef", "Pratama": "#f6d186", "Madya": "#9fd8a8", "Nindya": "#5bb6a3",
    "Utama": "#2f8fb5", "KLA": "#3d5a98",
}  # fmt: skip
PRIMARY = "#0b6e4f"
CLAIMED = "#9ec5fe"
TEXT = "#212529"


def _e(text) -> str:
    return escape(str(text), {'"': "&quot;"})


def _svg(width: int, height: int, label: str, body: str) -> SafeString:
    return mark_safe(  # noqa: S308 - every text is escaped by _e
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="100%" '
        f'role="img" aria-label="{_e(label)}" font-family="DejaVu Sans, Arial, sans-serif">'
        f"<title>{_e(label)}</title>{body}</svg>"
    )


def rank_gauge(
    *, verified: Decimal, claimed: Decimal | None, bands: list, target: str | None,
    max_points: Decimal = Decimal("1000"), label: str = "",
) -> SafeString:  # fmt: skip
    """A 0-1000 scale with the bands shaded, the verified total marked, the target shown."""
    width, left, right, top, bar = 640, 10, 10, 28, 26
    scale = (width - left - right) / float(max_points or 1)

    def x(value) -> float:
        return left + float(min(max(Decimal(value), Decimal(0)), max_points)) * scale

    bounds = sorted(bands, key=lambda b: b.lower_bound)
    parts = [
        f'<rect x="{left}" y="{top}" width="{width - left - right}" height="{bar}" fill="{BAND_COLOURS[None]}"/>'
    ]
    for i, band in enumerate(bounds):
        end = bounds[i + 1].lower_bound if i + 1 < len(bounds) else max_points
        parts.append(
            f'<rect x="{x(band.lower_bound):.1f}" y="{top}" width="{x(end) - x(band.lower_bound):.1f}" '
            f'height="{bar}" fill="{BAND_COLOURS.get(band.name, "#ced4da")}"/>'
            f'<text x="{(x(band.lower_bound) + x(end)) / 2:.1f}" y="{top + 17}" font-size="11" '
            f'text-anchor="middle" fill="{TEXT}">{_e(band.name)}</text>'
        )  # fmt: skip
        if band.name == target:
            parts.append(
                f'<line x1="{x(band.lower_bound):.1f}" y1="{top - 6}" x2="{x(band.lower_bound):.1f}" '
                f'y2="{top + bar + 6}" stroke="#dc3545" stroke-width="2" stroke-dasharray="4 2"/>'
                f'<text x="{x(band.lower_bound):.1f}" y="{top - 9}" font-size="10" text-anchor="middle" '
                f'fill="#dc3545">target {_e(band.name)}</text>'
            )  # fmt: skip
    if claimed is not None:
        parts.append(
            f'<line x1="{x(claimed):.1f}" y1="{top}" x2="{x(claimed):.1f}" y2="{top + bar}" '
            f'stroke="#0d6efd" stroke-width="2"/>'
        )
    vx = x(verified)
    parts.append(
        f'<polygon points="{vx - 7:.1f},{top + bar + 14} {vx + 7:.1f},{top + bar + 14} {vx:.1f},{top + bar + 2}" '
        f'fill="{PRIMARY}" data-value="{verified}"/>'
        f'<text x="{vx:.1f}" y="{top + bar + 28}" font-size="12" font-weight="bold" text-anchor="middle" '
        f'fill="{PRIMARY}">{_e(verified)}</text>'
    )  # fmt: skip
    for tick in range(0, int(max_points) + 1, 100):
        parts.append(f'<text x="{x(tick):.1f}" y="{top + bar + 44}" font-size="9" '
                     f'text-anchor="middle" fill="#6c757d">{tick}</text>')  # fmt: skip
    return _svg(width, 110, label or f"{verified} / {max_points}", "".join(parts))


def group_bars(*, groups: list[dict], label: str) -> SafeString:
    """Per group: the maximum as an outline, claimed (light) and verified (dark) as bars.

    groups: dicts with name, max_points, claimed, verified (Decimals or their strings).
    """
    row, label_w, width = 30, 190, 640
    biggest = max((float(g["max_points"]) for g in groups), default=1.0) or 1.0
    usable = width - label_w - 60
    parts = []
    for i, g in enumerate(groups):
        y = 8 + i * row
        w_max = usable * float(g["max_points"]) / biggest
        w_claimed = usable * float(g["claimed"]) / biggest
        w_verified = usable * float(g["verified"]) / biggest
        parts.append(
            f'<text x="0" y="{y + 15}" font-size="11" fill="{TEXT}">{_e(str(g["name"])[:30])}</text>'
            f'<rect x="{label_w}" y="{y + 2}" width="{w_max:.1f}" height="18" fill="none" stroke="#adb5bd"/>'
            f'<rect x="{label_w}" y="{y + 2}" width="{w_claimed:.1f}" height="18" fill="{CLAIMED}"/>'
            f'<rect x="{label_w}" y="{y + 6}" width="{w_verified:.1f}" height="10" fill="{PRIMARY}"/>'
            f'<text x="{label_w + w_max + 4:.1f}" y="{y + 15}" font-size="10" fill="{TEXT}">'
            f'{_e(g["verified"])} / {_e(g["max_points"])}</text>'
        )  # fmt: skip
    return _svg(width, 16 + row * len(groups), label, "".join(parts))


def unit_progress(*, rows: list[dict], label: str) -> SafeString:
    """Stacked bars per unit: approved, submitted, in progress, not started (counts)."""
    row, label_w, width = 22, 170, 640
    usable = width - label_w - 40
    colours = [("approved", "#198754"), ("submitted", "#0d6efd"), ("in_progress", "#ffc107"),
               ("not_started", "#dee2e6")]  # fmt: skip
    parts = []
    for i, r in enumerate(rows):
        y = 6 + i * row
        total = max(r["assigned"], 1)
        x = label_w
        parts.append(
            f'<text x="0" y="{y + 13}" font-size="10" fill="{TEXT}">{_e(str(r["name"])[:28])}</text>'
        )
        for key, colour in colours:
            w = usable * r.get(key, 0) / total
            if w:
                parts.append(
                    f'<rect x="{x:.1f}" y="{y + 2}" width="{w:.1f}" height="14" fill="{colour}"/>'
                )
            x += w
        parts.append(f'<text x="{label_w + usable + 4}" y="{y + 13}" font-size="10" fill="{TEXT}">'
                     f'{r.get("approved", 0)}/{r["assigned"]}</text>')  # fmt: skip
    return _svg(width, 12 + row * len(rows), label, "".join(parts))


def trend_line(
    *, points: list[tuple[str, Decimal]], label: str, max_points: Decimal = Decimal("1000")
) -> SafeString:
    """Verified totals over time: (label, value) pairs, oldest first."""
    width, height, pad = 640, 160, 30
    if not points:
        return _svg(
            width,
            40,
            label,
            f'<text x="10" y="24" font-size="12" fill="#6c757d">{_e(label)}: —</text>',
        )
    step = (width - 2 * pad) / max(len(points) - 1, 1)

    def y(value) -> float:
        return height - pad - (height - 2 * pad) * float(value) / float(max_points or 1)

    coords = [(pad + i * step, y(v)) for i, (_l, v) in enumerate(points)]
    parts = [
        f'<line x1="{pad}" y1="{height - pad}" x2="{width - pad}" y2="{height - pad}" stroke="#adb5bd"/>'
    ]
    parts.append('<polyline fill="none" stroke="' + PRIMARY + '" stroke-width="2" points="'
                 + " ".join(f"{cx:.1f},{cy:.1f}" for cx, cy in coords) + '"/>')  # fmt: skip
    for (cx, cy), (text, value) in zip(coords, points, strict=True):
        parts.append(
            f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="3.5" fill="{PRIMARY}"/>'
            f'<text x="{cx:.1f}" y="{cy - 8:.1f}" font-size="10" text-anchor="middle" fill="{TEXT}">{_e(value)}</text>'
            f'<text x="{cx:.1f}" y="{height - pad + 14}" font-size="10" text-anchor="middle" fill="#6c757d">{_e(text)}</text>'
        )  # fmt: skip
    return _svg(width, height, label, "".join(parts))


def score_charts(*, period: Period, document: dict, units: list | None = None) -> dict:
    """The charts of a score document (indicators.score_document): the very SVG on the
    dashboards and in the PDF report. The gauge and the groups; given the units (the Bupati's
    views), their progress and the verified total's trends too, two queries on the snapshots."""
    verified = Decimal(document["verified"])
    charts = {
        "gauge": rank_gauge(
            verified=verified, claimed=Decimal(document["claimed"]), target=document["target"],
            bands=[Band(b["name"], Decimal(b["lower_bound"])) for b in document["bands"]],
            label=_("Verified %(v)s of 1000 points (%(rank)s); claimed %(c)s; target %(t)s")
            % {"v": document["verified"], "rank": document["rank"]["verified"] or _("no rank"),
               "c": document["claimed"], "t": document["target"] or "—"},
        ),
        "groups": group_bars(
            groups=document["groups"], label=_("Claimed and verified points per group")
        ),
    }  # fmt: skip
    if units is not None:
        trend = selectors.trend_points(period=period)
        charts |= {
            "units": unit_progress(
                rows=[u.chart_row for u in units], label=_("Progress of the units, ranked")
            ),
            "trend_across": trend_line(
                points=[*trend["across"], (str(period.year), verified)],
                label=_("Verified total across periods"),
            ),
            "trend_within": trend_line(
                points=trend["within"], label=_("Verified total within this period")
            ),
        }
    return charts
