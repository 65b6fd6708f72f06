"""The ministry's official points (typed, or imported whole or not at all), the rank that must
follow the official score on the bands, and where points were lost on the pages and the PDF."""

import io
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from openpyxl import Workbook

from core.errors import DomainError
from indicators.models import OfficialPoints, OfficialResult
from opd import services
from opd.models import Answer, Assignment, AuditEvent
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def instrument(period, lead_unit):
    """Indicator "1" of 20 points with questions 1a (10) and 1b (10), answered and approved."""
    indicator = factories.IndicatorFactory(group__period=period, code="1", max_points=Decimal("20"))
    questions = {}
    for code in ("1a", "1b"):
        q = factories.QuestionFactory(indicator=indicator, code=code, max_points=Decimal("10"))
        factories.AssignmentFactory(question=q, unit=lead_unit, role=Assignment.Role.LEAD)
        Answer.objects.create(
            question=q,
            unit=lead_unit,
            status=Answer.Status.APPROVED,
            claimed_points=Decimal("10"),
            verified_points=Decimal("8"),
        )
        questions[code] = q
    return {"indicator": indicator, "questions": questions}


def _xlsx(rows, headers=("kode", "nilai_resmi", "catatan")) -> io.BytesIO:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(list(headers))
    for row in rows:
        sheet.append(list(row))
    out = io.BytesIO()
    workbook.save(out)
    out.seek(0)
    out.name = "nilai.xlsx"
    return out


def _upload(client, period, rows, **kwargs):
    return client.post(
        reverse("kla:official-points-import", args=[period.year]), {"file": _xlsx(rows, **kwargs)}
    )


def test_the_template_workbook_imports_back(instrument, period, secretariat_user, client_for):
    client = client_for(secretariat_user)
    response = _upload(
        client, period, [("1/1a", "6,5", "Perda belum ditandatangani"), ("1/1b", 10, "")]
    )
    assert response.status_code == 302
    figures = dict(OfficialPoints.objects.values_list("question__code", "points"))
    assert figures == {"1a": Decimal("6.50"), "1b": Decimal("10.00")}
    assert AuditEvent.objects.filter(action=AuditEvent.Action.OFFICIAL_POINTS).count() == 1
    template = client.get(reverse("kla:official-points-template", args=[period.year]))
    assert template.status_code == 200 and template["Content-Type"].startswith("application/vnd")


BAD_ROWS = [
    ("unknown code", [("1/9z", "5", "")], "9z"),
    ("points above the maximum", [("1/1a", "12", "")], "1/1a"),
    ("text where a number belongs", [("1/1a", "sepuluh", "")], "sepuluh"),
    ("three decimals", [("1/1a", "5,125", "")], "5,125"),
    ("negative", [("1/1a", "-1", "")], "1/1a"),
    ("a code given twice", [("1/1a", "5", ""), ("1/1a", "6", "")], "1/1a"),
    ("an indicator above its maximum", [("1", "25", "")], "1"),
]


@pytest.mark.parametrize("rows,named", [c[1:] for c in BAD_ROWS], ids=[c[0] for c in BAD_ROWS])
def test_a_bad_workbook_is_refused_whole(
    instrument, period, secretariat_user, client_for, rows, named
):
    client = client_for(secretariat_user)
    # A good row first: it is not written either.
    response = _upload(client, period, [("1/1b", "9", "")] + rows)
    assert response.status_code == 400
    html = response.content.decode()
    assert 'data-testid="problems"' in html and named in html
    assert not OfficialPoints.objects.exists()
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.OFFICIAL_POINTS).exists()


def test_every_bad_row_is_listed_in_indonesian(instrument, period, secretariat_user, client_for):
    client = client_for(secretariat_user)
    client.cookies["django_language"] = "id"
    rows = [("1/9z", "5", ""), ("1/1a", "teks", ""), ("1/1b", "11", "")]
    html = _upload(client, period, rows).content.decode()
    assert "Baris 2" in html and "Baris 3" in html and "Baris 4" in html
    assert not OfficialPoints.objects.exists()


def test_a_ministry_export_is_read_by_its_headers(instrument, period, secretariat_user, client_for):
    client = client_for(secretariat_user)
    headers = ("No", "Kode", "Uraian", "Nilai Verifikasi", "Keterangan")
    rows = [(1, "1 / 1A", "…", 7.25, "Foto kurang")]
    response = _upload(client, period, rows, headers=headers)
    assert response.status_code == 302
    row = OfficialPoints.objects.get()
    assert (row.points, row.note) == (Decimal("7.25"), "Foto kurang")


def test_unrecognised_headers_are_mapped_by_hand(instrument, period, secretariat_user, client_for):
    client = client_for(secretariat_user)
    response = _upload(client, period, [("1/1a", "4", "")], headers=("Butir", "Angka", "Info"))
    assert response.status_code == 200 and 'data-testid="mapping"' in response.content.decode()
    assert not OfficialPoints.objects.exists()
    response = client.post(
        reverse("kla:official-points-import", args=[period.year]),
        {"action": "map", "column-code": "0", "column-points": "1", "column-note": "2"},
    )
    assert response.status_code == 302
    assert OfficialPoints.objects.get().points == Decimal("4.00")


def test_typed_points_are_saved_and_refused_whole(instrument, period, secretariat_user, client_for):
    client = client_for(secretariat_user)
    q = instrument["questions"]
    url = reverse("kla:official-points", args=[period.year])
    bad = client.post(url, {f"p-question-{q['1a'].pk}": "5", f"p-question-{q['1b'].pk}": "abc"})
    assert bad.status_code == 400 and not OfficialPoints.objects.exists()
    good = client.post(
        url, {f"p-question-{q['1a'].pk}": "5", f"n-question-{q['1a'].pk}": "SK kedaluwarsa"}
    )
    assert good.status_code == 302
    assert OfficialPoints.objects.get().note == "SK kedaluwarsa"
    # Emptied, it is removed.
    client.post(url, {})
    assert not OfficialPoints.objects.exists()


def test_official_points_of_another_period_are_refused(instrument, period, secretariat_user):
    other = factories.QuestionFactory(indicator__group__period=factories.PeriodFactory(year=2025))
    with pytest.raises(DomainError):
        services.official_points_save(
            period=period,
            user=secretariat_user,
            entries=[services.OfficialEntry("question", other.pk, Decimal("1"))],
        )


# --- The official rank follows the official score -------------------------------------------


def test_a_rank_that_contradicts_the_bands_is_refused(period, secretariat_user, client_for):
    with pytest.raises(DomainError) as error:
        services.official_result_record(
            period=period,
            user=secretariat_user,
            entered_on=None,
            provincial_notes="",
            field_verification_on=None,
            final_score=Decimal("588.40"),
            final_rank="Madya",
        )
    assert "Pratama" in error.value.message and "601" in error.value.message
    assert not OfficialResult.objects.exists()
    response = client_for(secretariat_user).post(
        reverse("kla:period-official", args=[period.year]),
        {"final_score": "588,40", "final_rank": "Madya"},
    )
    assert response.status_code == 400 and "Pratama" in response.content.decode()


def test_a_blank_rank_is_derived(period, secretariat_user):
    result = services.official_result_record(
        period=period,
        user=secretariat_user,
        entered_on=None,
        provincial_notes="",
        field_verification_on=None,
        final_score=Decimal("701.00"),
        final_rank="",
    )
    assert result.final_rank == "Nindya"


def test_the_model_refuses_the_contradiction_too(period):
    result = OfficialResult(period=period, final_score=Decimal("588.40"), final_rank="Madya")
    with pytest.raises(ValidationError) as error:
        result.full_clean()
    assert "final_rank" in error.value.message_dict
    OfficialResult(period=period, final_score=Decimal("588.40"), final_rank="Pratama").full_clean()


# --- Where points were lost -----------------------------------------------------------------


@pytest.fixture
def scored(instrument, period, secretariat_user):
    q = instrument["questions"]
    services.official_points_save(
        period=period,
        user=secretariat_user,
        entries=[
            services.OfficialEntry("question", q["1a"].pk, Decimal("3"), "Perda belum disahkan"),
            services.OfficialEntry("question", q["1b"].pk, Decimal("8")),
        ],
    )
    return instrument


def test_the_losses_page_shows_every_level(
    scored, period, executive_user, client_for, django_assert_max_num_queries
):
    client = client_for(executive_user)
    client.cookies["django_language"] = "id"
    # 1 session, 2 user with profile, 3 period, 4 years with official figures, 5-10 the score
    # (instrument and answers), 11 official points, 12 final score, 13 lead units, 14 notes
    # of the returns; with the page cache the score is kept
    with django_assert_max_num_queries(15):
        html = client.get(reverse("kla:losses", args=[period.year])).content.decode()
    for kind in ("groups", "agencies", "indicators", "questions"):
        assert f'data-testid="losses-{kind}"' in html
    assert "Perda belum disahkan" in html
    assert "9,00" in html  # 1a: claimed 10, official 3 → 7 lost; total lost 20 - 11 = 9,00


def test_the_dashboards_show_the_compact_read(
    scored, period, client_for, secretariat_user, executive_user
):
    for user, url in (
        (secretariat_user, "kla:secretariat-home"),
        (executive_user, "kla:executive-home"),
    ):
        html = client_for(user).get(reverse(url)).content.decode()
        assert 'data-testid="losses-summary"' in html
        assert reverse("kla:losses", args=[period.year]) in html


def test_this_years_shortfall_marks_what_lost_points_last_year(
    scored, period, lead_unit, executive_user, client_for
):
    this_year = factories.PeriodFactory(year=period.year + 1)
    last_q = scored["questions"]["1a"]
    q = factories.QuestionFactory(
        indicator__group__period=this_year, text=last_q.text.upper() + " ", max_points=Decimal("10")
    )
    factories.AssignmentFactory(question=q, unit=lead_unit, role=Assignment.Role.LEAD)
    html = (
        client_for(executive_user)
        .get(reverse("kla:executive-home") + f"?year={this_year.year}")
        .content.decode()
    )
    assert html.count('data-testid="lost-last-time"') == 1
    assert "Perda belum disahkan" in html


def test_the_pdf_report_has_where_points_were_lost(scored, period, tmp_path):
    from kla.reports.pdf import progress_report_html, progress_report_pdf
    from tests.test_report_pdf import pdf_text

    html = progress_report_html(period=period, language="id")
    assert 'data-testid="report-losses"' in html and 'data-testid="losses-questions"' in html
    text = pdf_text(progress_report_pdf(period=period, language="id"), tmp_path)
    assert "Perda belum disahkan" in text and "9,00" in text


def test_the_api_serves_the_official_figures(scored, period, executive_user, client_for):
    from tests.test_api import SCORE, _validator

    services.official_result_record(
        period=period,
        user=None,
        entered_on=None,
        provincial_notes="",
        field_verification_on=None,
        final_score=Decimal("11.00"),
        final_rank="",
    )
    client = client_for(executive_user)
    served = client.get(reverse("kla:api-score", args=[period.year])).json()
    _validator(client, SCORE).validate(served)
    official = served["official"]
    assert (official["final_score"], official["final_rank"], official["stage"]) == (
        "11.00",
        None,
        "final",
    )
    assert official["lost"] == "9.00"
    assert official["questions"][0] == {
        "name": "1/1a",
        "official": "3.00",
        "lost": "7.00",
        "note": "Perda belum disahkan",
    }
