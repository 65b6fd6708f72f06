"""The share of a per-unit question on the pages: over the district's official number of
kecamatan (set on the period page), through the question's steps, written "k dari n (x%)";
fewer registered units than the official number is a visible warning; the rounding is set
once on the period page and the score follows it."""

import datetime
from decimal import Decimal as D

import pytest
from django.urls import reverse
from django.utils import timezone

from indicators.models import AnswerOption, Period, row_options
from opd.models import Answer, Assignment, AuditEvent, Unit
from opd.scoring import score_period
from tests import factories

STEPS = [["0", "1.00"], ["25", "1.60"], ["50", "3.00"], ["75", "3.20"], ["100", "4.00"]]


@pytest.fixture(autouse=True)
def _inside_window(monkeypatch):
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: datetime.date(2026, 2, 10))


@pytest.fixture
def table(period):
    """A question every kecamatan answers, worth 4, with steps; 4 kecamatan registered, 3 of
    them approved "Ya", one "Tidak"."""
    question = factories.QuestionFactory(
        indicator__group__period=period,
        indicator__max_points=D("10"),
        every_kecamatan=True,
        max_points=D("4.00"),
        steps=STEPS,
    )
    for order, (label, points) in enumerate(row_options(question.max_points), start=1):
        AnswerOption.objects.create(question=question, label=label, points=points, order=order)
    for n in range(4):
        unit = factories.UnitFactory(
            name=f"Kecamatan {n}", short_name=f"Kec. {n}", kind=Unit.Kind.KECAMATAN
        )
        factories.AssignmentFactory(question=question, unit=unit, role=Assignment.Role.PER_UNIT)
        points = D("4.00") if n < 3 else D("0.00")
        Answer.objects.create(
            question=question,
            unit=unit,
            status=Answer.Status.APPROVED,
            claimed_points=points,
            verified_points=points,
        )
    return question


@pytest.mark.django_db
def test_the_official_number_moves_the_share_and_the_pages_warn(
    client, secretariat_user, period, table
):
    # Registered units only: 3 of 4 = 75% -> the 75% step, 3,20.
    assert score_period(period=period).verified == D("3.20")
    client.force_login(secretariat_user)
    page = client.get(reverse("opd:question-table", args=[table.pk])).content.decode()
    assert "3 dari 4 (75%)" in page and "3,20" in page
    assert 'data-testid="unit-shortfall"' not in page

    # The district has 13 kecamatan: set on the period page, one audit event.
    response = client.post(
        reverse("kla:period-scoring", args=[period.year]),
        {"official_kecamatan": "13", "official_desa": "", "rounding": "question"},
    )
    assert response.status_code == 302
    period.refresh_from_db()
    assert (period.official_kecamatan, period.official_desa) == (13, None)
    assert AuditEvent.objects.filter(action=AuditEvent.Action.PERIOD_CHANGE).count() == 1

    # 3 of 13 = 23,1%: under the 25% step, 1,00; the score follows at once.
    assert score_period(period=period).verified == D("1.00")
    page = client.get(reverse("opd:question-table", args=[table.pk])).content.decode()
    assert "3 dari 13 (23,1%)" in page and "1,00" in page
    assert 'data-testid="unit-shortfall"' in page and "Hanya 4 dari 13 unit" in page
    row = Answer.objects.filter(question=table).first()
    page = client.get(reverse("opd:answer", args=[table.pk, row.unit_id])).content.decode()
    assert "“Ya”: 3 dari 13 (23,1%); nilai pertanyaan: diklaim 1,00, terverifikasi 1,00" in page
    for url in (
        reverse("kla:period-edit", args=[period.year]),
        reverse("kla:secretariat-home") + f"?year={period.year}",
    ):
        page = client.get(url).content.decode()
        assert 'data-testid="unit-shortfall"' in page, url
        assert "4 terdaftar dari jumlah resmi kabupaten 13" in page, url


@pytest.mark.django_db
def test_a_bad_official_number_is_refused_and_kept_on_the_page(client, secretariat_user, period):
    client.force_login(secretariat_user)
    response = client.post(
        reverse("kla:period-scoring", args=[period.year]),
        {"official_kecamatan": "-2", "official_desa": "x", "rounding": "bankers"},
    )
    assert response.status_code == 400
    period.refresh_from_db()
    assert (period.official_kecamatan, period.rounding) == (None, Period.Rounding.QUESTION)
    assert 'value="-2"' in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize(("rounding", "expected"), [("question", "3.34"), ("indicator", "3.33")])
def test_the_rounding_set_on_the_period_page_is_the_scores(
    client, secretariat_user, period, rounding, expected
):
    """Two questions of one row of three kecamatan x 5: 1,666.. each."""
    indicator = factories.IndicatorFactory(group__period=period, max_points=D("10"))
    units = [
        factories.UnitFactory(name=f"Kec {n}", short_name=f"K{n}", kind=Unit.Kind.KECAMATAN)
        for n in range(3)
    ]
    for code in ("a", "b"):
        question = factories.QuestionFactory(
            indicator=indicator, code=code, every_kecamatan=True, max_points=D("5")
        )
        for unit in units:
            factories.AssignmentFactory(question=question, unit=unit, role="per_unit")
        Answer.objects.create(
            question=question,
            unit=units[0],
            status=Answer.Status.APPROVED,
            claimed_points=D("5"),
            verified_points=D("5"),
        )
    client.force_login(secretariat_user)
    client.post(
        reverse("kla:period-scoring", args=[period.year]),
        {"official_kecamatan": "", "official_desa": "", "rounding": rounding},
    )
    period.refresh_from_db()
    assert period.rounding == rounding
    assert str(score_period(period=period).verified) == expected
