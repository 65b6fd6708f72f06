"""A cluster coordinator's journey in a browser: it opens its cluster's page, reads an answer
of another unit, returns it with a note; the unit sees the note on its answer page and in its
notices. The secretariat's queue then no longer lists the answer as waiting."""

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from opd import evidence as evidence_services
from opd import services
from opd.models import Answer, Assignment, Profile
from tests import factories
from tests.browser import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _inside_window(monkeypatch):
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: datetime.date(2026, 2, 10))


def _world():
    period = factories.PeriodFactory(year=2026)
    dinkes = factories.UnitFactory(name="Dinas Kesehatan", short_name="Dinkes")
    dinsos = factories.UnitFactory(name="Dinas Sosial", short_name="Dinsos")
    bappeda = factories.UnitFactory(name="Bappeda Litbang", short_name="Bappeda")
    staff = factories.UserFactory(username="dinkes", role=Profile.Role.OPD, units=[dinkes])
    factories.UserFactory(username="bappeda", role=Profile.Role.OPD, units=[bappeda])
    cluster = factories.GroupFactory(period=period, name="Klaster I Hak Sipil")
    other = factories.GroupFactory(period=period, name="Klaster II Lingkungan Keluarga")
    factories.cluster_coordinator(group=cluster, unit=bappeda)
    first = factories.QuestionFactory(
        indicator__group=cluster, code="1", text="Apakah ada layanan akta kelahiran keliling?"
    )
    second = factories.QuestionFactory(indicator__group=other, code="9", text="Apakah ada PUSPAGA?")
    factories.AssignmentFactory(question=first, unit=dinkes, role=Assignment.Role.LEAD)
    factories.AssignmentFactory(question=second, unit=dinsos, role=Assignment.Role.LEAD)
    answer = services.answer_open(question=first, unit=dinkes)
    services.answer_save(answer=answer, user=staff, claimed_points="6", narrative="Layanan ada")
    evidence_services.evidence_add_link(
        answer=answer, unit=dinkes, user=staff, url="https://jdih.test/sk", title="SK Layanan"
    )
    services.answer_submit(answer=answer, user=staff)
    return cluster, first, second, dinkes, dinsos


def test_coordinator_reads_its_cluster_and_returns_an_answer_the_unit_reads(live_server, page):
    base = live_server.url
    cluster, first, second, dinkes, dinsos = _world()

    login(page, base, "bappeda")
    page.goto(f"{base}/opd/klaster/{cluster.pk}/")
    expect(page.get_by_test_id("cluster-row")).to_have_count(1)
    expect(page.get_by_test_id("cluster-units")).to_contain_text("Dinkes")
    page.get_by_test_id("cluster-row").get_by_role("link").first.click()
    expect(page.get_by_test_id("coordinator-panel")).to_be_visible()
    page.fill("#id_coordinator_note", "Lampirkan SK yang sudah ditandatangani Bupati")
    page.get_by_test_id("coordinator-return").click()
    page.wait_for_load_state()
    expect(page.get_by_test_id("answer-status")).to_contain_text("Revisi diminta")
    expect(page.get_by_test_id("coordinator-panel")).to_have_count(0)  # nothing more to do
    # Another cluster's answer does not exist for the coordinator.
    response = page.goto(f"{base}/opd/jawaban/{second.pk}/{dinsos.pk}/")
    assert response.status == 404

    login(page, base, "dinkes")
    page.goto(f"{base}/opd/jawaban/{first.pk}/{dinkes.pk}/")
    note = page.get_by_test_id("review-note")
    expect(note).to_contain_text("Lampirkan SK yang sudah ditandatangani Bupati")
    expect(page.get_by_test_id("coordinator-returned")).to_contain_text("Bappeda")
    page.goto(f"{base}/opd/pemberitahuan/")
    expect(page.get_by_test_id("notices")).to_contain_text("Dikembalikan oleh koordinator klaster")
    assert Answer.objects.get(question=first).status == Answer.Status.REVISION_REQUESTED
