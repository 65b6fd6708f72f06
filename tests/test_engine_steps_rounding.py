"""The engine's percentage steps, share denominators, rounding choice and kept points:
table-driven, without a database."""

from decimal import Decimal as D

import pytest

from indicators import scoring as engine
from indicators.models import DEFAULT_RANK_BANDS
from indicators.steps import as_decimals, as_ranges, parse_steps

BANDS = [engine.Band(n, b) for n, b in DEFAULT_RANK_BANDS]
YES, NO = engine.UnitAnswer(D("3"), D("3")), engine.UnitAnswer(D("0"), D("0"))
# Steps of a question worth 3: under 25% 0,75; 25-50% 1,2; 50-75% 2,25; 75% and more 2,4; all 3.
STEPS = as_decimals([["0", "0.75"], ["25", "1.20"], ["50", "2.25"], ["75", "2.40"], ["100", "3"]])


def _score(questions, *, cap="100", rounding=engine.ROUND_QUESTION):
    return engine.score_period(
        groups=[engine.GroupInput(1, "Klaster IV")],
        indicators=[engine.IndicatorInput(1, 1, "25", "Indikator 25", D(cap))],
        questions=questions,
        bands=BANDS,
        rounding=rounding,
    )


def _question(qid, rows, n_units, steps=(), maximum="3", kept=None):
    return engine.QuestionInput(qid, 1, str(qid), D(maximum), tuple(rows), n_units, 0, steps, kept)


@pytest.mark.parametrize(
    ("yes", "n_units", "steps", "expected"),
    [
        # The straight share: 10 of 13 kecamatan = 76,9% of 3 = 2,31.
        (10, 13, (), "2.31"),
        # Steps: 10 of 13 (76,9%) lands on the 75% step.
        (10, 13, STEPS, "2.40"),
        # The bounds belong to the step they open: 1 of 4 is exactly 25%.
        (1, 4, STEPS, "1.20"),
        (2, 4, STEPS, "2.25"),
        (3, 4, STEPS, "2.40"),
        (4, 4, STEPS, "3.00"),
        # Under the first bound but answered: the first step.
        (0, 4, STEPS, "0.75"),
        (3, 13, STEPS, "0.75"),  # 23%
        # One kecamatan: its share is 0% or 100%.
        (1, 1, STEPS, "3.00"),
    ],
)
def test_the_share_goes_through_the_steps(yes, n_units, steps, expected):
    rows = [YES] * yes + [NO] * (min(n_units, 4) - yes if yes < 4 else 0)
    score = _score([_question(1, rows, n_units, steps)])
    points = score.groups[0].indicators[0].questions[0].points
    assert (str(points.claimed), str(points.verified)) == (expected, expected)


@pytest.mark.parametrize(
    ("registered_rows", "official", "expected"),
    [
        # 5 registered kecamatan all "Ya", the district has 13: 5/13 of 3 = 1,15, not 3.
        (5, 13, "1.15"),
        # The official number unset: the registered ones (the service passes their count).
        (5, 5, "3.00"),
        # More rows than the official number (a unit counted twice): never over the maximum.
        (5, 4, "3.00"),
    ],
)
def test_the_share_is_over_the_official_number(registered_rows, official, expected):
    score = _score([_question(1, [YES] * registered_rows, official)])
    assert str(score.claimed) == expected


def test_a_figure_no_row_reaches_stays_zero_through_the_steps():
    """Drafts only: claimed through the steps, but nothing verified, submitted or potential
    (the first step's 0,75 is not given for nothing)."""
    rows = [engine.UnitAnswer(D("3"))] * 2
    points = _score([_question(1, rows, 13, STEPS)]).groups[0].points
    assert (str(points.claimed), str(points.verified), str(points.potential)) == (
        "0.75",
        "0.00",
        "0.00",
    )
    assert str(points.submitted) == "0.00"
    # Awaiting review: potential and submitted follow the claims; verified still nothing.
    rows = [engine.UnitAnswer(D("3"), None, True)] * 4
    points = _score([_question(1, rows, 4, STEPS)]).groups[0].points
    assert (str(points.verified), str(points.potential), str(points.submitted)) == (
        "0.00",
        "3.00",
        "3.00",
    )


@pytest.mark.parametrize(
    ("rounding", "expected_indicator", "expected_question"),
    [
        # Each question 1 of 3 units x 5 = 1,666..: to the cent 1,67; the indicator 3,34.
        (engine.ROUND_QUESTION, "3.34", "1.67"),
        # Unrounded sums: 3,333.. rounded at the indicator, 3,33 (the questions still show 1,67).
        (engine.ROUND_INDICATOR, "3.33", "1.67"),
    ],
)
def test_rounding_is_the_periods_choice(rounding, expected_indicator, expected_question):
    row = engine.UnitAnswer(D("5"), D("5"))
    questions = [_question(n, [row], 3, maximum="5") for n in (1, 2)]
    score = _score(questions, rounding=rounding)
    indicator = score.groups[0].indicators[0]
    assert str(indicator.points.verified) == expected_indicator
    assert {str(q.points.verified) for q in indicator.questions} == {expected_question}
    assert str(score.verified) == expected_indicator


@pytest.mark.parametrize(
    ("rounding", "cap", "expected"),
    [
        # Rounded cents summed, then the cap: 6 x 1,67 = 10,02 under a cap of 10 = 10.
        (engine.ROUND_QUESTION, "10", "10.00"),
        (engine.ROUND_INDICATOR, "10", "10.00"),
        # Six questions of 1 of 3 units x 5 = 1,666..: 10,02 summed by cents, 10,00 unrounded.
        (engine.ROUND_QUESTION, "20", "10.02"),
        (engine.ROUND_INDICATOR, "20", "10.00"),
    ],
)
def test_rounding_and_the_indicators_cap(rounding, cap, expected):
    row = engine.UnitAnswer(D("5"), D("5"))
    questions = [_question(n, [row], 3, maximum="5") for n in range(1, 7)]
    assert str(_score(questions, cap=cap, rounding=rounding).verified) == expected


def test_an_unknown_rounding_is_refused():
    with pytest.raises(ValueError, match="rounding"):
        _score([], rounding="bankers")


@pytest.mark.parametrize(
    ("rows", "kept", "expected"),
    [
        # No unit holds the question: its kept (imported) points count, verified = approved.
        ((), engine.UnitAnswer(D("2.31"), D("2.31")), ("2.31", "2.31", "2.31")),
        # Claimed only (no verified in the file): handed in, awaiting review.
        ((), engine.UnitAnswer(D("1.50"), None, True), ("1.50", "0.00", "1.50")),
        # Rows exist: they score; the kept points step aside.
        ((YES,), engine.UnitAnswer(D("0.40"), D("0.40")), ("0.23", "0.23", "0.23")),
    ],
)
def test_kept_points_count_while_no_row_does(rows, kept, expected):
    # Steps and an official number do not touch kept points: they are the file's own figure.
    question = _question(1, rows, 13, () if rows else STEPS, kept=kept)
    score = _score([question])
    assert (str(score.claimed), str(score.verified), str(score.potential)) == expected


# --- The step tables people write ---------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "stored"),
    [
        (
            "0-25: 0,75; 25-50: 1,2; 50-75: 2,25; 75-100: 2,4",
            [["0", "0.75"], ["25", "1.20"], ["50", "2.25"], ["75", "2.40"]],
        ),
        ([[0, 0.75], [50, "2,25"]], [["0", "0.75"], ["50", "2.25"]]),
        (
            [{"from": 0, "to": 40, "points": 1}, {"from": 40, "to": 100, "points": 3}],
            [["0", "1.00"], ["40", "3.00"]],
        ),
        ("", []),
        (None, []),
    ],
)
def test_step_tables_read(written, stored):
    assert parse_steps(written, D("3"), "x") == (stored, [])


@pytest.mark.parametrize(
    ("written", "problem"),
    [
        ("10-100: 3", "shares below 10% are not covered"),
        ("0-25: 1; 30-100: 3", "shares from 25% to 30% are not covered"),
        ("0-50: 1; 40-100: 3", "overlap"),
        ("0-25: 1; 25-90: 3", "shares from 90% to 100% are not covered"),
        ([[0, 1], [50, 2], [50, 3]], "overlap"),
        ([[0, 1], [60, 2], [50, 3]], "overlap"),
        ("0-100: 4", "not within 0 to 3"),
        ("0-50: 2; 50-100: 1", "worth less than the step before it"),
        ("0-50 1", "write each step as from-to: points"),
        ("0-50: x", "is not a number"),
        ([[0, 1], [120, 2]], "between 0% and 100%"),
    ],
)
def test_bad_step_tables_are_refused_naming_the_problem(written, problem):
    stored, problems = parse_steps(written, D("3"), "row 7")
    assert stored == []
    assert problems and problems[0].startswith("row 7")
    assert any(problem in p for p in problems), problems


def test_the_ranges_form_reads_back_to_the_same_steps():
    """What the template exports imports back unchanged; all units (exactly 100%) may be a
    step of its own."""
    stored = [["0", "0.75"], ["25", "1.20"], ["62.5", "2.25"], ["100", "3.00"]]
    assert as_ranges(stored) == "0-25: 0.75; 25-62.5: 1.20; 62.5-100: 2.25; 100-100: 3.00"
    assert parse_steps(as_ranges(stored), D("3"), "x") == (stored, [])
