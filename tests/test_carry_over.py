"""Start a period from last year: answers and evidence proposed, files reused, nothing counts
until a person of the unit confirms it."""

import datetime
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from core.errors import DomainError
from indicators.models import AnswerOption, Period
from opd import evidence as ev
from opd import services
from opd.carry_over import period_carry_over
from opd.models import Answer, Assignment, Evidence, EvidenceRevision
from opd.scoring import score_period
from tests import factories, samples

pytestmark = pytest.mark.django_db


TODAY = [datetime.date(2025, 2, 10)]  # inside 2025's window; the tests move to 2026


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    TODAY[0] = datetime.date(2025, 2, 10)
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: TODAY[0])


PERDA_TEXT = "Apakah tersedia Perda KLA? (Lampirkan dokumen pendukung)"


def _year(year, status, unit, *, with_options=False, text=PERDA_TEXT):
    period = factories.PeriodFactory(year=year, status=Period.Status.OPEN)
    question = factories.QuestionFactory(
        indicator__group__period=period,
        indicator__code="1",
        code="1",
        max_points=Decimal("24"),
        text=text,
    )
    if with_options:
        for label, points in [("Perda", 24), ("SK", 12)]:
            AnswerOption.objects.create(question=question, label=label, points=Decimal(points))
    factories.AssignmentFactory(question=question, unit=unit, role=Assignment.Role.LEAD)
    return period, question


def test_last_years_answer_is_proposed_with_the_same_files(lead_unit, opd_user, secretariat_user):
    old_period, old_q = _year(2025, "open", lead_unit, with_options=True)
    answer = services.answer_open(question=old_q, unit=lead_unit)
    services.answer_save(
        answer=answer,
        user=opd_user,
        claimed_points=None,
        narrative="Perda Nomor 5 Tahun 2019 tentang KLA",
        option=AnswerOption.objects.get(question=old_q, label="Perda"),
    )
    revision = ev.evidence_add_file(
        answer=Answer.objects.get(pk=answer.pk),
        unit=lead_unit,
        user=opd_user,
        uploaded_file=SimpleUploadedFile("perda.pdf", samples.pdf_bytes("Perda KLA")),
    )
    ev.evidence_add_link(
        answer=Answer.objects.get(pk=answer.pk),
        unit=lead_unit,
        user=opd_user,
        url="https://jdih.example/perda-5-2019",
    )
    services.answer_submit(answer=Answer.objects.get(pk=answer.pk), user=opd_user)
    Period.objects.filter(pk=old_period.pk).update(status=Period.Status.CLOSED)
    TODAY[0] = datetime.date(2026, 2, 10)
    new_period, new_q = _year(2026, "open", lead_unit, with_options=True)

    report = period_carry_over(period=new_period, user=secretariat_user)
    assert (report.source.year, report.proposed, report.files, report.links) == (2025, 1, 1, 1)
    proposal = Answer.objects.get(question=new_q)
    assert proposal.proposed and proposal.status == Answer.Status.DRAFT
    assert proposal.narrative.startswith("Perda Nomor 5") and proposal.option.label == "Perda"
    assert proposal.claimed_points is None  # counts for nothing yet
    assert score_period(period=new_period).claimed == Decimal("0.00")
    [copy] = EvidenceRevision.objects.filter(evidence__answer=proposal)
    assert (copy.file.name, copy.sha256) == (revision.file.name, revision.sha256)  # same bytes
    assert Evidence.objects.filter(answer=proposal, kind="link").count() == 1
    # Again: nothing doubles; an answer someone started stays as it is.
    again = period_carry_over(period=new_period, user=secretariat_user)
    assert (again.proposed, again.skipped_answered) == (0, 1)
    # The unit confirms by saving: then the option's points count.
    services.answer_save(
        answer=proposal,
        user=opd_user,
        claimed_points=None,
        narrative=proposal.narrative,
        option=proposal.option,
    )
    proposal.refresh_from_db()
    assert not proposal.proposed and proposal.claimed_points == Decimal("24.00")


def test_nothing_to_start_from_is_said(lead_unit, secretariat_user):
    period, _question = _year(2026, "open", lead_unit)
    with pytest.raises(DomainError) as error:
        period_carry_over(period=period, user=secretariat_user)
    assert error.value.code == "no_source"


def test_the_secretariat_starts_it_from_the_period_page(
    client_for, lead_unit, opd_user, secretariat_user
):
    old_period, old_q = _year(2025, "open", lead_unit)
    answer = services.answer_open(question=old_q, unit=lead_unit)
    services.answer_save(answer=answer, user=opd_user, claimed_points="0", narrative="Ada SK")
    services.answer_submit(answer=Answer.objects.get(pk=answer.pk), user=opd_user)
    TODAY[0] = datetime.date(2026, 2, 10)
    new_period, new_q = _year(2026, "open", lead_unit)
    client = client_for(secretariat_user)
    url = reverse("kla:period-carry-over", args=[2026])
    assert client.get(url).status_code == 200  # asks first
    assert client.post(url).status_code == 302
    page = client_for(opd_user).get(reverse("opd:answer", args=[new_q.pk, lead_unit.pk]))
    assert 'data-testid="proposed-note"' in page.content.decode()
