"""One number format across the product: every page and report of the demo district, read as
its users read it, holds no number with more than two decimals (a raw Decimal such as
"591.340000000000" or a float such as "0.3333"), and points are written the Indonesian way
(591,34) in Indonesian and the English way (591.34) in English."""

import html
import re
import subprocess

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

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
_TAGS = re.compile(r"<(script|style)\b.*?</\1>|<[^>]+>", re.S)


def visible_text(page: str) -> str:
    return html.unescape(_TAGS.sub(" ", page))


def offending(text: str, language: str) -> list[str]:
    found = []
    for match in TOO_LONG[language].finditer(text):
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
            reverse("kla:secretariat-home"), reverse("opd:review-queue"),
            reverse("kla:executive-home"), reverse("kla:executive-print"),
            reverse("kla:period-detail", args=[period.year]),
            reverse("kla:period-detail", args=[period.year - 1]),
            reverse("kla:executive-home") + f"?year={period.year - 1}",
            reverse("kla:audit-trail"), reverse("kla:reports"),
            reverse("opd:answer", args=[answer.question_id, answer.unit_id]),
            reverse("opd:documents"),
        ],
        "bupati": [reverse("kla:executive-home"), reverse("kla:executive-print")],
        "dinkes": [reverse("opd:workspace"), reverse("opd:documents")],
    }  # fmt: skip
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
    ],
)
def test_the_check_itself(text, language, bad):
    assert bool(offending(text, language)) is bad
