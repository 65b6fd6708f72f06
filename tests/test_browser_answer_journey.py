"""The core journey in a browser: answer with evidence, revision, approval with fewer points."""

import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from opd.models import Answer, Assignment, EvidenceRevision, Profile
from tests import factories, samples
from tests.browser import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _inside_window(monkeypatch):
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: datetime.date(2026, 2, 10))


def test_answer_revise_approve_journey(live_server, page, tmp_path):
    base = live_server.url
    period = factories.PeriodFactory(year=2026)
    unit = factories.UnitFactory(name="Dinas Kesehatan", short_name="Dinkes")
    question = factories.QuestionFactory(
        indicator__group__period=period,
        max_points="10.00",
        text="Apakah tersedia Perbup tentang KLA?",
    )
    factories.AssignmentFactory(question=question, unit=unit, role=Assignment.Role.LEAD)
    factories.UserFactory(username="dinkes", role=Profile.Role.OPD, units=[unit])
    factories.UserFactory(username="sekretariat", role=Profile.Role.SECRETARIAT)
    pdf, photo, pdf2 = tmp_path / "perbup.pdf", tmp_path / "foto.png", tmp_path / "perbup-ttd.pdf"
    pdf.write_bytes(samples.pdf_bytes("Perbup"))
    photo.write_bytes(samples.png_bytes())
    pdf2.write_bytes(samples.pdf_bytes("Perbup ditandatangani"))

    # The OPD user answers, uploads a PDF and a photo, and submits.
    login(page, base, "dinkes")
    # The question's own row (the "needs your action" list above links "indicator / code").
    page.get_by_test_id("question-row").get_by_role("link", name=question.code).click()
    page.fill("input[name=claimed_points]", "8")
    page.fill("textarea[name=narrative]", "Perbup Nomor 12 Tahun 2025 tentang KLA")
    page.locator("form[action$='/simpan/'] button[type=submit]").click()
    for path in (pdf, photo):
        page.get_by_test_id("upload-form").locator("input[name=file]").set_input_files(path)
        page.get_by_test_id("upload-form").locator("button[type=submit]").click()
        expect(page.get_by_test_id("evidence-item").filter(has_text=path.name)).to_be_visible()
    page.locator("a[href$='/kirim/']").click()
    page.locator("form button.btn-primary").click()
    expect(page.get_by_test_id("answer-status")).to_contain_text(re.compile("Dikirim|Submitted"))

    # The secretariat asks for a revision.
    login(page, base, "sekretariat")
    page.goto(f"{base}/opd/tinjauan/")
    page.get_by_test_id("queue-row").first.get_by_role("link").click()
    page.fill("textarea[name=note]", "Perbup belum ditandatangani Bupati")
    page.locator("form[action$='/revisi/'] button[type=submit]").click()
    answer = Answer.objects.get()
    assert answer.status == Answer.Status.REVISION_REQUESTED

    # The OPD user sees the note, uploads the signed version in place of the first PDF, resubmits.
    login(page, base, "dinkes")
    page.goto(f"{base}/opd/jawaban/{question.pk}/{unit.pk}/")
    expect(page.get_by_test_id("review-note")).to_contain_text("belum ditandatangani")
    item = page.get_by_test_id("evidence-item").filter(has_text="perbup.pdf")
    item.locator("summary").last.click()
    item.locator("input[name=file]").set_input_files(pdf2)
    item.locator("form button[type=submit]").click()
    expect(page.get_by_test_id("evidence-item").filter(has_text="perbup-ttd.pdf")).to_be_visible()
    page.locator("a[href$='/kirim/']").click()
    page.locator("form button.btn-primary").click()

    # The secretariat approves with fewer points and says why.
    login(page, base, "sekretariat")
    page.goto(f"{base}/opd/jawaban/{question.pk}/{unit.pk}/")
    page.fill("input[name=verified_points]", "6")
    page.fill("textarea[name=reason]", "Foto kegiatan tidak bertanggal")
    page.locator("form[action$='/setujui/'] button[type=submit]").click()

    # The OPD user sees the verified points and the reason.
    login(page, base, "dinkes")
    page.goto(f"{base}/opd/jawaban/{question.pk}/{unit.pk}/")
    expect(page.get_by_test_id("verified-points")).to_have_text("6,00")  # Indonesian decimals
    expect(page.get_by_test_id("review-note")).to_contain_text("tidak bertanggal")
    answer.refresh_from_db()
    assert (answer.status, str(answer.verified_points)) == ("approved", "6.00")
    # The replaced PDF is kept in the history: three revisions in all.
    assert EvidenceRevision.objects.count() == 3
