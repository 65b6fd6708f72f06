"""A past year's self-assessment imported with its points totals the file's arithmetic to the
cent whatever units the district has: per-unit questions keep their points on the question
(no kecamatan or desa row could carry them), and bad step tables are refused with the row's
problem in Indonesian."""

import json
from decimal import Decimal as D

import pytest
from django.utils import translation

from indicators.importers import InstrumentFileError, parse_file, parse_json
from indicators.models import Period, Question
from indicators.templates_xlsx import instrument_workbook
from kla.imports import instrument_import, instrument_rows
from opd.models import Answer
from opd.scoring import score_period
from tests import factories

STEPS = "0-25: 0,75; 25-50: 1,2; 50-75: 2,25; 75-100: 2,4; 100-100: 3"
# (group, indicator, its maximum, question, maximum, kecamatan, desa, steps, claimed, verified)
PAST = [
    ("Kelembagaan", "1", "10", "1", "6", False, False, "", "5.50", "4.75"),
    ("Kelembagaan", "1", "10", "2", "6", False, False, "", "5.55", "5.55"),  # capped: 10
    ("Klaster IV", "25", "9", "1", "3", True, False, STEPS, "2.40", "2.40"),
    ("Klaster IV", "25", "9", "2", "3", True, False, "", "2.31", "1.67"),
    ("Klaster IV", "25", "9", "3", "3", False, True, STEPS, "1.20", None),
    ("Klaster IV", "26", "20", "1", "20", False, True, "", "16.67", "13.33"),
    ("Klaster IV", "26", "20", "2", "5", False, False, "", "3.33", "3.33"),  # nobody answers
]


def _expected() -> dict[str, tuple[D, D]]:
    """The file's own arithmetic: an indicator sums its questions' points up to its maximum;
    a group sums its indicators."""
    indicators: dict[tuple, list] = {}
    for group, code, cap, _q, _m, _k, _d, _s, claimed, verified in PAST:
        entry = indicators.setdefault((group, code), [D(cap), D(0), D(0)])
        entry[1] += D(claimed)
        entry[2] += D(verified or 0)
    groups: dict[str, tuple[D, D]] = {}
    for (group, _code), (cap, claimed, verified) in indicators.items():
        before = groups.get(group, (D("0.00"), D("0.00")))
        groups[group] = (before[0] + min(claimed, cap), before[1] + min(verified, cap))
    return groups


def _json() -> str:
    clusters: dict[str, dict] = {}
    for group, code, cap, question, maximum, kec, desa, steps, claimed, verified in PAST:
        cluster = clusters.setdefault(group, {"name": group, "indicators": []})
        indicator = next((i for i in cluster["indicators"] if i["code"] == code), None)
        if indicator is None:
            indicator = {"code": code, "name": f"Indikator {code}", "max_points": cap}
            indicator["questions"] = []
            cluster["indicators"].append(indicator)
        indicator["questions"].append(
            {
                "code": question,
                "text": f"Berapa persentase {code}/{question}",
                "max_points": maximum,
                "every_kecamatan": kec,
                "every_desa": desa,
                "opds": ["DP3AP2KB"] if code == "1" else [],
                "steps": steps,
                "claimed_points": claimed,
                "verified_points": verified,
            }
        )
    return json.dumps({"clusters": list(clusters.values())})


def _xlsx(tmp_path) -> str:
    rows = []
    for group, code, cap, question, maximum, kec, desa, steps, claimed, verified in PAST:
        rows.append(
            {
                "group": group,
                "indicator_code": code,
                "indicator_name": f"Indikator {code}",
                "indicator_max_points": D(cap),
                "question_code": question,
                "question_text": f"Berapa persentase {code}/{question}",
                "max_points": D(maximum),
                "every_kecamatan": "ya" if kec else "tidak",
                "every_desa": "ya" if desa else "tidak",
                "units": "DP3AP2KB" if code == "1" else "",
                "steps": steps,
                "claimed_points": D(claimed),
                "verified_points": D(verified) if verified else None,
            }
        )
    path = tmp_path / "hasil-2023.xlsx"
    instrument_workbook(rows).save(path)
    return str(path)


def _district(with_units: bool) -> None:
    factories.UnitFactory(name="DP3AP2KB", short_name="DP3AP2KB", kind="dinas")
    if with_units:
        for n in range(5):
            factories.UnitFactory(name=f"Kecamatan {n}", short_name=f"Kec {n}", kind="kecamatan")
        for n in range(7):
            factories.UnitFactory(name=f"Desa {n}", short_name=f"Desa {n}", kind="desa")


@pytest.mark.django_db
@pytest.mark.parametrize("form", ["json", "xlsx"])
@pytest.mark.parametrize("with_units", [False, True], ids=["no-kecamatan", "kecamatan-and-desa"])
def test_a_past_year_totals_the_files_arithmetic_whatever_units_exist(form, with_units, tmp_path):
    _district(with_units)
    parsed = parse_json(_json()) if form == "json" else parse_file(_xlsx(tmp_path))
    report = instrument_import(parsed=parsed, year=2023)
    assert report.applied, report.lines()
    period = Period.objects.get(year=2023)
    if with_units:  # the official numbers differ from the registered units: no matter
        period.official_kecamatan, period.official_desa = 13, 134
        period.save()
    score = score_period(period=period)
    got = {g.name: (g.points.claimed, g.points.verified) for g in score.groups}
    assert got == _expected()
    assert got["Klaster IV"] == (D("25.91"), D("20.73"))  # 5,91 + 20 capped; 4,07 + 16,66
    # Only the ordinary question with a lead unit has an answer; the rest stay on questions.
    assert Answer.objects.filter(question__indicator__group__period=period).count() == 2
    kept = Question.objects.filter(kept_claimed_points__isnull=False).count()
    assert kept == 5
    # The steps came in, and go out through the template the same way.
    steps = Question.objects.get(indicator__code="25", code="1").steps
    assert steps[0] == ["0", "0.75"] and steps[-1] == ["100", "3.00"]
    exported = {
        r["indicator_code"] + "/" + r["question_code"]: r for r in instrument_rows(period=period)
    }
    assert (
        exported["25/1"]["steps"]
        == "0-25: 0.75; 25-50: 1.20; 50-75: 2.25; 75-100: 2.40; 100-100: 3.00"
    )


@pytest.mark.parametrize(
    ("steps", "problem"),
    [
        ("10-100: 3", "persentase di bawah 10% tidak tercakup"),
        ("0-25: 1; 30-100: 3", "persentase dari 25% sampai 30% tidak tercakup"),
        ("0-50: 1; 40-100: 3", "tumpang tindih"),
        ("0-25: 1; 25-90: 3", "persentase dari 90% sampai 100% tidak tercakup"),
        ("0-50: 2; 50-100: 1", "lebih kecil dari tahap sebelumnya"),
    ],
)
def test_a_bad_step_table_is_refused_with_the_rows_problem_in_indonesian(steps, problem, tmp_path):
    rows = [
        {
            "group": "Klaster IV",
            "indicator_code": "25",
            "indicator_name": "Indikator 25",
            "indicator_max_points": D("3"),
            "question_code": "1",
            "question_text": "Berapa persentase kecamatan yang ...",
            "max_points": D("3"),
            "every_kecamatan": "ya",
            "every_desa": "tidak",
            "units": "",
            "steps": steps,
        }
    ]
    path = tmp_path / "instrumen.xlsx"
    instrument_workbook(rows).save(path)
    with translation.override("id"), pytest.raises(InstrumentFileError) as refused:
        parse_file(path)
    assert any("baris 2" in p and problem in p for p in refused.value.problems), (
        refused.value.problems
    )


def test_steps_on_a_question_not_answered_per_unit_are_refused():
    data = json.loads(_json())
    question = data["clusters"][0]["indicators"][0]["questions"][0]
    question["steps"] = "0-100: 1"
    parsed = parse_json(json.dumps(data))
    assert any("every kecamatan or desa" in e.message for e in parsed.errors)
