"""Where the verification risk shows: the answer page and the submit confirmation (the unit,
before it submits), the review queue's filter, order and badges, the points at risk on the
secretariat's and the Bupati's pages and in the PDF report, the prediction page, and the
register form prefilled with what the file's text says."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from indicators.models import OfficialPoints
from kla.reports.pdf import progress_report_html
from opd.models import Answer, Evidence, EvidenceRevision
from tests import factories

pytestmark = pytest.mark.django_db

D = Decimal
NARRATIVE = "Keputusan Bupati tentang Gugus Tugas KLA ditetapkan dan terlampir lengkap di sini."


def _answer(question, unit, claimed="5.00", status=Answer.Status.DRAFT, **values):
    return Answer.objects.create(
        question=question,
        unit=unit,
        claimed_points=D(claimed),
        narrative=NARRATIVE,
        status=status,
        **values,
    )


def _file(answer, sha256="f" * 64, **read):
    evidence = Evidence.objects.create(answer=answer, unit=answer.unit, title="sk.pdf")
    return EvidenceRevision.objects.create(
        evidence=evidence,
        file="evidence/x/sk.pdf",
        original_name="sk.pdf",
        size=10,
        sha256=sha256,
        content_type="application/pdf",
        text_layer=True,
        **read,
    )


@pytest.fixture
def bare(question, lead_unit):
    """A draft claiming points with nothing attached: high risk."""
    return _answer(question, lead_unit, claimed="7.00")


def test_the_unit_sees_the_risk_on_the_answer_page_and_before_submitting(
    client_for, opd_user, bare
):
    client = client_for(opd_user)
    page = client.get(reverse("opd:answer", args=[bare.question_id, bare.unit_id])).content.decode()
    assert 'data-testid="answer-risk" data-level="high"' in page
    # The unit's language: "Risiko verifikasi: tinggi, karena: ..." with every reason.
    assert "Risiko verifikasi: tinggi" in page
    assert "nilai diklaim tetapi tidak ada bukti yang dilampirkan" in page
    confirm = client.get(reverse("opd:answer-submit", args=[bare.question_id, bare.unit_id]))
    assert "nilai diklaim tetapi tidak ada bukti yang dilampirkan" in confirm.content.decode()


def test_a_sound_answer_shows_no_risk(client_for, opd_user, question, lead_unit):
    sound = _answer(question, lead_unit)
    _file(sound)
    page = client_for(opd_user).get(reverse("opd:answer", args=[question.pk, lead_unit.pk]))
    assert 'data-testid="answer-risk"' not in page.content.decode()


def test_the_queue_filters_and_orders_by_risk_with_a_badge(
    client_for, secretariat_user, period, lead_unit
):
    def question():
        q = factories.QuestionFactory(indicator__group__period=period)
        factories.AssignmentFactory(question=q, unit=lead_unit)
        return q

    sound = _answer(question(), lead_unit, status=Answer.Status.SUBMITTED)
    _file(sound)
    small = _answer(question(), lead_unit, claimed="2.00", status=Answer.Status.SUBMITTED)
    large = _answer(question(), lead_unit, claimed="9.00", status=Answer.Status.SUBMITTED)
    client = client_for(secretariat_user)
    url = reverse("opd:review-queue")
    high = client.get(url, {"year": period.year, "status": "submitted", "risk": "high"})
    html = high.content.decode()
    assert html.count('data-testid="queue-row"') == 2
    assert html.count('data-testid="risk-badge" data-level="high"') == 2
    ordered = client.get(url, {"year": period.year, "status": "submitted", "sort": "risk"})
    rows = ordered.content.decode().split('data-testid="queue-row"')[1:]
    links = [reverse("opd:answer", args=[a.question_id, a.unit_id]) for a in (large, small, sound)]
    assert [next(i for i, row in enumerate(rows) if link in row) for link in links] == [0, 1, 2]


def test_points_at_risk_on_the_secretariats_and_the_bupatis_pages(
    client_for, secretariat_user, executive_user, bare
):
    for user, name in (
        (secretariat_user, "kla:secretariat-home"),
        (executive_user, "kla:executive-home"),
    ):
        html = client_for(user).get(reverse(name)).content.decode()
        assert 'data-testid="points-at-risk-value">7,00<' in html, name


def test_the_pdf_report_lists_the_high_risk_answers(period, bare):
    html = progress_report_html(period=period, language="en")
    assert 'data-testid="report-risk"' in html
    assert "points are claimed but no evidence is attached" in html


def test_the_prediction_page_compares_the_flags_with_the_official_points(
    client_for, secretariat_user, period, question, lead_unit, bare
):
    OfficialPoints.objects.create(
        period=period, level=OfficialPoints.Level.QUESTION, question=question, points=D("3.00")
    )
    html = (
        client_for(secretariat_user)
        .get(reverse("kla:risk-prediction", args=[period.year]))
        .content.decode()
    )
    assert 'data-testid="prediction-now"' in html
    # 7 claimed, 3 given: 4 lost, all by the one answer flagged high.
    assert 'data-testid="prediction-caught">4,00 (100%)' in html
    assert 'data-rule="no_evidence"' in html


def test_the_prediction_page_without_official_points_says_so(client_for, secretariat_user, period):
    html = (
        client_for(secretariat_user)
        .get(reverse("kla:risk-prediction", args=[period.year]))
        .content.decode()
    )
    assert "belum memiliki nilai resmi per pertanyaan" in html


def test_the_register_form_offers_what_the_file_says_and_flags_a_late_date(
    client_for, opd_user, question, lead_unit, period
):
    answer = _answer(question, lead_unit)
    revision = _file(
        answer,
        read_number="188.45/123/2026",
        read_date=datetime.date(period.year, 5, 2),
        read_via="ocr",
        read_at=datetime.datetime(2026, 2, 1, tzinfo=datetime.UTC),
    )
    response = client_for(opd_user).get(reverse("opd:document-register", args=[revision.pk]))
    html = response.content.decode()
    assert response.status_code == 200, html[-3000:]
    assert 'value="188.45/123/2026"' in html and 'value="2026-05-02"' in html
    assert 'data-testid="read-late"' in html
