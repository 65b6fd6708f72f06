"""One number format across the product: every page and report of the demo district, read as
its users read it, holds no number with more than two decimals (a raw Decimal such as
"591.340000000000" or a float such as "0.3333"), and points are written the Indonesian way
(591,34) in Indonesian and the English way (591.34) in English."""

import datetime
import html
import re
import subprocess
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import translation

from core import formats
from indicators.models import Period, Question
from kla.demo import load_demo
from kla.reports.pdf import progress_report_pdf
from opd.models import Answer, Evidence, EvidenceRevision

pytestmark = pytest.mark.django_db

# Indonesian: a comma then three or more digits is a decimal part longer than two; a point
# then four or more digits cannot be a thousands group. English: the same with the marks
# swapped. A time (18:05), a date (30-11-2026) or a version has neither.
TOO_LONG = {
    "id": re.compile(r"\d,\d{3,}|\d\.\d{4,}"),
    "en": re.compile(r"\d\.\d{3,}|\d,\d{4,}"),
}
# An ungrouped thousand with decimals (1000,00 where 1.000,00 is meant).
UNGROUPED = {
    "id": re.compile(r"(?<![\d.])\d{4,},\d\d(?!\d)"),
    "en": re.compile(r"(?<![\d,])\d{4,}\.\d\d(?!\d)"),
}
_TAGS = re.compile(r"<(script|style)\b.*?</\1>|<[^>]+>", re.S)


def visible_text(page: str) -> str:
    return html.unescape(_TAGS.sub(" ", page))


def offending(text: str, language: str) -> list[str]:
    found = []
    matches = [*TOO_LONG[language].finditer(text), *UNGROUPED[language].finditer(text)]
    for match in matches:
        start = max(0, match.start() - 30)
        found.append(text[start : match.end() + 10].replace("\n", " "))
    return found


@pytest.fixture
def demo(db):
    load_demo()
    return Period.objects.get(year=2027)


def _pages(period: Period) -> dict[str, list[str]]:
    answer = (
        Answer.objects.filter(question__indicator__group__period=period, status="submitted")
        .order_by("pk")
        .first()
    )
    table = Question.objects.filter(indicator__group__period=period, every_kecamatan=True).first()
    revision = EvidenceRevision.objects.first()
    pages = {
        "sekretariat": [
            reverse("kla:secretariat-home"),
            reverse("opd:review-queue"),
            reverse("kla:executive-home"),
            reverse("kla:executive-print"),
            reverse("kla:period-detail", args=[period.year]),
            reverse("kla:period-detail", args=[period.year - 1]),
            reverse("kla:executive-home") + f"?year={period.year - 1}",
            reverse("kla:audit-trail"),
            reverse("kla:reports"),
            reverse("opd:answer", args=[answer.question_id, answer.unit_id]),
            reverse("opd:documents"),
        ],
        "bupati": [reverse("kla:executive-home"), reverse("kla:executive-print")],
        "dinkes": [reverse("opd:workspace"), reverse("opd:documents")],
    }
    if table is not None:
        pages["sekretariat"].append(reverse("opd:question-table", args=[table.pk]))
    if revision is not None:
        pages["sekretariat"].append(reverse("opd:document-register", args=[revision.pk]))
    return pages


@pytest.mark.parametrize("language", ["id", "en"])
def test_no_page_shows_more_than_two_decimals(client, demo, language):
    # A value with many decimals where a raw Decimal would show them, if a page printed one.
    assert Evidence.objects.exists()
    client.cookies["django_language"] = language
    problems = []
    for username, urls in _pages(demo).items():
        client.force_login(get_user_model().objects.get(username=username))
        for url in urls:
            response = client.get(url, HTTP_ACCEPT_LANGUAGE=language)
            assert response.status_code == 200, url
            text = visible_text(response.content.decode())
            problems += [f"{url}: …{p}…" for p in offending(text, language)]
    assert problems == []


def test_the_pdf_report_shows_no_more_than_two_decimals(demo, tmp_path):
    for period in (demo, Period.objects.get(year=demo.year - 1)):
        path = tmp_path / f"report-{period.year}.pdf"
        path.write_bytes(progress_report_pdf(period=period))
        text = subprocess.run(
            ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
        ).stdout
        assert "," in text  # Indonesian decimals are there to be checked
        assert offending(text, "id") == []


@pytest.mark.parametrize(
    ("text", "language", "bad"),
    [
        ("Terverifikasi 591,34 poin", "id", False),
        ("total 1.234,56", "id", False),
        ("591.340000000000", "id", True),
        ("0,3333 poin", "id", True),
        ("Verified 591.34 points", "en", False),
        ("1,234.56", "en", False),
        ("591.340000000000", "en", True),
        ("diperbarui 18:05, 30-11-2026", "id", False),
        ("Maksimum 1000,00 poin", "id", True),
        ("Maksimum 1.000,00 poin", "id", False),
        ("out of 1000.00", "en", True),
        ("out of 1,000.00", "en", False),
        ("tahun 2027, 2026", "id", False),
    ],
)
def test_the_check_itself(text, language, bad):
    assert bool(offending(text, language)) is bad


@pytest.mark.parametrize(
    ("function", "args", "language", "expected"),
    [
        (formats.points, ("1000",), "id", "1.000,00"),
        (formats.points, ("1000",), "en", "1,000.00"),
        (formats.points, (Decimal("591.34"),), "id", "591,34"),
        (formats.points, (None,), "id", "—"),
        (formats.points, ("x",), "id", "x"),
        (formats.bound, ("701.00",), "id", "701"),
        (formats.bound, ("600.50",), "id", "600,50"),
        (formats.percent, (Decimal("45.5"), 1), "id", "45,5%"),
        (formats.percent, (45,), "en", "45%"),
        (formats.day, (datetime.date(2027, 3, 31),), "id", "31 Maret 2027"),
        (formats.day, (datetime.date(2027, 3, 31),), "en", "31 March 2027"),
    ],
)
def test_the_one_formats_module(function, args, language, expected):
    with translation.override(language):
        assert function(*args) == expected


# A template printing points: a variable ending in "points" (claimed_points, max_points,
# points_at_risk ends otherwise and is listed), and the filters that write them the one way.
_POINTS_VARIABLE = re.compile(r"\{\{\s*([\w.]*(?:_points|points_at_risk)\b[^}]*)\}\}")
_POINTS_FILTERS = re.compile(r"\|(points|bound|audit_value)\b")


def test_every_template_writes_points_through_the_formats_module():
    """Django's own localisation writes 1000,00 where the product writes 1.000,00: a template
    printing an answer's or a question's points passes them through a filter of core.formats
    (the answer page's header and the digest mail printed them raw)."""
    from pathlib import Path

    raw = []
    for template in sorted(Path("templates").rglob("*.*")):
        for match in _POINTS_VARIABLE.finditer(template.read_text()):
            if not _POINTS_FILTERS.search(match.group(1)):
                raw.append(f"{template}: {{{{ {match.group(1).strip()} }}}}")
    assert raw == []


def test_the_whatsapp_summary_and_the_recap_write_numbers_and_labels_the_one_way(demo):
    from openpyxl import load_workbook

    from kla.reports.xlsx import rekap_workbook
    from kla.whatsapp import whatsapp_summary

    with translation.override("id"):
        text = whatsapp_summary(period=demo)
    assert offending(text, "id") == [] and re.search(r"\d,\d\d", text)
    locked = Period.objects.get(year=demo.year - 1)
    path = "/tmp/kla-recap-test.xlsx"
    rekap_workbook(period=locked).save(path)
    cells = [
        c for row in load_workbook(path).worksheets[0].iter_rows(values_only=True) for c in row
    ]
    assert "Dikunci" in cells and "locked" not in cells  # the status's label, not its code
