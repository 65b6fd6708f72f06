"""The Excel recap: its totals, as a preview shows them, are exactly the engine's; layout and
print setup."""

import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.test.utils import override_settings
from django.urls import reverse
from openpyxl import load_workbook

from indicators.models import Period
from kla.reports.xlsx import rekap_workbook, sheet_title
from kla.selectors import unit_completion
from opd.models import Answer, Assignment, AuditEvent, Evidence, Unit
from opd.scoring import score_period
from tests import factories

pytestmark = pytest.mark.django_db

DISTRICT = "Kabupaten Contoh Ujicoba"


# --- The workbook as a preview reads it ------------------------------------------------------


class Preview:
    """What a phone's viewer or a mail/WhatsApp preview shows: the stored value of a cell
    (openpyxl's data_only=True), never a formula's result computed on the spot. A formula
    openpyxl wrote has no stored value and reads as None: a blank total on the phone."""

    def __init__(self, workbook):
        self.wb = workbook

    def cell(self, sheet: str, coordinate: str) -> float:
        value = self.wb[sheet][coordinate].value
        assert isinstance(value, (int, float)), f"{sheet}!{coordinate} shows {value!r}"
        return float(value)


def test_the_preview_sees_no_value_of_a_formula():
    """The check can fail: a formula openpyxl wrote is blank to a preview."""
    from openpyxl import Workbook

    wb = Workbook()
    wb.active.title = "S"
    wb["S"]["A1"], wb["S"]["A2"], wb["S"]["A3"] = 5, 7, "=SUM(A1:A2)"
    buffer = io.BytesIO()
    wb.save(buffer)
    preview = Preview(load_workbook(io.BytesIO(buffer.getvalue()), data_only=True))
    assert preview.cell("S", "A1") == 5
    with pytest.raises(AssertionError, match="S!A3 shows None"):
        preview.cell("S", "A3")


# --- A period with everything the recap must handle ------------------------------------------


def _answer(question, unit, status, claimed=None, verified=None, note="", evidence=0):
    answer = Answer.objects.create(
        question=question,
        unit=unit,
        status=status,
        review_note=note,
        claimed_points=Decimal(claimed) if claimed is not None else None,
        verified_points=Decimal(verified) if verified is not None else None,
    )
    for n in range(evidence):
        Evidence.objects.create(
            answer=answer, unit=unit, kind=Evidence.Kind.LINK, url=f"https://e.test/{n}"
        )
    return answer


def build_period(period, *, extra_questions=0):
    """Two groups; an indicator whose questions add up to more than its maximum (capped);
    an every-kecamatan question with three kecamatan and a coordinating agency; every status."""
    dinkes = factories.UnitFactory(name="Dinas Kesehatan", short_name="Dinkes")
    dinsos = factories.UnitFactory(name="Dinas Sosial", short_name="Dinsos")
    kelembagaan = factories.GroupFactory(
        period=period, name="Kelembagaan", order=1, declared_max_points=Decimal("164")
    )
    klaster = factories.GroupFactory(
        period=period,
        name="Klaster V Perlindungan Khusus: anak/remaja [uji]",
        order=2,
    )
    capped = factories.IndicatorFactory(group=kelembagaan, code="1", max_points=Decimal("12"))
    plain = factories.IndicatorFactory(group=kelembagaan, code="2", max_points=Decimal("30"))
    kec = factories.IndicatorFactory(group=klaster, code="25", max_points=Decimal("50"))
    factories.IndicatorFactory(group=klaster, code="26", max_points=Decimal("20"))  # no questions

    def q(indicator, code, maximum, lead=dinkes, **kw):
        question = factories.QuestionFactory(
            indicator=indicator, code=code, max_points=Decimal(maximum), **kw
        )
        if lead is not None:
            factories.AssignmentFactory(question=question, unit=lead, role=Assignment.Role.LEAD)
        return question

    q1 = q(capped, "1.1", "10")
    factories.AssignmentFactory(question=q1, unit=dinsos, role=Assignment.Role.SUPPORT)
    _answer(q1, dinkes, Answer.Status.APPROVED, "10", "9.25", note="Kurang stempel", evidence=2)
    q2 = q(capped, "1.2", "8")
    _answer(q2, dinkes, Answer.Status.SUBMITTED, "7.75", evidence=1)
    q3 = q(plain, "2.1", "10", lead=dinsos)
    _answer(q3, dinsos, Answer.Status.REVISION_REQUESTED, "5", note="Lampirkan SK")
    q(plain, "2.2", "10")  # not started
    q5 = q(plain, "2.3", "10")
    _answer(q5, dinkes, Answer.Status.DRAFT, "3")
    q6 = q(plain, "2.4", "10")
    _answer(q6, dinkes, Answer.Status.APPROVED, "10", "10")

    per_unit = q(kec, "25.1", "20", lead=None, every_kecamatan=True)
    factories.AssignmentFactory(question=per_unit, unit=dinkes, role=Assignment.Role.COORDINATOR)
    kecamatan = [
        factories.UnitFactory(name=f"Kecamatan {n}", short_name=f"Kec{n}", kind=Unit.Kind.KECAMATAN)
        for n in (1, 2, 3)
    ]
    for unit in kecamatan:
        factories.AssignmentFactory(question=per_unit, unit=unit, role=Assignment.Role.PER_UNIT)
    _answer(per_unit, kecamatan[0], Answer.Status.APPROVED, "20", "15", evidence=1)
    _answer(per_unit, kecamatan[1], Answer.Status.APPROVED, "10", "10")
    # kecamatan[2] has not answered: it counts as zero in the mean.
    q(kec, "25.2", "30", lead=dinsos)
    for n in range(extra_questions):
        extra = q(plain, f"2.{10 + n}", "1", lead=dinsos)
        _answer(extra, dinsos, Answer.Status.APPROVED, "1", "0.5", evidence=1)
    return {"kelembagaan": kelembagaan, "klaster": klaster, "capped": capped}


@pytest.fixture
def built(period):
    return build_period(period)


def _score(period):
    return score_period(period=period)


def _load(period, *, data_only=True):
    """The saved workbook as a preview reads it (stored values), or with its formulas."""
    buffer = io.BytesIO()
    rekap_workbook(period=period).save(buffer)
    return load_workbook(io.BytesIO(buffer.getvalue()), data_only=data_only)


def _find_row(ws, column: int, text: str) -> int:
    for row in range(1, ws.max_row + 1):
        if ws.cell(row=row, column=column).value == text:
            return row
    raise AssertionError(f"{text!r} not in column {column} of {ws.title}")


def _assert_workbook_equals_engine(period):
    """Every total of the workbook, as a preview shows it, is filled and equals the score
    service's."""
    wb = _load(period)
    score = _score(period)
    evaluator = Preview(wb)
    summary = wb["Ringkasan"]

    def check(sheet, coordinate, expected):
        value = evaluator.cell(sheet, coordinate)
        assert value == pytest.approx(float(expected), abs=1e-9), f"{sheet}!{coordinate}"

    check("Ringkasan", "B10", score.claimed)
    check("Ringkasan", "B11", score.verified)
    check("Ringkasan", "B12", score.potential)
    if score.gap_to_target is not None:
        check("Ringkasan", "B14", score.gap_to_target)
    assert summary["C10"].value == (score.rank_claimed or "—")
    assert summary["C11"].value == (score.rank_verified or "—")
    assert summary["C12"].value == (score.rank_potential or "—")

    assert len(score.groups) == len(wb.sheetnames) - 2
    for offset, group in enumerate(score.groups):
        row = 17 + offset
        assert summary.cell(row=row, column=1).value == group.name
        check("Ringkasan", f"B{row}", group.max_points)
        check("Ringkasan", f"D{row}", group.points.claimed)
        check("Ringkasan", f"E{row}", group.points.verified)
        check("Ringkasan", f"F{row}", group.points.potential)
        sheet = summary.cell(row=row, column=8).value
        ws = wb[sheet]
        total = _find_row(ws, 1, f"Total {group.name}")
        check(sheet, f"I{total}", group.points.claimed)
        check(sheet, f"J{total}", group.points.verified)
        for indicator in group.indicators:
            sub = _find_row(ws, 3, f"Subtotal indikator {indicator.code}")
            check(sheet, f"I{sub}", indicator.points.claimed)
            check(sheet, f"J{sub}", indicator.points.verified)
            check(sheet, f"K{sub}", indicator.max_points)
    return evaluator


def test_a_preview_shows_every_total_equal_to_the_score(built, period):
    _assert_workbook_equals_engine(period)
    # Nothing is left for a spreadsheet to compute: a viewer that computes nothing shows all.
    wb = _load(period, data_only=False)
    formulas = [
        f"{ws.title}!{c.coordinate}"
        for ws in wb.worksheets
        for row in ws.iter_rows()
        for c in row
        if c.data_type == "f"
    ]
    assert formulas == []


@override_settings(KLA_DISTRICT_NAME=DISTRICT)
def test_the_creation_time_is_not_hashes(built, period):
    """ "Dibuat pada" (dd-mm-yyyy hh:mm, 16 characters) fits its column: no ### in a viewer."""
    summary = _load(period)["Ringkasan"]
    assert summary["A7"].value == "Dibuat pada (WIB)"
    assert summary["B7"].number_format == "dd-mm-yyyy hh:mm"
    assert summary.column_dimensions["B"].width >= len("dd-mm-yyyy hh:mm") + 2


@pytest.mark.parametrize(("rounding", "total"), [("question", 16.66), ("indicator", 16.67)])
def test_totals_round_like_the_engine(period, rounding, total):
    """Two questions every kecamatan answers, each worth 25/3 = 8,333..: by default each
    question to the cent (the ministry's way: 8,33 + 8,33 = 16,66); with the other rounding the
    exact means are added (16,666.. -> 16,67). The workbook writes what the engine says."""
    period.rounding = rounding
    period.save()
    group = factories.GroupFactory(period=period, name="Kelana Dekela")
    indicator = factories.IndicatorFactory(group=group, code="25", max_points=Decimal("100"))
    kecamatan = [
        factories.UnitFactory(short_name=f"K{n}", kind=Unit.Kind.KECAMATAN) for n in range(3)
    ]
    for code in ("25.1", "25.2"):
        question = factories.QuestionFactory(
            indicator=indicator, code=code, max_points=Decimal("20"), every_kecamatan=True
        )
        for unit in kecamatan:
            factories.AssignmentFactory(question=question, unit=unit, role=Assignment.Role.PER_UNIT)
        _answer(question, kecamatan[0], Answer.Status.APPROVED, "15", "15")
        _answer(question, kecamatan[1], Answer.Status.APPROVED, "10", "10")
    assert _score(period).verified == Decimal(str(total))
    evaluator = _assert_workbook_equals_engine(period)
    assert evaluator.cell("Ringkasan", "B11") == total
    sheet = evaluator.wb["Kelana Dekela"]
    row = _find_row(sheet, 4, "25.1")
    assert sheet.cell(row=row, column=10).value == 8.33  # the question as the engine shows it


def test_known_figures(built, period):
    """The same figures by hand, so the test does not only compare the code with itself."""
    wb = _load(period)
    evaluator = Preview(wb)
    kelembagaan = wb["Kelembagaan"]
    sub1 = _find_row(kelembagaan, 3, "Subtotal indikator 1")
    assert evaluator.cell("Kelembagaan", f"I{sub1}") == 12  # 10 + 7.75 capped at 12
    assert evaluator.cell("Kelembagaan", f"J{sub1}") == 9.25
    sub2 = _find_row(kelembagaan, 3, "Subtotal indikator 2")
    assert evaluator.cell("Kelembagaan", f"I{sub2}") == 18  # 5 + 0 + 3 + 10
    assert evaluator.cell("Kelembagaan", f"J{sub2}") == 10
    title = sheet_title("Klaster V Perlindungan Khusus: anak/remaja [uji]", set())
    klaster = wb[title]
    row = _find_row(klaster, 4, "25.1")
    assert klaster.cell(row=row, column=9).value == 10  # (20 + 10 + 0) / 3
    # (15 + 10 + 0) / 3 = 8,333..: the engine's question to the cent (the period's default)
    assert klaster.cell(row=row, column=10).value == 8.33
    assert klaster.cell(row=row, column=8).value == "Ya: 1 dari 3 (33,3%) · 2/3 unit disetujui"
    details = [klaster.cell(row=row + n, column=6).value for n in (1, 2, 3)]
    assert details == ["Kec1", "Kec2", "Kec3"]
    assert all(klaster.row_dimensions[row + n].outline_level == 1 for n in (1, 2, 3))
    total = _find_row(klaster, 1, f"Total {klaster.cell(row=5, column=1).value}")
    assert evaluator.cell(title, f"I{total}") == 10  # detail rows are not summed twice
    assert evaluator.cell(title, f"K{total}") == 70
    assert evaluator.cell("Ringkasan", "B10") == 40
    assert evaluator.cell("Ringkasan", "B11") == pytest.approx(27.58)
    q1 = _find_row(kelembagaan, 4, "1.1")
    assert kelembagaan.cell(row=q1, column=6).value == "Dinkes"
    assert kelembagaan.cell(row=q1, column=7).value == "Dinsos"
    assert kelembagaan.cell(row=q1, column=8).value == "Disetujui"
    assert kelembagaan.cell(row=q1, column=12).value == 2
    assert kelembagaan.cell(row=q1, column=14).value == "Kurang stempel"


@override_settings(KLA_DISTRICT_NAME=DISTRICT)
def test_layout_and_print_setup(built, period):
    wb = _load(period)
    assert wb.sheetnames[0] == "Ringkasan" and wb.sheetnames[-1] == "Progres Unit"
    assert len(wb.sheetnames) == 4
    assert all(len(name) <= 31 for name in wb.sheetnames)
    summary = wb["Ringkasan"]
    assert summary["B4"].value == DISTRICT
    assert summary["B5"].value == period.year
    for ws in wb.worksheets:
        assert int(ws.page_setup.paperSize) == 9  # A4
        assert ws.page_setup.orientation == "landscape"
        assert ws.page_setup.fitToWidth == 1 and ws.page_setup.fitToHeight == 0
        assert ws.sheet_properties.pageSetUpPr.fitToPage
        assert ws.freeze_panes is not None
        assert ws.auto_filter.ref
        header = int(ws.freeze_panes[1:]) - 1
        assert ws.print_title_rows == f"${header}:${header}"
        assert ws.cell(row=header, column=1).font.bold
    kelembagaan = wb["Kelembagaan"]
    assert kelembagaan.freeze_panes == "A5"
    assert kelembagaan.auto_filter.ref.startswith("A4:O")
    assert [c.value for c in kelembagaan[4]][:5] == [
        "Kelompok",
        "Kode indikator",
        "Nama indikator",
        "Kode pertanyaan",
        "Pertanyaan",
    ]
    for row in range(5, kelembagaan.max_row + 1):
        for column in ("I", "J", "K"):
            assert kelembagaan[f"{column}{row}"].number_format == "0.00", f"{column}{row}"
    units = wb["Progres Unit"]
    evaluator = Preview(wb)
    rows = {
        r[0].value: [c.value for c in r[:7]] + [evaluator.cell("Progres Unit", f"H{r[0].row}")]
        for r in units.iter_rows(min_row=5)
    }
    # Kec1: one question, answered, with evidence, submitted (and since approved).
    assert rows["Kec1"][2:8] == [1, 1, 1, 1, 1, 1.0]
    assert rows["Kec3"][2:8] == [1, 0, 0, 0, 0, 0]
    # Dinkes leads 1.1, 1.2, 2.2, 2.3, 2.4 (it coordinates 25.1 but does not answer it);
    # 1.1 and 2.4 approved, 1.2 submitted: 3 of 5 submitted; 2.2 not started.
    assert rows["Dinkes"][2:8] == [5, 4, 2, 3, 2, 0.6]
    # The same numbers as the dashboards'.
    for completion in unit_completion(period=period):
        short = completion.unit.short_name
        assert rows[short][2:7] == [
            completion.assigned,
            completion.answered,
            completion.with_evidence,
            completion.submitted,
            completion.approved,
        ]
        assert round(100 * rows[short][7]) == completion.percent


def test_sheet_titles_are_valid_and_unique():
    taken = {"ringkasan", "progres unit"}
    long = "Klaster II Lingkungan Keluarga dan Pengasuhan Alternatif"
    first = sheet_title(long, taken)
    second = sheet_title(long, taken)
    assert first == "Klaster II Lingkungan Keluarga"
    assert second == "Klaster II Lingkungan Kelua (2)" and len(second) == 31
    assert sheet_title("a/b:c*d?[e]", taken) == "a b c d e"
    assert sheet_title("Ringkasan", taken) == "Ringkasan (2)"
    assert sheet_title("''", taken) == "Kelompok"


def test_empty_period_gives_zeros(period):
    wb = _load(period)
    evaluator = Preview(wb)
    assert wb.sheetnames == ["Ringkasan", "Progres Unit"]
    assert evaluator.cell("Ringkasan", "B10") == 0
    assert evaluator.cell("Ringkasan", "B11") == 0


def test_query_count_is_constant(period, django_assert_num_queries):
    build_period(period)
    # The score service: 1 groups with their indicators, 2 assignments of per-unit
    # questions, 3 questions, 4 rank bands, 5 answers. The rows: 6 groups, 7 indicators,
    # 8 questions, 9 assignments with their units, 10 answers with their evidence counts,
    # 11 registered documents attached to them. Unit progress as the dashboard counts it:
    # 12 assignments with their units, 13 answers counted per unit.
    with django_assert_num_queries(13):
        rekap_workbook(period=period)
    indicator = period.groups.first().indicators.first()
    for n in range(30):
        extra = factories.QuestionFactory(indicator=indicator, code=f"x{n}")
        unit = factories.UnitFactory(short_name=f"U{n}")
        factories.AssignmentFactory(question=extra, unit=unit)
        _answer(extra, unit, Answer.Status.APPROVED, "1", "1", evidence=1)
    with django_assert_num_queries(13):
        rekap_workbook(period=period)


def test_export_rekap_command(built, period, tmp_path):
    out = tmp_path / "rekap.xlsx"
    stdout = io.StringIO()
    call_command("export_rekap", "--period", str(period.year), "--out", str(out), stdout=stdout)
    wb = load_workbook(out)
    assert wb.sheetnames[0] == "Ringkasan"
    assert str(out) in stdout.getvalue()


def test_download_is_audited(built, period, client_for, executive_user):
    response = client_for(executive_user).get(reverse("kla:report-xlsx", args=[period.year]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml"
    )
    assert f"rekap-kla-{period.year}.xlsx" in response["Content-Disposition"]
    assert load_workbook(io.BytesIO(response.content)).sheetnames[0] == "Ringkasan"
    event = AuditEvent.objects.get(action=AuditEvent.Action.EXPORT)
    assert event.actor == executive_user and event.data["kind"] == "xlsx"


def test_demo_district_workbook_equals_the_engine():
    """The real instrument (274 questions, 13 kecamatan, indicators whose questions exceed
    their maximum) with the demo answers: every total of both periods equals the engine."""
    from kla.demo import load_demo

    load_demo()
    for year in (2026, 2027):
        period = Period.objects.get(year=year)
        score = _score(period)
        assert score.verified > 0
        _assert_workbook_equals_engine(period)


# --- Text people typed stays text ------------------------------------------------------------

# What a spreadsheet may run as a formula ("=", "+", "-", "@") and what openpyxl would store
# as an error value ("#N/A"). All are at most 20 characters: they also fit the code fields.
TYPED = ['=HYPERLINK("x.test")', "+1+1", "-1+1", "@SUM(A1)", "#N/A"]


def _hostile_period(period, typed: str):
    """Every text the recap shows, typed as `typed`: group, indicator, question, unit names,
    review notes on an ordinary and on an every-kecamatan question."""
    group = factories.GroupFactory(period=period, name=typed)
    indicator = factories.IndicatorFactory(group=group, code=typed, name=typed)
    unit = factories.UnitFactory(name=typed, short_name=typed)
    question = factories.QuestionFactory(indicator=indicator, code=typed, text=typed)
    factories.AssignmentFactory(question=question, unit=unit, role=Assignment.Role.LEAD)
    _answer(question, unit, Answer.Status.REVISION_REQUESTED, "5", note=typed)
    per_unit = factories.QuestionFactory(
        indicator=indicator, code="2", text="Per kecamatan", every_kecamatan=True
    )
    kecamatan = factories.UnitFactory(
        name=f"Kec {typed}", short_name=f"{typed}k", kind=Unit.Kind.KECAMATAN
    )
    factories.AssignmentFactory(question=per_unit, unit=kecamatan, role=Assignment.Role.PER_UNIT)
    _answer(per_unit, kecamatan, Answer.Status.REVISION_REQUESTED, "3", note=typed)


SHEETS_OF_THEIR_OWN = {"Progres Unit", "Ringkasan"}


@pytest.mark.parametrize("typed", TYPED)
def test_typed_text_stays_text(period, typed):
    _hostile_period(period, typed)
    wb = _load(period, data_only=False)
    group_sheet = wb.sheetnames[1]
    found = set()
    for ws in wb.worksheets:
        kind = ws.title if ws.title in SHEETS_OF_THEIR_OWN else "group"
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"{ws.title}!{cell.coordinate}"
                if isinstance(cell.value, str) and typed in cell.value:
                    assert cell.data_type == "s", f"{ws.title}!{cell.coordinate}"
                    if cell.value == typed:
                        found.add((kind, cell.column_letter))
    # The typed text came back unchanged (no apostrophe) in every place that shows it:
    # group, indicator code and name, question code and text, lead unit, review note; the
    # per-unit detail row's note; the unit sheet's short and full name; the summary's group.
    assert found >= {
        ("group", "A"),
        ("group", "B"),
        ("group", "C"),
        ("group", "D"),
        ("group", "E"),
        ("group", "F"),
        ("group", "N"),
        ("Progres Unit", "A"),
        ("Progres Unit", "B"),
        ("Ringkasan", "A"),
    }
    notes = [c.value for c in wb[group_sheet]["N"] if c.value == typed]
    assert len(notes) == 2  # the ordinary answer's note and the kecamatan's
    # The totals are numbers and still add up.
    _assert_workbook_equals_engine(period)
    total = _find_row(wb[group_sheet], 1, f"Total {typed}")
    assert wb[group_sheet][f"I{total}"].data_type == "n"
    assert wb["Ringkasan"]["B10"].data_type == "n"
    assert wb["Ringkasan"]["D17"].data_type == "n"
    assert wb["Progres Unit"]["H5"].data_type == "n"


def test_control_characters_pasted_into_a_note_do_not_break_the_recap(period):
    """A vertical tab or form feed pasted from Word is dropped; the rest of the text stays."""
    group = factories.GroupFactory(period=period, name="Kelembagaan")
    indicator = factories.IndicatorFactory(group=group, code="1", name="Perda")
    unit = factories.UnitFactory(name="Dinas Kesehatan", short_name="Dinkes")
    question = factories.QuestionFactory(indicator=indicator, code="1", text="Ada\x0bPerda?")
    factories.AssignmentFactory(question=question, unit=unit, role=Assignment.Role.LEAD)
    _answer(question, unit, Answer.Status.REVISION_REQUESTED, "5", note="Lampirkan\x0cSK")
    ws = _load(period).worksheets[1]
    values = {c.value for row in ws.iter_rows() for c in row}
    assert {"AdaPerda?", "LampirkanSK"} <= values


def test_sheet_name_that_looks_like_a_formula_stays_text(period):
    """The summary's link to a group sheet shows the sheet's name, made from the group's."""
    factories.GroupFactory(period=period, name="=1+1")
    wb = _load(period)
    assert wb.sheetnames[1] == "=1+1"
    link = wb["Ringkasan"]["H17"]
    assert (link.value, link.data_type) == ("=1+1", "s")
    assert link.hyperlink.target == "#'=1+1'!A1"


def test_the_recap_totals_no_declared_maxima(period):
    """Declared maxima are shown per group but never added up: the 2024 instrument's come to
    1035 next to 1000 effective points."""
    from kla.reports.xlsx import SUMMARY_SHEET, SUMMARY_TABLE_ROW

    for order, declared in enumerate([Decimal("150"), Decimal("164")]):
        group = factories.GroupFactory(
            period=period, name=f"G{order}", order=order, declared_max_points=declared
        )
        factories.IndicatorFactory(group=group, max_points=Decimal("100"))
    buffer = io.BytesIO()
    rekap_workbook(period=period).save(buffer)
    ws = load_workbook(io.BytesIO(buffer.getvalue()))[SUMMARY_SHEET]
    rows = [SUMMARY_TABLE_ROW + 1, SUMMARY_TABLE_ROW + 2, SUMMARY_TABLE_ROW + 3]
    assert [ws.cell(row=r, column=3).value for r in rows] == [150, 164, None]
    assert ws.cell(row=rows[-1], column=1).value == "Total"
    assert ws.cell(row=rows[-1], column=2).value == 200  # the effective maxima, 100 + 100
