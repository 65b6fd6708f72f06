"""Importing an instrument: the real 2024 file, re-import, points, and every kind of broken file."""

import json
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from openpyxl import Workbook

from indicators.importers import COLUMNS, parse_file
from indicators.models import Group, Indicator, Period, Question
from indicators.templates_xlsx import instrument_workbook
from kla.imports import guess_unit_kind, instrument_import, instrument_rows
from opd.models import Answer, Assignment, Unit

pytestmark = pytest.mark.django_db
INSTRUMENT = Path(settings.BASE_DIR) / "fixtures" / "instrument-2024.json"


def _counts():
    return tuple(
        m.objects.count() for m in (Period, Group, Indicator, Question, Unit, Assignment, Answer)
    )


def _run(*args):
    from io import StringIO

    out = StringIO()
    call_command("import_instrument", *map(str, args), stdout=out)
    return out.getvalue()


def test_the_2024_instrument(capsys):
    out = _run(INSTRUMENT, "--period", 2024)
    assert "7 groups, 31 indicators, 274 questions, 1000.00 points" in out
    warnings = [line for line in out.splitlines() if line.startswith("WARNING")]
    assert warnings == [
        "WARNING: KLASTER I: declares 150.00 points but its indicators add up to 115.00.",
        "WARNING: Indikator 19: its questions add up to 54.00 points, its maximum is 51.00.",
        "WARNING: Indikator 21 B: its questions add up to 18.00 points, its maximum is 17.00.",
    ]
    assert Question.objects.count() == 274
    assert Indicator.objects.get(code="21 A").max_points == Decimal("83.00")
    q1 = Question.objects.get(indicator__code="1", code="1")
    assert [(a.unit.short_name, a.role) for a in q1.assignments.order_by("role", "pk")] == [
        ("JDIH", "lead"), ("Bagian Hukum", "support"), ("DPPPAPPKB", "support"),
    ]  # fmt: skip
    assert "Units created (32)" in out
    assert Unit.objects.get(short_name="Kejaksaan").kind == Unit.Kind.VERTICAL


def test_reimport_changes_nothing():
    _run(INSTRUMENT, "--period", 2024)
    before = _counts()
    out = _run(INSTRUMENT, "--period", 2024)
    assert _counts() == before
    assert "Created: 0 groups, 0 indicators, 0 questions." in out
    assert "Updated: 0 groups, 0 indicators, 0 questions." in out
    assert "Nothing changed" in out


def test_reimport_updates_a_changed_question(tmp_path):
    _run(INSTRUMENT, "--period", 2024)
    data = json.loads(INSTRUMENT.read_text())
    data["clusters"][0]["indicators"][0]["questions"][0]["text"] = "Teks baru?"
    changed = tmp_path / "changed.json"
    changed.write_text(json.dumps(data))
    out = _run(changed, "--period", 2024)
    assert "Updated: 0 groups, 0 indicators, 1 questions." in out
    assert Question.objects.get(indicator__code="1", code="1").text == "Teks baru?"
    assert Question.objects.count() == 274


def test_every_kecamatan_questions_go_to_the_kecamatan():
    for name in ("Kecamatan Betara", "Kecamatan Merlung"):
        Unit.objects.create(name=name, short_name=name, kind=Unit.Kind.KECAMATAN)
    _run(INSTRUMENT, "--period", 2024)
    q = Question.objects.get(indicator__code="25", code="2")
    assert q.every_kecamatan
    kinds = sorted(a.unit.kind for a in q.assignments.all())
    assert kinds == ["dinas", "kecamatan", "kecamatan"]


def _xlsx(tmp_path, rows, *, header=COLUMNS, sheet="Instrumen", name="i.xlsx"):
    wb = Workbook()
    ws = wb.active
    ws.title = sheet
    ws.append(header)
    for row in rows:
        ws.append(row)
    path = tmp_path / name
    wb.save(path)
    return path


ROW = ["KELEMBAGAAN", 1, 10, "1", "Perda KLA", 1, 10, "1", "Ada Perda?", 1, 10, "tidak", "tidak",
       "Bagian Hukum; JDIH", None, None]  # fmt: skip


def test_xlsx_import_and_points(tmp_path):
    past = [*ROW[:14], 8, 6]
    out = _run(_xlsx(tmp_path, [past]), "--period", 2023)
    assert "1 questions" in out
    answer = Answer.objects.get()
    assert (answer.unit.short_name, answer.claimed_points, answer.verified_points) == (
        "Bagian Hukum", Decimal("8.00"), Decimal("6.00"),
    )  # fmt: skip
    assert answer.status == Answer.Status.APPROVED


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda p: _xlsx(p, [ROW], sheet="Sheet1"), "has no sheet “Instrumen”"),
        (lambda p: _xlsx(p, [ROW], header=COLUMNS[:5]), "missing column(s): indicator_order"),
        (lambda p: _xlsx(p, [[*ROW[:10], "sepuluh", *ROW[11:]]]),
         "row 2, column K (max_points): “sepuluh” is not a number"),
        (lambda p: _xlsx(p, [[*ROW[:10], -1, *ROW[11:]]]), "row 2, column K (max_points): points cannot be negative"),
        (lambda p: _xlsx(p, [[*ROW[:14], 11, None]]), "claimed_points 11.00 is above the question's maximum"),
        (lambda p: _xlsx(p, [ROW, ROW]), "Duplicate question code “1”"),
        (lambda p: _xlsx(p, [[*ROW[:8], "", *ROW[9:]]]), "The question text is empty"),
        (lambda p: (p / "x.xlsx").write_text("not a zip") and p / "x.xlsx", "not a readable .xlsx"),
        (lambda p: (p / "t.xlsx").write_bytes(INSTRUMENT.read_bytes()[:0] + b"PK\x03\x04broken") and p / "t.xlsx",
         "not a readable .xlsx"),
        (lambda p: (p / "x.json").write_text("{broken") and p / "x.json", "Not valid JSON: line 1"),
        (lambda p: (p / "x.json").write_text('{"clusters": 3}') and p / "x.json", "no list “clusters”"),
        (lambda p: (p / "x.json").write_text(
            '{"clusters": [{"name": "A", "indicators": [{"code": "1", "name": "n", "max_points": "x"}]}]}'
        ) and p / "x.json", "clusters[0].indicators[0].max_points: “x” is not a number"),
        (lambda p: (p / "x.csv").write_text("a,b") and p / "x.csv", "Unknown file type “.csv”"),
        (lambda p: p / "missing.json", "No such file"),
    ],
)  # fmt: skip
def test_broken_files_change_nothing(tmp_path, build, message):
    _run(INSTRUMENT, "--period", 2024)
    before = _counts()
    with pytest.raises(CommandError) as error:
        _run(build(tmp_path), "--period", 2024)
    assert message in str(error.value) or message in str(error.value.__context__ or "")
    assert _counts() == before


def test_errors_are_reported_all_at_once(tmp_path):
    other_indicator = [*ROW[:3], "2", "Forum Anak", "y", *ROW[6:]]
    bad = [[*ROW[:10], "x", *ROW[11:]], other_indicator]
    with pytest.raises(CommandError) as error:
        _run(_xlsx(tmp_path, bad), "--period", 2024)
    assert "row 2, column K" in str(error.value) and "row 3, column F" in str(error.value)


def test_template_round_trip(tmp_path):
    _run(INSTRUMENT, "--period", 2024)
    path = tmp_path / "export.xlsx"
    instrument_workbook(instrument_rows(period=Period.objects.get(year=2024))).save(path)
    parsed = parse_file(path)
    assert (len(parsed.groups), len(parsed.questions), parsed.max_points) == (
        7,
        274,
        Decimal("1000.00"),
    )
    before = _counts()
    report = instrument_import(parsed=parsed, year=2024)
    assert not report.changed, report.lines()
    assert _counts() == before


def test_dry_run_changes_nothing():
    out = _run(INSTRUMENT, "--period", 2024, "--dry-run")
    assert "274 questions" in out and "Dry run" in out
    assert Question.objects.count() == 0 and Period.objects.count() == 0


@pytest.mark.parametrize(
    ("name", "kind"),
    [("Kecamatan Betara", "kecamatan"), ("Desa Teluk Sialang", "desa"), ("Dinkes", "dinas"),
     ("BAPPEDA", "badan"), ("Kemenag", "vertical"), ("Forum Anak Daerah (FAD)", "lembaga"),
     ("Bagian Hukum", "bagian"), ("Sesuatu", "other")],
)  # fmt: skip
def test_unit_kind_guess(name, kind):
    assert guess_unit_kind(name) == kind
