"""In a browser: the unit sees the verification risk and its reasons before it submits, acts on
it (attaches the regulation), sees the risk go, and submits; nothing was ever blocked."""

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from opd.models import Answer, Assignment, Profile
from tests import factories, samples
from tests.browser import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _inside_window(monkeypatch):
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: datetime.date(2026, 2, 10))


def test_the_unit_sees_the_risk_before_submitting(live_server, page, tmp_path):
    base = live_server.url
    period = factories.PeriodFactory(year=2026)
    unit = factories.UnitFactory(name="Bagian Hukum", short_name="Hukum")
    question = factories.QuestionFactory(
        indicator__group__period=period, text="Apakah tersedia Peraturan Daerah tentang KLA?"
    )
    factories.AssignmentFactory(question=question, unit=unit, role=Assignment.Role.LEAD)
    factories.UserFactory(username="hukum", role=Profile.Role.OPD, units=[unit])
    photo, perda = tmp_path / "foto.png", tmp_path / "perda.pdf"
    photo.write_bytes(samples.png_bytes())
    perda.write_bytes(samples.pdf_bytes("Perda Nomor 5 Tahun 2021 tanggal 3 Mei 2021"))

    login(page, base, "hukum")
    page.goto(f"{base}/opd/jawaban/{question.pk}/{unit.pk}/")
    page.fill("input[name=claimed_points]", "8")
    page.fill(
        "textarea[name=narrative]",
        "Perda Nomor 5 Tahun 2021 tentang Kabupaten Layak Anak disahkan 3 Mei 2021, terlampir.",
    )
    page.locator("form[action$='/simpan/'] button[type=submit]").click()
    upload = page.get_by_test_id("upload-form")
    upload.locator("input[name=file]").set_input_files(photo)
    upload.locator("button[type=submit]").click()
    # Only a photo for a regulation: the answer page says so, with the reason.
    risk = page.get_by_test_id("answer-risk")
    expect(risk).to_have_attribute("data-level", "high")
    expect(risk).to_contain_text("Risiko verifikasi: tinggi")
    expect(risk).to_contain_text("hanya foto atau tautan")
    # And the confirmation before submitting, again.
    page.locator("a[href$='/kirim/']").click()
    expect(page.get_by_test_id("answer-risk")).to_contain_text("hanya foto atau tautan")
    page.get_by_role("link", name="Batal").click()
    # The unit attaches the Perda itself: the risk goes, the read number shows nowhere odd.
    upload = page.get_by_test_id("upload-form")
    upload.locator("input[name=file]").set_input_files(perda)
    upload.locator("button[type=submit]").click()
    expect(page.get_by_test_id("evidence-item").filter(has_text="perda.pdf")).to_be_visible()
    expect(page.get_by_test_id("answer-risk")).to_have_count(0)
    page.locator("a[href$='/kirim/']").click()
    page.locator("form button.btn-primary").click()
    assert Answer.objects.get().status == Answer.Status.SUBMITTED
