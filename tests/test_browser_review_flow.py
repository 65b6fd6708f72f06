"""The secretariat's review flow in a browser: a revision request, a resubmission marked in the
queue with what changed, an approval whose message names both questions; the answer page's
layout on a desktop (wide evidence, decision panel in view) and on a phone (panel below); the
WhatsApp summary copied. Screenshots at 1366 and 390 px go to var/screenshots/."""

import datetime
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone
from playwright.sync_api import expect

from opd import evidence as evidence_services
from opd import services
from opd.models import Answer, Assignment, Profile
from tests import factories, samples
from tests.browser import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESKTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}
SHOTS = Path(settings.BASE_DIR) / "var" / "screenshots"


@pytest.fixture(autouse=True)
def _inside_window(monkeypatch):
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: datetime.date(2026, 2, 10))


def _shot(page, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def _world():
    period = factories.PeriodFactory(year=2026)
    unit = factories.UnitFactory(name="Dinas Kesehatan", short_name="Dinkes")
    dinkes = factories.UserFactory(username="dinkes", role=Profile.Role.OPD, units=[unit])
    factories.UserFactory(username="sekretariat", first_name="Sari", role=Profile.Role.SECRETARIAT)
    indicator = factories.IndicatorFactory(group__period=period, code="1")
    first, second = (
        factories.QuestionFactory(indicator=indicator, code=code, text=text, max_points="10.00")
        for code, text in [
            ("1", "Apakah tersedia Perbup tentang KLA?"),
            ("2", "Apakah ada Forum Anak di setiap kecamatan?"),
        ]
    )
    answers = []
    for question, points in ((first, "6"), (second, "4")):
        factories.AssignmentFactory(question=question, unit=unit, role=Assignment.Role.LEAD)
        answer = services.answer_open(question=question, unit=unit)
        services.answer_save(
            answer=answer,
            user=dinkes,
            claimed_points=points,
            narrative="Perbup Nomor 12 Tahun 2025 tentang KLA",
        )
        evidence_services.evidence_add_link(
            answer=answer, unit=unit, user=dinkes, url="https://jdih.test/perbup", title="JDIH"
        )
        answers.append(services.answer_submit(answer=answer, user=dinkes))
    return unit, first, second


def test_revision_resubmission_and_approval_journey(live_server, page, tmp_path):
    base = live_server.url
    unit, first, second = _world()
    pdf = tmp_path / "perbup-ttd.pdf"
    pdf.write_bytes(samples.pdf_bytes("Perbup ditandatangani"))
    page.set_viewport_size(DESKTOP)

    # The reviewer opens the oldest answer and asks for a revision; the next one opens.
    login(page, base, "sekretariat")
    page.goto(f"{base}/opd/tinjauan/")
    expect(page.get_by_test_id("resubmitted-badge")).to_have_count(0)
    page.get_by_test_id("queue-row").first.get_by_role("link").first.click()
    page.fill("textarea[name=note]", "Perbup belum ditandatangani Bupati")
    page.get_by_role("button", name="Minta revisi").click()
    message = page.locator(".alert-success")
    expect(message).to_contain_text("Revisi diminta untuk 1 / 1 “Apakah tersedia Perbup")
    expect(message).to_contain_text("Sekarang terbuka: 1 / 2 “Apakah ada Forum Anak")
    assert page.url.endswith(f"/opd/jawaban/{second.pk}/{unit.pk}/")
    assert "Diverifikasi" not in page.content()

    # The unit raises its points, adds the signed Perbup and submits again.
    login(page, base, "dinkes")
    page.goto(f"{base}/opd/jawaban/{first.pk}/{unit.pk}/")
    expect(page.get_by_test_id("review-note")).to_contain_text("belum ditandatangani")
    expect(page.get_by_test_id("reviewed-label")).to_have_text("Revisi diminta")
    page.fill("input[name=claimed_points]", "8")
    page.fill(
        "textarea[name=narrative]", "Perbup Nomor 12 Tahun 2025 tentang KLA, sudah ditandatangani"
    )
    page.locator("form[action$='/simpan/'] button[type=submit]").click()
    page.get_by_test_id("upload-form").locator("input[name=file]").set_input_files(pdf)
    page.get_by_test_id("upload-form").locator("button[type=submit]").click()
    expect(page.get_by_test_id("evidence-item").filter(has_text=pdf.name)).to_be_visible()
    page.locator("a[href$='/kirim/']").click()
    page.locator("form button.btn-primary").click()
    expect(page.get_by_test_id("answer-status")).to_contain_text("Dikirim")

    # The queue marks the resubmission, and only it.
    login(page, base, "sekretariat")
    page.goto(f"{base}/opd/tinjauan/")
    row = page.get_by_test_id("queue-row").filter(has_text="Apakah tersedia Perbup")
    expect(row.get_by_test_id("resubmitted-badge")).to_have_text("Diajukan ulang")
    other = page.get_by_test_id("queue-row").filter(has_text="Forum Anak")
    expect(other.get_by_test_id("resubmitted-badge")).to_have_count(0)
    _shot(page, "review-queue-1366")

    # The reviewer sees what changed since the note.
    row.get_by_role("link").first.click()
    changes = page.get_by_test_id("resubmission")
    expect(changes.get_by_test_id("diff-points")).to_have_text("6,00 → 8,00")
    expect(changes.get_by_test_id("diff-narrative").locator("ins")).to_have_text(
        "KLA, sudah ditandatangani"
    )
    expect(changes.get_by_test_id("diff-added")).to_contain_text(pdf.name)
    expect(changes).to_contain_text("Perbup belum ditandatangani Bupati")

    # Desktop: the evidence takes the wide column, the decision panel stays in view.
    item = page.get_by_test_id("evidence-item").filter(has_text=pdf.name)
    item.get_by_role("button", name="Pratinjau").click()
    preview = item.locator("iframe.kla-preview")
    expect(preview).to_be_visible()
    panel = page.get_by_test_id("decision-column")
    assert panel.evaluate("e => getComputedStyle(e).position") == "sticky"
    preview_box, panel_box = preview.bounding_box(), panel.bounding_box()
    assert preview_box["width"] >= 800, preview_box  # not cramped in half the width
    assert panel_box["x"] > preview_box["x"] + preview_box["width"]  # beside it
    _shot(page, "answer-review-1366")
    # Reading down the preview, the decision panel stays in the window: without sticking it
    # would have gone up with the page (it starts some 350 px down, below the header).
    page.evaluate("window.scrollTo(0, 0)")
    start = panel.bounding_box()["y"]
    page.mouse.wheel(0, 900)
    page.wait_for_timeout(300)
    scrolled = page.evaluate("window.scrollY")
    assert scrolled > start + 100, (scrolled, start)
    top = panel.bounding_box()["y"]
    # 1rem from the top; near the page's end the grid's end may push it up a few pixels.
    assert -20 <= top <= 20, top
    approve = panel.get_by_role("button", name="Setujui").bounding_box()
    assert approve["y"] >= 0 and approve["y"] + approve["height"] <= DESKTOP["height"]
    page.screenshot(path=str(SHOTS / "answer-review-1366-scrolled.png"))

    # Approving names the question decided and the one opened next, with a way back.
    page.get_by_role("button", name="Setujui").click()
    message = page.locator(".alert-success")
    expect(message).to_contain_text(
        "Disetujui: 1 / 1 “Apakah tersedia Perbup tentang KLA?” (Dinkes)."
    )
    expect(message).to_contain_text("Sekarang terbuka: 1 / 2 “Apakah ada Forum Anak")
    assert page.url.endswith(f"/opd/jawaban/{second.pk}/{unit.pk}/")
    _shot(page, "answer-after-decision-1366")
    message.get_by_test_id("decided-link").click()
    assert page.url.endswith(f"/opd/jawaban/{first.pk}/{unit.pk}/")
    expect(page.get_by_test_id("answer-status")).to_contain_text("Disetujui")
    answer = Answer.objects.get(question=first, unit=unit)
    assert (answer.status, str(answer.verified_points)) == ("approved", "8.00")

    # A phone: the decision panel comes after the evidence, not beside it.
    page.set_viewport_size(PHONE)
    page.goto(f"{base}/opd/jawaban/{second.pk}/{unit.pk}/")
    panel = page.get_by_test_id("decision-column")
    assert panel.evaluate("e => getComputedStyle(e).position") == "static"
    evidence_box = page.locator("#evidence").bounding_box()
    assert panel.bounding_box()["y"] > evidence_box["y"] + evidence_box["height"] - 1
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    _shot(page, "answer-review-390")


def test_whatsapp_summary_is_copied_and_extension_granted_from_the_row(live_server, page):
    base = live_server.url
    unit, first, _second = _world()
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base)
    page.set_viewport_size(DESKTOP)
    login(page, base, "sekretariat")

    # From the unit's row: a small form for that unit, and the new date confirmed.
    page.goto(f"{base}/sekretariat/")
    row = page.get_by_test_id("unit-row").filter(has_text="Dinas Kesehatan")
    expect(row.get_by_test_id("unit-deadline")).to_contain_text("31 Mar 2026")
    _shot(page, "secretariat-home-1366")
    row.get_by_test_id("unit-extend").click()
    page.fill("input[name=until]", "2026-04-03")
    page.fill("input[name=reason]", "Banjir")
    page.get_by_role("button", name="Berikan", exact=True).click()
    expect(page.locator(".alert-success")).to_contain_text(
        "Dinas Kesehatan dapat mengubah jawaban sampai 3 April 2026 (sebelumnya: 31 Maret 2026)."
    )
    row = page.get_by_test_id("unit-row").filter(has_text="Dinas Kesehatan")
    expect(row.get_by_test_id("unit-deadline")).to_contain_text("3 Apr 2026")

    # The WhatsApp summary, copied to the clipboard as it is shown.
    page.get_by_test_id("whatsapp-summary-link").click()
    page.wait_for_load_state("load")  # static/js/copy.js comes after the button
    text = page.get_by_test_id("whatsapp-text").input_value()
    assert text.startswith("*Kemajuan KLA 2026")
    assert "Terverifikasi: 0,00 poin" in text and "Menunggu tinjauan: 2 jawaban" in text
    assert "• Perpanjangan: Dinkes sampai 3 April 2026" in text
    page.get_by_test_id("copy-button").click()
    expect(page.locator("[data-copy-status]")).to_have_text("Tersalin: tempelkan ke grup.")
    assert page.evaluate("navigator.clipboard.readText()") == text
    share = page.get_by_test_id("whatsapp-share").get_attribute("href")
    assert re.match(r"^https://wa\.me/\?text=%2AKemajuan%20KLA%202026", share)
    _shot(page, "whatsapp-summary-1366")
    page.set_viewport_size(PHONE)
    page.reload()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    _shot(page, "whatsapp-summary-390")
