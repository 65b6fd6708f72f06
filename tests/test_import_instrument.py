"""Importing an instrument: the real 2024 file, re-import, points, and every kind of broken file."""

import datetime
import json
import zipfile
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from openpyxl import Workbook, load_workbook

from indicators.importers import COLUMNS, SHEET, parse_file, parse_json
from indicators.models import (
    DEFAULT_RANK_BANDS,
    Group,
    Indicator,
    Period,
    Question,
    RankBand,
    ScoreSnapshot,
)
from indicators.templates_xlsx import instrument_workbook
from kla.imports import guess_unit_kind, instrument_import, instrument_rows
from opd.models import Answer, Assignment, AuditEvent, Unit
from tests import factories

pytestmark = pytest.mark.django_db
# The project's own copy, so the tests do not depend on ../shared being there.
INSTRUMENT = Path(settings.BASE_DIR) / "fixtures" / "instrument-2024.json"
if not INSTRUMENT.exists():  # pragma: no cover - a checkout without the copy
    INSTRUMENT = Path(settings.BASE_DIR).parent / "shared/kla-reference/instrument-2024.json"


def _counts():
    models = (Period, RankBand, Group, Indicator, Question, Unit, Assignment, Answer, AuditEvent)
    return {m.__name__: m.objects.count() for m in models}


def _run(*args):
    """The command as on a first import, where every unit of the file is created on purpose."""
    out = StringIO()
    call_command(
        "import_instrument", *map(str, args), "--create-units", "--create-look-alikes", stdout=out
    )
    return out.getvalue()


def _fails(*args) -> str:
    """Run the command expecting a CommandError; its message (the command never tracebacks)."""
    with pytest.raises(CommandError) as error:
        _run(*args)
    return str(error.value)


def _data():
    return json.loads(INSTRUMENT.read_text(encoding="utf-8"))


def _json(tmp_path, data, name="i.json"):
    path = tmp_path / name
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


# --- The real 2024 instrument --------------------------------------------------------------


def test_the_2024_instrument():
    out = _run(INSTRUMENT, "--period", 2024)
    assert "Period 2024: 7 groups, 31 indicators, 274 questions, 1000.00 points." in out
    assert "Created: 7 groups, 31 indicators, 274 questions." in out
    warnings = [line for line in out.splitlines() if line.startswith("WARNING")]
    assert warnings == [
        "WARNING: KLASTER I: declares 150.00 points but its indicators add up to 115.00.",
        "WARNING: Indikator 19: its questions add up to 54.00 points, its maximum is 51.00.",
        "WARNING: Indikator 21 B: its questions add up to 18.00 points, its maximum is 17.00.",
    ]
    assert "ERROR" not in out
    assert (Group.objects.count(), Indicator.objects.count(), Question.objects.count()) == (
        7,
        31,
        274,
    )
    assert list(Group.objects.values_list("name", flat=True))[:2] == ["KELEMBAGAAN", "KLASTER I"]
    assert Group.objects.get(name="KLASTER I").declared_max_points == Decimal("150.00")
    assert Indicator.objects.get(code="21 A").max_points == Decimal("83.00")
    assert Question.objects.filter(indicator__code="1", code="2a").exists()
    assert not Indicator.objects.filter(code__startswith="Indikator").exists()
    assert not Question.objects.filter(code__startswith="Pertanyaan").exists()
    evidence = {
        e: Question.objects.filter(evidence=e).count() for e in ("document", "matrix", "photo")
    }
    assert evidence == {"document": 200, "matrix": 45, "photo": 29}
    q1 = Question.objects.get(indicator__code="1", code="1")
    assert [(a.unit.short_name, a.role) for a in q1.assignments.order_by("role", "pk")] == [
        ("JDIH", "lead"),
        ("Bagian Hukum", "support"),
        ("DPPPAPPKB", "support"),
    ]
    assert "Units created (32)" in out
    assert Unit.objects.get(short_name="Kejaksaan").kind == Unit.Kind.VERTICAL
    assert Unit.objects.get(short_name="Dinkes").name == "Dinkes"
    # Texts are kept as written: line breaks stay, only the ends are trimmed.
    assert Question.objects.filter(text__contains="\n").count() == 31
    assert not Question.objects.filter(text__endswith="\xa0").exists()


def test_new_period_gets_the_default_window_and_bands():
    _run(INSTRUMENT, "--period", 2024)
    period = Period.objects.get(year=2024)
    assert (period.window_opens, period.window_closes, period.entry_date) == (
        datetime.date(2024, 1, 15),
        datetime.date(2024, 3, 31),
        datetime.date(2024, 4, 15),
    )
    # Prepared, with no target: no earlier year ended locked with a final score.
    assert (period.target_rank, period.status) == ("", Period.Status.PREPARED)
    bands = list(period.rank_bands.order_by("lower_bound").values_list("name", "lower_bound"))
    assert bands == DEFAULT_RANK_BANDS


def test_an_existing_period_keeps_its_dates_and_bands():
    period = factories.PeriodFactory(year=2024, bands=[("Cukup", Decimal("300.00"))])
    Period.objects.filter(pk=period.pk).update(window_closes=datetime.date(2024, 5, 2))
    _run(INSTRUMENT, "--period", 2024)
    period.refresh_from_db()
    assert period.window_closes == datetime.date(2024, 5, 2)
    assert list(period.rank_bands.values_list("name", flat=True)) == ["Cukup"]
    assert Period.objects.count() == 1 and period.groups.count() == 7


def test_reimport_changes_nothing():
    _run(INSTRUMENT, "--period", 2024)
    before = _counts()
    out = _run(INSTRUMENT, "--period", 2024)
    assert _counts() == before  # no row more, not even an audit event
    assert "Created: 0 groups, 0 indicators, 0 questions." in out
    assert "Updated: 0 groups, 0 indicators, 0 questions." in out
    assert "Unchanged: 7 groups, 31 indicators, 274 questions." in out
    assert "Assignments changed: 0." in out
    assert "Units created" not in out
    assert "Nothing changed" in out


def test_reimport_updates_by_natural_keys(tmp_path):
    _run(INSTRUMENT, "--period", 2024)
    ids = set(Question.objects.values_list("pk", flat=True))
    data = _data()
    data["clusters"][0]["indicators"][0]["questions"][0]["text"] = "Teks baru (Lampirkan MATRIKS)"
    data["clusters"][1]["declared_max_points"] = 115
    out = _run(_json(tmp_path, data), "--period", 2024)
    assert "Updated: 1 groups, 0 indicators, 1 questions." in out
    assert "Unchanged: 6 groups, 31 indicators, 273 questions." in out
    question = Question.objects.get(indicator__code="1", code="1")
    assert (question.text, question.evidence) == ("Teks baru (Lampirkan MATRIKS)", "matrix")
    assert set(Question.objects.values_list("pk", flat=True)) == ids  # same rows, updated
    assert "KLASTER I: declares" not in out


def test_reimport_replaces_assignments_but_keeps_a_unit_that_answered(tmp_path):
    _run(INSTRUMENT, "--period", 2024)
    q1 = Question.objects.get(indicator__code="1", code="1")
    Answer.objects.create(question=q1, unit=Unit.objects.get(short_name="DPPPAPPKB"))
    data = _data()
    data["clusters"][0]["indicators"][0]["questions"][0]["opds"] = ["Bagian Hukum", "Dinkes"]
    out = _run(_json(tmp_path, data), "--period", 2024)
    roles = {a.unit.short_name: a.role for a in q1.assignments.select_related("unit")}
    # The new lead leads, JDIH (no answer) is gone, DPPPAPPKB answered: kept as a supporter.
    assert roles == {"Bagian Hukum": "lead", "Dinkes": "support", "DPPPAPPKB": "support"}
    assert "DPPPAPPKB has answered; its assignment is kept." in out
    assert Assignment.objects.filter(question=q1, role="lead").count() == 1


def test_questions_missing_from_the_file_are_kept_and_reported(tmp_path):
    _run(INSTRUMENT, "--period", 2024)
    data = _data()
    del data["clusters"][0]["indicators"][0]["questions"][0]
    out = _run(_json(tmp_path, data), "--period", 2024)
    assert "1 questions of period 2024 are not in the file: they were kept." in out
    assert Question.objects.count() == 274


def test_every_kecamatan_questions_go_to_the_kecamatan():
    for name in ("Kecamatan Betara", "Kecamatan Merlung"):
        Unit.objects.create(name=name, short_name=name, kind=Unit.Kind.KECAMATAN)
    out = _run(INSTRUMENT, "--period", 2024)
    q = Question.objects.get(indicator__code="25", code="2")
    assert q.every_kecamatan
    roles = sorted((a.unit.kind, a.role) for a in q.assignments.all())
    assert roles == [("dinas", "coordinator"), ("kecamatan", "per_unit"), ("kecamatan", "per_unit")]
    assert "assigned to the 2 kecamatan and 0 desa/kelurahan units" in out


def test_dry_run_changes_nothing():
    out = _run(INSTRUMENT, "--period", 2024, "--dry-run")
    assert "274 questions" in out and "Created: 7 groups" in out and "Dry run" in out
    assert set(_counts().values()) == {0}


def test_a_locked_period_is_refused_also_in_a_dry_run():
    _run(INSTRUMENT, "--period", 2024)
    Period.objects.filter(year=2024).update(status=Period.Status.LOCKED)
    before = _counts()
    for extra in ([], ["--dry-run"]):
        assert "Period 2024 is locked" in _fails(INSTRUMENT, "--period", 2024, *extra)
    assert _counts() == before


def test_the_service_writes_one_audit_event_per_changing_import(admin_user):
    parsed = parse_file(INSTRUMENT)
    report = instrument_import(
        parsed=parsed, year=2024, actor=admin_user, create_units=True, create_look_alikes=True
    )
    assert report.applied and report.changed
    event = AuditEvent.objects.get(action=AuditEvent.Action.INSTRUMENT_IMPORT)
    assert event.actor == admin_user and event.data["created"]["questions"] == 274
    again = instrument_import(parsed=parse_file(INSTRUMENT), year=2024, actor=admin_user)
    assert not again.changed and AuditEvent.objects.count() == 1


# --- Claimed and verified points ------------------------------------------------------------


def _xlsx(tmp_path, rows, *, header=COLUMNS, sheet=SHEET, name="i.xlsx"):
    wb = Workbook()
    ws = wb.active
    ws.title = sheet
    ws.append(header)
    for row in rows:
        ws.append(row)
    path = tmp_path / name
    wb.save(path)
    return path


ROW = [
    "KELEMBAGAAN",
    1,
    10,
    "1",
    "Perda KLA",
    1,
    10,
    "1",
    "Ada Perda?",
    1,
    10,
    "tidak",
    "tidak",
    "Bagian Hukum; JDIH",
    None,
    None,
]


def test_xlsx_points_approve_the_lead_units_answer(tmp_path, django_capture_on_commit_callbacks):
    past = [*ROW[:14], 8, 6]
    with django_capture_on_commit_callbacks(execute=True):
        out = _run(_xlsx(tmp_path, [past]), "--period", 2023)
    assert "1 questions" in out and "Answers with imported points: 1." in out
    answer = Answer.objects.get()
    assert (answer.unit.short_name, answer.claimed_points, answer.verified_points) == (
        "Bagian Hukum",
        Decimal("8.00"),
        Decimal("6.00"),
    )
    assert answer.status == Answer.Status.APPROVED
    assert ScoreSnapshot.objects.get().reason == ScoreSnapshot.Reason.IMPORT
    # Importing the same points again changes nothing.
    version = answer.version
    assert "Answers with imported points: 0." in _run(_xlsx(tmp_path, [past]), "--period", 2023)
    answer.refresh_from_db()
    assert answer.version == version


def test_json_claimed_points_only_submit_the_answer(tmp_path):
    data = _data()
    question = data["clusters"][0]["indicators"][0]["questions"][0]
    question["claimed_points"] = "0,75"
    _run(_json(tmp_path, data), "--period", 2024)
    answer = Answer.objects.get()
    assert answer.unit.short_name == question["opds"][0]
    assert (answer.claimed_points, answer.verified_points, answer.status) == (
        Decimal("0.75"),
        None,
        Answer.Status.SUBMITTED,
    )


def test_points_are_parsed_into_the_dataclasses():
    data = _data()
    data["clusters"][0]["indicators"][0]["questions"][0].update(
        claimed_points=1.5, verified_points="1.25"
    )
    q = parse_json(json.dumps(data)).questions[0]
    assert (q.claimed_points, q.verified_points) == (Decimal("1.50"), Decimal("1.25"))
    assert parse_json(json.dumps(_data())).questions[0].claimed_points is None


@pytest.mark.parametrize("key", ["claimed_points", "verified_points"])
def test_points_above_the_maximum_are_refused(tmp_path, key):
    data = _data()
    question = data["clusters"][0]["indicators"][0]["questions"][0]
    question[key] = question["max_points"] + 0.01
    before = _counts()
    message = _fails(_json(tmp_path, data), "--period", 2024)
    assert "clusters[0].indicators[0].questions[0]" in message
    assert f"{key} " in message and "is above the question's maximum" in message
    assert _counts() == before


# --- Broken files: a clear message naming the place, and no change -------------------------


def _truncated_xlsx(p):
    good = _xlsx(p, [ROW], name="good.xlsx")
    path = p / "truncated.xlsx"
    path.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    return path


def _xlsx_with_broken_sheet_xml(p):
    good = _xlsx(p, [ROW], name="good.xlsx")
    path = p / "brokenxml.xlsx"
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(path, "w") as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data[: len(data) // 2]
            dst.writestr(item, data)
    return path


def _write(p, name, text):
    (p / name).write_text(text, encoding="utf-8")
    return p / name


def _nested(**changes):
    indicator = {
        "code": "1",
        "name": "n",
        "max_points": 5,
        "questions": [{"code": "1", "text": "t", "max_points": 5, "opds": ["Dinkes"]}],
    }
    cluster = {"name": "A", "order": 1, "indicators": [indicator]}
    for key, value in changes.items():
        target = {"c": cluster, "i": indicator, "q": indicator["questions"][0]}[key[0]]
        target[key[2:]] = value
    return json.dumps({"clusters": [cluster]})


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda p: _xlsx(p, [ROW], sheet="Sheet1"), "has no sheet “Instrumen” (it has: Sheet1)"),
        (
            lambda p: _xlsx(p, [ROW], header=COLUMNS[:5]),
            "Sheet “Instrumen”, row 1: missing column(s): indicator_order",
        ),
        (
            lambda p: _xlsx(p, [[*ROW[:10], "sepuluh", *ROW[11:]]]),
            "sheet “Instrumen”, row 2, column K (max_points): “sepuluh” is not a number",
        ),
        (
            lambda p: _xlsx(p, [[*ROW[:10], -1, *ROW[11:]]]),
            "row 2, column K (max_points): points cannot be negative",
        ),
        (
            lambda p: _xlsx(p, [[*ROW[:6], 1e9, *ROW[7:]]]),
            "row 2, column G (indicator_max_points): 1000000000 is more than 1000.00 points",
        ),
        (
            lambda p: _xlsx(p, [[*ROW[:9], 99999, *ROW[10:]]]),
            "row 2, column J (question_order): “99999” is not a whole number",
        ),
        (
            lambda p: _xlsx(p, [[*ROW[:11], "mungkin", *ROW[12:]]]),
            "row 2, column L (every_kecamatan): “mungkin” is not yes/no",
        ),
        (
            lambda p: _xlsx(p, [[*ROW[:14], 11, None]]),
            "sheet “Instrumen”, row 2: claimed_points 11.00 is above the question's maximum",
        ),
        (lambda p: _xlsx(p, [[*ROW[:15], "x"]]), "column P (verified_points): “x” is not a number"),
        (lambda p: _xlsx(p, [ROW, ROW]), "Duplicate question code “1”"),
        (lambda p: _xlsx(p, [[*ROW[:8], "", *ROW[9:]]]), "row 2: The question text is empty"),
        (lambda p: _xlsx(p, [[*ROW[:7], "1" * 21, *ROW[8:]]]), "is longer than 20 characters"),
        (
            lambda p: _xlsx(p, [ROW, [*ROW[:6], 12, "2", *ROW[8:]]]),
            "row 3, column G (indicator_max_points): “12” differs from row 2 (“10.00”)",
        ),
        (lambda p: _xlsx(p, []), "The file holds no groups"),
        (lambda p: _write(p, "x.xlsx", "not a zip"), "not a readable .xlsx"),
        (_truncated_xlsx, "not a readable .xlsx"),
        (_xlsx_with_broken_sheet_xml, "not a readable .xlsx"),
        (lambda p: _write(p, "x.json", "{broken"), "Not valid JSON: line 1"),
        (lambda p: _write(p, "x.json", "[" * 100000), "JSON"),
        (lambda p: _write(p, "x.json", '{"clusters": 3}'), "no list “clusters”"),
        (
            lambda p: _write(p, "x.json", _nested(i_max_points="x")),
            "clusters[0].indicators[0].max_points: “x” is not a number",
        ),
        (
            lambda p: _write(p, "x.json", _nested(c_indicators="abc")),
            "clusters[0].indicators: a list is expected",
        ),
        (
            lambda p: _write(p, "x.json", _nested(i_questions=None)),
            "clusters[0].indicators[0].questions: a list is expected",
        ),
        (
            lambda p: _write(p, "x.json", _nested(q_opds=3)),
            "clusters[0].indicators[0].questions[0].opds: a list is expected",
        ),
        (
            lambda p: _write(p, "x.json", _nested(q_text={"a": 1})),
            "clusters[0].indicators[0].questions[0].text: a text is expected",
        ),
        (
            lambda p: _write(p, "x.json", _nested(q_max_points=True)),
            "questions[0].max_points: “True” is not a number",
        ),
        (lambda p: _write(p, "x.json", _nested(q_max_points="Infinity")), "is not a number"),
        (lambda p: _write(p, "x.json", _nested(q_order="1e999")), "is not a whole number"),
        (lambda p: _write(p, "x.json", _nested(c_name="")), "clusters[0]: The group has no name"),
        (
            lambda p: _write(p, "x.json", _nested(q_text=" \x00 ")),
            "clusters[0].indicators[0].questions[0]: The question text is empty",
        ),
        (lambda p: (p / "x.json").write_bytes(b"\xff\xfe{}") and p / "x.json", "not UTF-8"),
        (lambda p: _write(p, "x.csv", "a,b"), "Unknown file type “.csv”"),
        (lambda p: p / "missing.json", "No such file"),
        (lambda p: (p / "dir.json").mkdir() or p / "dir.json", "No such file"),
    ],
)
def test_broken_files_change_nothing(tmp_path, build, message):
    _run(INSTRUMENT, "--period", 2024)
    before = _counts()
    error = _fails(build(tmp_path), "--period", 2024)
    assert message in error
    assert "Traceback" not in error
    assert _counts() == before


def test_xlsx_errors_are_reported_all_at_once(tmp_path):
    other_indicator = [*ROW[:3], "2", "Forum Anak", "y", *ROW[6:]]
    bad = [[*ROW[:10], "x", *ROW[11:]], other_indicator]
    error = _fails(_xlsx(tmp_path, bad), "--period", 2024)
    assert "row 2, column K (max_points)" in error and "row 3, column F (indicator_order)" in error


def test_json_errors_are_reported_all_at_once(tmp_path):
    data = _data()
    data["clusters"][1]["indicators"][0]["max_points"] = "lima"
    data["clusters"][2]["indicators"][1]["questions"][3]["max_points"] = -2
    error = _fails(_json(tmp_path, data), "--period", 2024)
    assert "clusters[1].indicators[0].max_points: “lima” is not a number" in error
    assert "clusters[2].indicators[1].questions[3].max_points: points cannot be negative" in error


def test_validation_errors_are_reported_all_at_once(tmp_path):
    data = _data()
    questions = data["clusters"][0]["indicators"][0]["questions"]
    questions[1]["code"] = questions[0]["code"]
    questions[2]["text"] = "   "
    error = _fails(_json(tmp_path, data), "--period", 2024)
    assert "2 error(s)" in error
    assert "Duplicate question code “1” in indicator 1" in error
    assert "clusters[0].indicators[0].questions[2]: The question text is empty" in error
    assert Question.objects.count() == 0


def test_duplicate_indicator_codes_are_an_error(tmp_path):
    data = _data()
    data["clusters"][1]["indicators"][0]["code"] = "Indikator 1"
    assert "Duplicate indicator code “1” (also in KELEMBAGAAN)" in _fails(
        _json(tmp_path, data), "--period", 2024
    )


def test_a_question_without_unit_is_a_warning(tmp_path):
    out = _run(_xlsx(tmp_path, [[*ROW[:13], "", None, None]]), "--period", 2023)
    assert "WARNING: sheet “Instrumen”, row 2: No unit answers this question." in out
    assert Question.objects.count() == 1


def test_a_json_file_with_a_byte_order_mark_is_read(tmp_path):
    path = tmp_path / "bom.json"
    path.write_bytes(b"\xef\xbb\xbf" + INSTRUMENT.read_bytes())
    assert len(parse_file(path).questions) == 274


def test_xlsx_repeated_columns_may_be_left_blank(tmp_path):
    """Group and indicator columns repeat; after the first row of each they may stay blank."""
    second = [
        "KELEMBAGAAN",
        None,
        None,
        "1",
        None,
        None,
        None,
        "2",
        "Ada Perbup?",
        2,
        0,
        "",
        "",
        "JDIH",
    ]
    parsed = parse_file(_xlsx(tmp_path, [ROW, second]))
    assert not parsed.errors
    (indicator,) = parsed.indicators
    assert (indicator.name, indicator.max_points, len(indicator.questions)) == (
        "Perda KLA",
        Decimal("10.00"),
        2,
    )
    assert parsed.groups[0].declared_max_points == Decimal("10.00")


def test_invalid_period_is_refused():
    assert "--period must be a year" in _fails(INSTRUMENT, "--period", 24)


# --- The xlsx template ----------------------------------------------------------------------


def test_template_round_trip(tmp_path):
    _run(INSTRUMENT, "--period", 2024)
    path = tmp_path / "export.xlsx"
    instrument_workbook(instrument_rows(period=Period.objects.get(year=2024))).save(path)
    parsed = parse_file(path)
    assert (len(parsed.groups), len(parsed.indicators), len(parsed.questions)) == (7, 31, 274)
    assert parsed.max_points == Decimal("1000.00")
    assert [str(w) for w in parsed.warnings] == [str(w) for w in parse_file(INSTRUMENT).warnings]
    before = _counts()
    report = instrument_import(parsed=parsed, year=2024)
    assert not report.changed, report.lines()
    assert report.unchanged == {"groups": 7, "indicators": 31, "questions": 274}
    assert _counts() == before
    # And through the command, as the secretariat would do it.
    assert "Nothing changed" in _run(path, "--period", 2024)


def test_template_round_trip_into_a_new_period(tmp_path):
    _run(INSTRUMENT, "--period", 2024)
    path = tmp_path / "export.xlsx"
    instrument_workbook(instrument_rows(period=Period.objects.get(year=2024))).save(path)
    out = _run(path, "--period", 2025)
    assert "Created: 7 groups, 31 indicators, 274 questions." in out
    assert "Units created" not in out

    def tree(year):
        return list(
            Question.objects.filter(indicator__group__period__year=year)
            .order_by("indicator__group__order", "indicator__order", "order", "code")
            .values_list(
                "indicator__group__name",
                "indicator__code",
                "code",
                "text",
                "max_points",
                "evidence",
                "every_kecamatan",
                "every_desa",
            )
        )

    assert tree(2025) == tree(2024)
    roles = {
        year: sorted(
            Assignment.objects.filter(question__indicator__group__period__year=year).values_list(
                "question__indicator__code", "question__code", "unit__short_name", "role"
            )
        )
        for year in (2024, 2025)
    }
    assert roles[2025] == roles[2024]


def test_template_layout(tmp_path):
    path = tmp_path / "t.xlsx"
    instrument_workbook().save(path)
    wb = load_workbook(path)
    assert wb.sheetnames == ["Instrumen", "Petunjuk"]
    sheet = wb["Instrumen"]
    assert [c.value for c in sheet[1]] == COLUMNS
    assert all(c.font.bold for c in sheet[1])
    assert sheet.freeze_panes == "A2"
    assert sheet.column_dimensions["I"].width > 40  # question_text
    assert wb["Petunjuk"]["A1"].value.startswith("Petunjuk pengisian")
    assert sheet.data_validations.dataValidation  # ya/tidak lists for the two flags


def test_template_keeps_text_that_looks_like_a_formula(tmp_path):
    period = factories.PeriodFactory(year=2024)
    factories.QuestionFactory(indicator__group__period=period, text="=SUM(A1) tetap teks")
    # Written elsewhere (the admin) with a control character xlsx cannot hold.
    factories.QuestionFactory(indicator__group__period=period, text="a\x0bb\x01c")
    path = tmp_path / "export.xlsx"
    instrument_workbook(instrument_rows(period=period)).save(path)
    assert [q.text for q in parse_file(path).questions] == ["=SUM(A1) tetap teks", "a\nbc"]


@pytest.mark.parametrize("typed", ['=HYPERLINK("x.test")', "+1+1", "-1+1", "@SUM(A1)", "#N/A"])
def test_template_cells_keep_typed_text_as_text(tmp_path, typed):
    """Names and texts typed into the admin come back in the filled template as text cells:
    never a formula, never an error value ("#N/A"), and without an added apostrophe."""
    period = factories.PeriodFactory(year=2024)
    factories.QuestionFactory(
        indicator__group__period=period,
        indicator__group__name=typed,
        indicator__name=typed,
        code=typed,
        text=typed,
    )
    path = tmp_path / "export.xlsx"
    instrument_workbook(instrument_rows(period=period)).save(path)
    sheet = load_workbook(path)[SHEET]
    row = dict(zip(COLUMNS, sheet[2], strict=False))
    for column in ("group", "indicator_name", "question_code", "question_text"):
        assert (row[column].value, row[column].data_type) == (typed, "s"), column
    assert all(cell.data_type != "f" for cell in sheet[2])


def test_control_characters_are_dropped_on_import(tmp_path):
    data = json.loads(_nested(q_text="Ada\x0bPerda?\x07"))
    assert parse_json(json.dumps(data)).questions[0].text == "Ada\nPerda?"


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("Kecamatan Betara", "kecamatan"),
        ("Kec. Merlung", "kecamatan"),
        ("Desa Teluk Sialang", "desa"),
        ("Kelurahan Tungkal III", "desa"),
        ("Dinas Ketahanan Pangan", "dinas"),
        ("Dishub", "dinas"),
        ("Dinkes", "dinas"),
        ("DPPPAPPKB", "dinas"),
        ("DLH", "dinas"),
        ("Badan Kesbangpol", "badan"),
        ("BAPPEDA", "badan"),
        ("Bappeda", "badan"),
        ("BPBD", "badan"),
        ("BNN", "badan"),
        ("Bagian Hukum", "bagian"),
        ("Polres", "vertical"),
        ("UPPA Polres", "vertical"),
        ("Kejaksaan", "vertical"),
        ("Kemenag", "vertical"),
        ("Forum Anak Daerah (FAD)", "lembaga"),
        ("FAD", "lembaga"),
        ("Dunia Usaha", "lembaga"),
        ("PAN", "lembaga"),
        ("Panti Asuhan", "other"),
        ("UPTD PPA", "other"),
        ("JDIH", "other"),
        ("Sesuatu", "other"),
    ],
)
def test_unit_kind_guess(name, kind):
    assert guess_unit_kind(name) == kind
