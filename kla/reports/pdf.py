"""The progress report for the Bupati, as a PDF rendered by WeasyPrint.

The HTML template is rendered in the requested language; fonts are embedded from the
system's DejaVu files; nothing is fetched from the network: the URL fetcher only serves
file:// URLs under the project's static folder or the font folder.
"""

import json
import re
from pathlib import Path
from urllib.parse import unquote, urlparse

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _
from weasyprint import HTML
from weasyprint.urls import URLFetcher

from indicators.models import Period
from kla import charts
from kla import selectors as dash
from kla.reports.common import jakarta_now
from kla.reports.points import ReportScore, report_score

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
GAP_ROWS = 10


class LocalOnlyFetcher(URLFetcher):
    """Serves file:// URLs under the allowed folders; refuses everything else."""

    def __init__(self, *, roots: list[Path] | None = None, **kwargs):
        super().__init__(allowed_protocols=["file"], allow_redirects=False, **kwargs)
        self.roots = [r.resolve() for r in (roots or allowed_roots())]

    def is_allowed(self, url: str) -> bool:
        parsed = urlparse(url)
        if parsed.scheme != "file" or parsed.netloc not in ("", "localhost"):
            return False
        path = Path(unquote(parsed.path)).resolve()
        return any(path.is_relative_to(root) for root in self.roots) and path.is_file()

    def fetch(self, url, headers=None):
        if not self.is_allowed(url):
            raise ValueError(f"Refused to fetch {url!r}: only local static files and fonts.")
        return super().fetch(url, headers)


def allowed_roots() -> list[Path]:
    return [Path(settings.BASE_DIR) / "static", FONT_DIR]


def _css_string(text: str) -> str:
    """Text as a CSS string literal (for `content:` in @page rules)."""
    return json.dumps(text, ensure_ascii=False)


def page_counter_content() -> str:
    """'Page 1 of 3' in the active language, as CSS content with the page counters."""
    label = _("Page %(page)s of %(pages)s")
    parts = re.split(r"(%\(page\)s|%\(pages\)s)", label)
    pieces = []
    for part in parts:
        if part == "%(page)s":
            pieces.append("counter(page)")
        elif part == "%(pages)s":
            pieces.append("counter(pages)")
        elif part:
            pieces.append(_css_string(part))
    return " ".join(pieces)


def report_charts(*, period: Period, score: ReportScore) -> dict:
    """The dashboard's charts (kla.charts) drawn from the same data, for inline SVG."""
    result = score.score
    groups = [
        {"name": g.name, "max_points": g.max_points, "claimed": g.points.claimed,
         "verified": g.points.verified}
        for g in result.groups
    ]  # fmt: skip
    trend = dash.trend_points(period=period)
    return {
        "gauge": charts.rank_gauge(
            verified=result.verified, claimed=result.claimed,
            bands=list(period.rank_bands.all()), target=result.target,
            label=_("Verified %(v)s of 1000 points (%(rank)s); claimed %(c)s; target %(t)s")
            % {"v": result.verified, "rank": result.rank_verified or _("no rank"),
               "c": result.claimed, "t": result.target or "—"},
        ),
        "groups": charts.group_bars(
            groups=groups, label=_("Claimed and verified points per group")
        ),
        "units": charts.unit_progress(
            rows=[u.chart_row for u in score.units], label=_("Progress of the units, ranked")
        ),
        "trend_across": charts.trend_line(
            points=[*trend["across"], (str(period.year), result.verified)],
            label=_("Verified total across periods"),
        ),
        "trend_within": charts.trend_line(
            points=trend["within"], label=_("Verified total within this period")
        ),
    }  # fmt: skip


def report_context(*, period: Period) -> dict:
    score = report_score(period=period, unit_sort="progress")
    generated = jakarta_now()
    items = {
        item.question.pk: (group_rows.group, indicator_rows.indicator, item)
        for group_rows in score.rows
        for indicator_rows in group_rows.indicators
        for item in indicator_rows.questions
    }
    gaps = []
    for question_score in score.score.gaps[:GAP_ROWS]:
        group, indicator, item = items[question_score.id]
        gaps.append(
            {
                "group": group,
                "indicator": indicator,
                "question": item.question,
                "units": [u for u in [item.lead, *item.supporting] if u],
                "status": item.status_display,
                "verified": question_score.points.verified,
                "gap": question_score.missing,
            }
        )
    groups = []
    for group_score in score.score.groups:
        points = group_score.points
        maximum = group_score.max_points
        groups.append(
            {
                "name": group_score.name,
                "max": maximum,
                "claimed": points.claimed,
                "verified": points.verified,
                "potential": points.potential,
                "percent": (100 * points.verified / maximum) if maximum else 0,
            }
        )
    return {
        "period": period,
        "district": settings.KLA_DISTRICT_NAME,
        "score": score,
        "groups": groups,
        "gaps": gaps,
        "units": score.units,
        "generated": generated,
        "font_dir": FONT_DIR.as_uri(),
        "page_counter": page_counter_content(),
        "footer_text": _css_string(
            _("Generated on %(moment)s WIB") % {"moment": generated.strftime("%d-%m-%Y %H:%M")}
        ),
        "charts": report_charts(period=period, score=score),
    }


def progress_report_html(*, period: Period, language: str = "id") -> str:
    with translation.override(language):
        context = report_context(period=period)
        return render_to_string("reports/progress_report.html", context)


def progress_report_pdf(*, period: Period, language: str = "id") -> bytes:
    html = progress_report_html(period=period, language=language)
    document = HTML(
        string=html,
        base_url=(Path(settings.BASE_DIR) / "static").as_uri() + "/",
        url_fetcher=LocalOnlyFetcher(),
    )
    return document.write_pdf()
