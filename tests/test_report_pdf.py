"""The PDF progress report: what it says (pdftotext), A4, fonts embedded, nothing fetched."""

import io
import re
import subprocess
from html import unescape

import pytest
from django.core.management import call_command
from django.test.utils import override_settings
from django.urls import reverse
from django.utils import formats, translation

from kla.reports.pdf import LocalOnlyFetcher, page_counter_content, progress_report_pdf
from opd.models import AuditEvent
from opd.scoring import score_period
from tests.test_report_xlsx import build_period

pytestmark = pytest.mark.django_db

DISTRICT = "Kabupaten Uji Laporan"


def pdf_text(content: bytes, tmp_path) -> str:
    path = tmp_path / "report.pdf"
    path.write_bytes(content)
    result = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    )
    return result.stdout


def pdf_tool(tool: str, content: bytes, tmp_path) -> str:
    path = tmp_path / "report.pdf"
    path.write_bytes(content)
    return subprocess.run([tool, str(path)], capture_output=True, text=True, check=True).stdout


def _score(period):
    return score_period(period=period)


@override_settings(KLA_DISTRICT_NAME=DISTRICT)
def test_report_says_district_total_and_rank(period, tmp_path):
    build_period(period, extra_questions=0)
    score = _score(period)
    content = progress_report_pdf(period=period, language="id")
    text = pdf_text(content, tmp_path)
    assert DISTRICT in text
    with translation.override("id"):
        verified = formats.number_format(score.verified, 2)
    assert verified == "27,58"  # Indonesian decimals, as the report prints them
    assert verified in text
    assert str(period.year) in text
    # 27.58 points is below every band: the report says so rather than naming a rank.
    assert score.rank_verified is None
    assert "Kec1" in text and "25.1" in text  # progress per unit, largest gaps


@override_settings(KLA_DISTRICT_NAME=DISTRICT)
def test_report_names_the_rank(period, tmp_path):
    build_period(period, extra_questions=0)
    band = period.rank_bands.get(name="Pratama")
    band.lower_bound = "20.00"
    band.save(update_fields=["lower_bound"])
    score = _score(period)
    assert score.rank_verified == "Pratama"
    text = pdf_text(progress_report_pdf(period=period, language="en"), tmp_path)
    assert "Pratama" in text
    assert "27.58" in text  # English decimals
    assert "Page 1 of" in text


def test_a4_and_fonts_embedded(period, tmp_path):
    build_period(period)
    content = progress_report_pdf(period=period, language="id")
    info = pdf_tool("pdfinfo", content, tmp_path)
    assert re.search(r"Page size:\s+595(\.\d+)? x 84[12](\.\d+)? pts \(A4\)", info), info
    pages = int(re.search(r"Pages:\s+(\d+)", info).group(1))
    assert pages >= 2  # the cover, then the report
    fonts = pdf_tool("pdffonts", content, tmp_path).splitlines()[2:]
    assert fonts, "no fonts listed"
    assert all("DejaVu" in line for line in fonts), fonts
    # pdffonts columns: name type encoding emb sub uni object ID
    assert all(line.split()[-5] == "yes" for line in fonts), fonts
    text = pdf_text(content, tmp_path)
    assert re.search(rf"\b1\b.*\b{pages}\b", text)  # page counter in the footer
    assert "WIB" in text
    assert "Nindya" in text and "Utama" in text  # the rank gauge's bands, drawn as SVG text


def test_empty_period_still_renders(period, tmp_path):
    content = progress_report_pdf(period=period, language="id")
    assert content.startswith(b"%PDF")
    text = pdf_text(content, tmp_path)
    with translation.override("id"):
        assert formats.number_format(0, 2) in text


def test_fetcher_refuses_everything_but_local_static_and_fonts(tmp_path, settings):
    fetcher = LocalOnlyFetcher()
    assert fetcher.is_allowed("file:///usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
    assert fetcher.is_allowed((settings.BASE_DIR / "static" / "css" / "kla.css").as_uri())
    for url in (
        "https://example.com/logo.png",
        "http://127.0.0.1:8000/static/css/kla.css",
        "file:///etc/passwd",
        (settings.BASE_DIR / "static" / ".." / "kla" / "settings.py").as_uri(),
        "file://evil.example/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
        "data:text/plain,hello",
    ):
        assert not fetcher.is_allowed(url), url
        with pytest.raises(ValueError, match="Refused"):
            fetcher.fetch(url)


def test_remote_resources_are_not_fetched(period, monkeypatch):
    """A template that asks for a remote image gets nothing: the fetcher refuses it."""
    asked = []
    original = LocalOnlyFetcher.fetch

    def spy(self, url, headers=None):
        asked.append(url)
        return original(self, url, headers)

    monkeypatch.setattr(LocalOnlyFetcher, "fetch", spy)
    monkeypatch.setattr(
        "kla.reports.pdf.progress_report_html",
        lambda **kw: '<img src="https://example.com/x.png"><p>halo</p>',
    )
    assert progress_report_pdf(period=period).startswith(b"%PDF")
    assert asked == ["https://example.com/x.png"]


def test_page_counter_follows_the_language():
    with translation.override("en"):
        assert page_counter_content() == '"Page " counter(page) " of " counter(pages)'


def test_export_report_command(period, tmp_path):
    build_period(period)
    out = tmp_path / "laporan.pdf"
    stdout = io.StringIO()
    call_command(
        "export_report",
        "--period",
        str(period.year),
        "--out",
        str(out),
        "--language",
        "en",
        stdout=stdout,
    )
    assert out.read_bytes().startswith(b"%PDF")
    assert "KLA progress report, period" in pdf_text(out.read_bytes(), tmp_path)


def test_download_in_the_users_language_is_audited(period, client_for, executive_user, tmp_path):
    build_period(period)
    client = client_for(executive_user)
    client.cookies["django_language"] = "en"
    response = client.get(reverse("kla:report-pdf", args=[period.year]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert f"laporan-kla-{period.year}.pdf" in response["Content-Disposition"]
    assert "KLA progress report, period" in pdf_text(response.content, tmp_path)
    event = AuditEvent.objects.get(action=AuditEvent.Action.EXPORT)
    assert event.data == {"kind": "pdf", "language": "en"}


def test_charts_are_the_dashboards(period, client_for, executive_user):
    """The report inlines the very SVG the Bupati's dashboard shows, in the same language."""
    from kla.reports.pdf import progress_report_html

    build_period(period)
    client = client_for(executive_user)
    client.cookies["django_language"] = "en"
    page = client.get(reverse("kla:executive-home") + f"?year={period.year}").content.decode()
    dashboard_svgs = re.findall(r"<svg .*?</svg>", page, flags=re.S)
    assert len(dashboard_svgs) >= 4
    html = progress_report_html(period=period, language="en")
    report_svgs = re.findall(r"<svg .*?</svg>", html, flags=re.S)
    # gauge, groups, two trends (the units are a table on paper: their chart repeated it)
    assert len(report_svgs) == 4
    # As read: the page writes characters beyond ASCII as references (core.page_cache).
    for svg in dashboard_svgs:
        assert unescape(svg) in [unescape(report_svg) for report_svg in report_svgs]


def test_the_reports_summary_is_the_dashboards(client_for, executive_user, tmp_path):
    """The report's first page shows the figures the Bupati's page shows, as its users read
    them: the verdict, verified, potential, awaiting review, claimed, submitted, days left."""
    from indicators.models import Period
    from kla.demo import load_demo

    load_demo()
    period = Period.objects.get(year=2027)
    page = client_for(executive_user).get(reverse("kla:executive-home")).content.decode()
    figures = {}
    for name, end in (
        ("on-track-word", "</p>"),
        ("headline-verified", "</"),
        ("headline-days", "<span"),
        ("submitted-total", "</"),
    ):
        found = re.search(rf'data-testid="{name}"[^>]*>(.*?){end}', page, flags=re.S)
        figures[name] = re.sub(r"<[^>]+>|\s+", " ", found.group(1)).strip()
    for label in ("Potensial", "Menunggu ditinjau", "Diklaim (termasuk draf)"):
        found = re.search(rf"<dt>{re.escape(label)}</dt><dd>([^<]*)", page)
        figures[label] = found.group(1).strip()
    first_page = pdf_text(progress_report_pdf(period=period), tmp_path)
    first_page = re.sub(r"\s+", " ", first_page.split("\f")[0])
    for name, value in figures.items():
        assert value and value in first_page, (name, value)
    assert re.search(r"\d+,\d\d", figures["headline-verified"])  # Indonesian decimals
    assert "Halaman 1 dari" in first_page and "per " in first_page
