"""The progress report for the Bupati, as a PDF rendered by WeasyPrint.

The HTML template is rendered in the requested language; fonts are embedded from the
system's DejaVu files; nothing is fetched from the network: the URL fetcher only serves
file:// URLs under the project's static folder or the font folder.
"""

import json
import re
from decimal import Decimal
from pathlib import Path
from urllib.parse import unquote, urlparse

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _
from weasyprint import HTML
from weasyprint.urls import URLFetcher

from indicators.models import Period
from kla import charts, evaluation
from kla import selectors as dash
from kla.reports.common import jakarta_now
from kla.reports.points import report_score
from opd import risk
from opd import selectors as opd_selectors

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")


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


def css_string(text: str) -> str:
    """Text as a CSS string literal (for `content:` in @page rules). The literal sits in a
    <style> element, where "</style>" in the text (a question code, say) would end the
    stylesheet and start markup: "<" is written as the CSS escape of its code point."""
    return json.dumps(text, ensure_ascii=False).replace("<", "\\3c ")


def page_counter_content(label: str = "") -> str:
    """'Page 1 of 3' in the active language (or `label`, a translated text with the same two
    placeholders), as CSS content with the page counters."""
    label = label or _("Page %(page)s of %(pages)s")
    parts = re.split(r"(%\(page\)s|%\(pages\)s)", label)
    pieces = []
    for part in parts:
        if part == "%(page)s":
            pieces.append("counter(page)")
        elif part == "%(pages)s":
            pieces.append("counter(pages)")
        elif part:
            pieces.append(css_string(part))
    return " ".join(pieces)


def report_context(*, period: Period) -> dict:
    report = report_score(period=period, unit_sort="progress")
    document = report.document
    generated = jakarta_now()
    # The summary page reads the dashboard's own figures, from the same selectors.
    engine_score = dash.period_score(period=period)
    groups = []
    for g in document["groups"]:
        maximum = Decimal(g["max_points"])
        groups.append({**g, "percent": 100 * Decimal(g["verified"]) / maximum if maximum else 0})
    return {
        "period": period,
        "district": settings.KLA_DISTRICT_NAME,
        "score": document,
        "target_lower": report.target_lower,
        "groups": groups,
        "units": report.units,
        "generated": generated,
        "font_dir": FONT_DIR.as_uri(),
        "page_counter": page_counter_content(),
        "footer_text": css_string(
            _("Generated on %(moment)s WIB") % {"moment": generated.strftime("%d-%m-%Y %H:%M")}
        ),
        "charts": charts.score_charts(period=period, document=document, trends=True),
        "engine_score": engine_score,
        "headline": dash.period_on_track(period=period, score=engine_score),
        # What fits the summary page with its signature: five actions, four units behind
        # (the list says how many are behind in all).
        "actions": dash.top_actions(period=period, score=engine_score, groups=5, per_group=1),
        "lagging": dash.lagging_units(period=period, units=report.units, limit=4),
        "behind_count": sum(u.behind for u in report.units),
        "documents": opd_selectors.period_documents(period=period),
        # The task force as the decree sets it up (its decree, its members), listed at the end.
        "task_force": opd_selectors.task_force_of(period),
        # Where points were lost, in the latest year the ministry has scored (this or before).
        "last_losses": evaluation.latest_losses(period=period),
        # Points at risk before the ministry sees them, and the high-risk answers (reasons in
        # the report's language: read when rendered).
        "at_risk": [row for row in risk.flagged_rows(period) if row["level"] == "high"],
        "at_risk_points": risk.points_at_risk(period),
        "signatory": settings.KLA_SIGNATORY_TITLE,
        "signatory_name": settings.KLA_SIGNATORY_NAME,
        "signature_place": settings.KLA_SIGNATURE_PLACE,
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
