"""The province's return in a browser: the secretariat records it for a question of a locked
period, the unit sees the note on its workspace and answer page, corrects the answer and
replies, the secretariat closes the return."""

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from indicators.models import Period
from opd import evidence as evidence_services
from opd import services
from opd.models import Answer, Assignment, Profile, ProvincialReturn
from tests import factories
from tests.browser import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _inside_window(monkeypatch):
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: datetime.date(2026, 2, 10))


def _world():
    period = factories.PeriodFactory(year=2026)
    unit = factories.UnitFactory(name="Dinas Kesehatan", short_name="Dinkes")
    dinkes = factories.UserFactory(username="dinkes", role=Profile.Role.OPD, units=[unit])
    secretariat = factories.UserFactory(username="sekretariat", role=Profile.Role.SECRETARIAT)
    question = factories.QuestionFactory(
        indicator=factories.IndicatorFactory(group__period=period, code="1"),
        code="2",
        text="Apakah tersedia Perbup tentang KLA?",
        max_points="10.00",
    )
    factories.AssignmentFactory(question=question, unit=unit, role=Assignment.Role.LEAD)
    answer = services.answer_open(question=question, unit=unit)
    services.answer_save(answer=answer, user=dinkes, claimed_points="8", narrative="Perbup 12/2025")
    evidence_services.evidence_add_link(
        answer=answer, unit=unit, user=dinkes, url="https://jdih.test/perbup", title="JDIH"
    )
    answer = services.answer_submit(answer=answer, user=dinkes)
    services.answer_approve(answer=answer, user=secretariat, verified_points="8")
    Period.objects.filter(pk=period.pk).update(status=Period.Status.LOCKED)
    return period, question, unit


def test_return_journey(live_server, page):
    base = live_server.url
    period, question, unit = _world()

    # The secretariat records the province's return on the evaluation page.
    login(page, base, "sekretariat")
    page.goto(f"{base}/sekretariat/evaluasi/{period.year}/")
    page.select_option("select[name=question]", str(question.pk))
    page.fill("textarea[name=note]", "Perbup belum ditandatangani Bupati")
    page.fill("input[name=deadline]", "2026-05-10")
    page.get_by_role("button", name="Kembalikan kepada unitnya").click()
    expect(page.get_by_test_id("return")).to_contain_text("Perbup belum ditandatangani Bupati")

    # The unit sees it on its workspace and answer page, corrects and replies.
    login(page, base, "dinkes")
    page.goto(f"{base}/opd/?year={period.year}")
    returns = page.get_by_test_id("workspace-returns")
    expect(returns).to_contain_text("Perbup belum ditandatangani Bupati")
    returns.get_by_role("link").first.click()
    expect(page.get_by_test_id("return-note")).to_have_text("Perbup belum ditandatangani Bupati")
    page.fill("textarea[name=narrative]", "Perbup 12/2025, sudah ditandatangani Bupati")
    page.locator("form:has(textarea[name=narrative]) button[type=submit]").first.click()
    page.wait_for_load_state()
    page.fill("#return-reply-text", "Perbup yang ditandatangani sudah diunggah")
    page.get_by_role("button", name="Simpan jawaban").click()
    expect(page.get_by_test_id("return-reply")).to_have_text(
        "Perbup yang ditandatangani sudah diunggah"
    )
    answer = Answer.objects.get(question=question, unit=unit)
    assert answer.narrative == "Perbup 12/2025, sudah ditandatangani Bupati"

    # The secretariat closes the return: the answer is approved again, the question closed.
    login(page, base, "sekretariat")
    page.goto(f"{base}/sekretariat/evaluasi/{period.year}/")
    page.get_by_role("button", name="Tutup pengembalian").click()
    expect(page.get_by_test_id("return")).to_contain_text("Ditutup")
    assert ProvincialReturn.objects.get().status == ProvincialReturn.Status.CLOSED
    answer.refresh_from_db()
    assert answer.status == Answer.Status.APPROVED
