"""Typed work survives an expired session: no 405 after logging in, the page restores it."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from opd.models import Answer, Assignment, Profile
from tests import factories, samples


@pytest.mark.django_db
def test_after_logging_in_the_save_address_leads_back_to_the_answer(
    client, question, lead_unit, opd_user
):
    save = reverse("opd:answer-save", args=[question.pk, lead_unit.pk])
    # The session is gone: the save goes to the login page, which says why.
    response = client.post(save, {"narrative": "x"})
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    login = client.get(response["Location"]).content.decode()
    assert 'data-testid="session-note"' in login
    # Logged in again, the browser GETs the `next` address: back to the answer, never 405.
    client.force_login(opd_user)
    response = client.get(save)
    assert response.status_code == 302
    assert response["Location"] == reverse("opd:answer", args=[question.pk, lead_unit.pk])


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_narrative_survives_an_upload_a_reload_and_an_expired_session(
    live_server, page, monkeypatch, tmp_path
):
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: datetime.date(2026, 2, 10))
    base = live_server.url
    period = factories.PeriodFactory(year=2026)
    unit = factories.UnitFactory(name="Dinas Sosial", short_name="Dinsos")
    question = factories.QuestionFactory(indicator__group__period=period, max_points="10.00")
    factories.AssignmentFactory(question=question, unit=unit, role=Assignment.Role.LEAD)
    factories.UserFactory(username="dinsos", role=Profile.Role.OPD, units=[unit])
    page.set_viewport_size({"width": 390, "height": 844})

    def login():
        page.fill("input[name=username]", "dinsos")
        page.fill("input[name=password]", factories.PASSWORD)
        page.locator("form button.btn-primary").click()
        page.wait_for_load_state()

    page.goto(f"{base}/masuk/")
    login()
    page.goto(f"{base}/opd/jawaban/{question.pk}/{unit.pk}/")
    narrative = "Perbup Nomor 12 Tahun 2025 tentang KLA, disahkan 3 Maret"
    page.fill("input[name=claimed_points]", "6,5")
    page.fill("textarea[name=narrative]", narrative)
    page.wait_for_timeout(600)  # the local draft is written after a short pause
    # A reload keeps it (the browser asks before leaving; Playwright accepts).
    page.on("dialog", lambda dialog: dialog.accept())
    page.reload()
    expect(page.locator("textarea[name=narrative]")).to_have_value(narrative)
    expect(page.locator("[data-draft-notice]")).to_be_visible()
    # An upload (the answer and the upload are separate forms) leaves it in place too.
    pdf = tmp_path / "perbup.pdf"
    pdf.write_bytes(samples.pdf_bytes("Perbup"))
    area = page.get_by_test_id("upload-area")
    area.get_by_test_id("upload-form").locator("input[name=file]").set_input_files(pdf)
    area.get_by_test_id("upload-button").click()
    expect(page.get_by_test_id("evidence-item")).to_be_visible(timeout=30_000)
    expect(page.locator("textarea[name=narrative]")).to_have_value(narrative)
    # The session expires (its cookie goes; the CSRF cookie lasts a year and stays); the save
    # goes to the login page; logging in comes back here.
    page.context.clear_cookies(name="sessionid")
    page.locator("form[action$='/simpan/'] button[type=submit]").click()
    expect(page.get_by_test_id("session-note")).to_be_visible()
    login()
    assert page.url.endswith(f"/opd/jawaban/{question.pk}/{unit.pk}/")
    expect(page.locator("textarea[name=narrative]")).to_have_value(narrative)
    # Not only on the device: saved by itself before the upload reloaded the page
    # (assets/js/offline.js), so the page shows the server's value, as the server writes it.
    expect(page.locator("input[name=claimed_points]")).to_have_value("6,50")
    assert Answer.objects.get().narrative == narrative
    page.locator("form[action$='/simpan/'] button[type=submit]").click()
    page.wait_for_load_state()
    answer = Answer.objects.get()
    assert answer.narrative == narrative and str(answer.claimed_points) == "6.50"
    # Saved: the server shows the same values, so the device forgets its copy.
    page.reload()
    expect(page.locator("[data-draft-notice]")).to_be_hidden()
