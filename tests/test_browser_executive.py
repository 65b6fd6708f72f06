"""The main pages as the Bupati, the secretariat and a unit see them, on a desktop (1366 px)
and a phone (390 px), on the demo: screenshots for people to look at (var/screenshots/),
axe-core (from npm) finding no serious or critical accessibility violation, chart text no
smaller than 12 px as rendered, and the print view on exactly one A4 page."""

import io
from pathlib import Path

import pikepdf
import pytest
from django.conf import settings

from kla.demo import DEMO_PASSWORD, load_demo
from tests.browser import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = Path(settings.BASE_DIR) / "node_modules" / "axe-core" / "axe.min.js"
SHOTS = Path(settings.BASE_DIR) / "var" / "screenshots"
WIDTHS = {"desktop": (1366, 900), "phone": (390, 844)}
# (name, who, path): every page a person of each role reaches from the navigation and the
# pages' own links, on the demo; "{answer}", "{review}" and "{table}" are filled in from it.
PAGES = [
    ("login", None, "/masuk/"),
    ("password-reset", None, "/akun/reset/"),
    ("executive", "bupati", "/pimpinan/"),
    ("executive-units", "bupati", "/pimpinan/unit/"),
    ("executive-print", "bupati", "/pimpinan/cetak/"),
    ("executive-reports", "bupati", "/laporan/"),
    ("password-change", "bupati", "/akun/sandi/"),
    ("secretariat", "sekretariat", "/sekretariat/"),
    ("review-queue", "sekretariat", "/opd/tinjauan/"),
    ("review-answer", "sekretariat", "{review}"),
    ("whatsapp-summary", "sekretariat", "/sekretariat/ringkasan-whatsapp/"),
    ("audit", "sekretariat", "/sekretariat/audit/"),
    ("extensions", "sekretariat", "/sekretariat/perpanjangan/"),
    ("reports", "sekretariat", "/laporan/"),
    ("period-edit", "sekretariat", "/sekretariat/periode/2027/"),
    ("period-detail", "sekretariat", "/instrumen/2027/"),
    ("instrument-import", "sekretariat", "/instrumen/impor/"),
    ("people-import", "sekretariat", "/sekretariat/impor-orang/"),
    ("table-secretariat", "sekretariat", "{table}"),
    ("workspace", "dinkes", "/opd/"),
    ("answer", "dinkes", "{answer}"),
    ("documents", "dinkes", "/opd/dokumen/"),
    ("notices", "dinkes", "/opd/pemberitahuan/"),
    ("workspace-kecamatan", "kec-tungkal-ilir", "/opd/"),
    ("kecamatan-table", "kec-tungkal-ilir", "{table}"),
]


def _demo_addresses() -> dict:
    """The demo's own rows behind the pages that show one: an answer Dinkes writes in 2027,
    one waiting for review, a table of rows every kecamatan fills; and an unread notice for
    Dinkes (its yellow row is where link colours were too pale)."""
    from django.contrib.auth import get_user_model

    from opd.models import Answer, Notice

    answer = (
        Answer.objects.filter(
            question__indicator__group__period__year=2027,
            unit__short_name="Dinkes",
            status__in=["draft", "revision_requested"],
        )
        .order_by("pk")
        .first()
    )
    review = (
        Answer.objects.filter(question__indicator__group__period__year=2027, status="submitted")
        .order_by("pk")
        .first()
    )
    table = (
        Answer.objects.filter(
            question__indicator__group__period__year=2027, question__every_kecamatan=True
        )
        .order_by("pk")
        .first()
    )
    Notice.objects.create(
        user=get_user_model().objects.get(username="dinkes"),
        answer=answer,
        kind=Notice.Kind.REVISION_REQUESTED,
        note="Lampirkan SK yang ditandatangani.",
    )
    return {
        "answer": f"/opd/jawaban/{answer.question_id}/{answer.unit_id}/",
        "review": f"/opd/jawaban/{review.question_id}/{review.unit_id}/",
        "table": f"/opd/tabel/{table.question_id}/",
    }


# The smallest rendered size of any SVG chart text: its font size times the chart's scale.
SMALLEST_CHART_TEXT = """() => {
  let smallest = Infinity;
  for (const svg of document.querySelectorAll('svg[viewBox]')) {
    const box = svg.viewBox.baseVal, width = svg.getBoundingClientRect().width;
    if (!box || !box.width || !width) continue;
    for (const text of svg.querySelectorAll('text')) {
      smallest = Math.min(smallest, parseFloat(text.getAttribute('font-size')) * width / box.width);
    }
  }
  return smallest;
}"""


def _serious(page) -> list[str]:
    """axe-core's serious and critical violations on the page, as readable lines."""
    page.evaluate(AXE.read_text(encoding="utf-8"))
    found = page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
    )
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes'][:3]]}"
        for v in found
        if v["impact"] in ("serious", "critical")
    ]


@pytest.fixture
def demo(live_server):
    load_demo()
    SHOTS.mkdir(parents=True, exist_ok=True)
    return live_server.url


def test_main_pages_are_accessible_and_legible_on_desktop_and_phone(demo, browser):
    problems = []
    addresses = _demo_addresses()
    for who in sorted({who for _name, who, _path in PAGES}, key=str):
        for size, (width, height) in WIDTHS.items():
            # axe is injected as a script of our own: the page's policy allows only ours.
            context = browser.new_context(
                viewport={"width": width, "height": height}, bypass_csp=True
            )
            page = context.new_page()
            if who is not None:
                login(page, demo, who, DEMO_PASSWORD)
            for name, _who, path in (p for p in PAGES if p[1] == who):
                response = page.goto(f"{demo}{path.format(**addresses)}")
                assert response.status == 200, (name, response.status)
                page.screenshot(path=str(SHOTS / f"{name}-{width}.png"), full_page=True)
                problems += [f"{name} at {width} px: {line}" for line in _serious(page)]
                smallest = page.evaluate(SMALLEST_CHART_TEXT)
                if size == "phone" and name != "executive-print" and smallest < 12:
                    problems.append(f"{name} at {width} px: chart text of {smallest:.1f} px")
                # Nothing wider than the screen: no sideways scrolling on a phone.
                scroll = page.evaluate("document.documentElement.scrollWidth")
                if scroll > width:
                    problems.append(f"{name} at {width} px: {scroll} px wide")
            context.close()
    assert not problems, "\n".join(problems)


def test_the_bupati_reads_the_verdict_and_whom_to_call_on_a_phone(demo, browser):
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    login(page, demo, "bupati", DEMO_PASSWORD)
    page.goto(f"{demo}/pimpinan/")
    verdict = page.get_by_test_id("on-track-word").inner_text().strip()
    # Early in the demo's window (before a quarter of it has passed) the page gives no verdict.
    assert verdict in ("Sesuai jalur", "Tertinggal", "Belum dapat dinilai")
    assert page.get_by_test_id("action").count() >= 1
    call = page.locator("[data-testid=lagging] a[href^='tel:']").first
    assert call.is_visible() and call.get_attribute("href").startswith("tel:0812")
    # Both on the first screen, before any scrolling: the verdict and whom to call.
    for what in (page.get_by_test_id("on-track-word"), call):
        box = what.bounding_box()
        assert box["y"] >= 0 and box["y"] + box["height"] <= 844, (what, box)
    # Nothing wider than the phone: no sideways scrolling.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.get_by_role("link", name="Kemajuan semua unit").click()
    assert page.get_by_test_id("units-chart").locator("svg").is_visible()
    context.close()


# Every visible text of the page smaller than 12 px (9 pt on paper at 96 dpi), as rendered:
# HTML text by its computed font size, SVG chart text by its font size times the chart's
# scale (rendered width over viewBox width). Text hidden for screen readers only is skipped.
SMALL_TEXT = """() => {
  const found = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode;
    const el = node.parentElement;
    if (!node.textContent.trim() || !el) continue;
    if (!el.checkVisibility({checkOpacity: true, checkVisibilityCSS: true})) continue;
    if (el.closest('.visually-hidden')) continue;
    let size = parseFloat(getComputedStyle(el).fontSize);
    const svg = el.closest('svg[viewBox]');
    if (svg) {
      const box = svg.viewBox.baseVal, width = svg.getBoundingClientRect().width;
      if (!box || !box.width || !width) continue;
      size = size * width / box.width;
    }
    if (size < 12) found.push(`${size.toFixed(1)} px: ${node.textContent.trim().slice(0, 40)}`);
  }
  return found;
}"""
A4_CONTENT_PX = (718, 1047)  # 210 x 297 mm less the 10 mm margins of @page, at 96 dpi


def test_the_print_view_prints_on_one_a4_page_in_legible_type(demo, browser):
    """Exactly one A4 page, and no text on it under 9 pt: the charts labelled as large."""
    width, height = A4_CONTENT_PX
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    login(page, demo, "bupati", DEMO_PASSWORD)
    page.goto(f"{demo}/pimpinan/cetak/")
    assert page.get_by_test_id("as-of").inner_text().startswith("· per ")
    page.emulate_media(media="print")
    assert page.evaluate(SMALL_TEXT) == []
    assert page.evaluate("document.querySelectorAll('svg[viewBox] text').length") > 10
    pdf = page.pdf(format="A4", prefer_css_page_size=True, print_background=True)
    (SHOTS / "executive-print.pdf").write_bytes(pdf)
    assert len(pikepdf.open(io.BytesIO(pdf)).pages) == 1
    context.close()
