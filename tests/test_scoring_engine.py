"""The scoring engine without a database: table-driven cases and properties."""

from decimal import Decimal as D

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from indicators.models import DEFAULT_RANK_BANDS
from indicators.scoring import (
    Band,
    GroupInput,
    IndicatorInput,
    QuestionInput,
    UnitAnswer,
    rank_for,
    score_period,
    score_question,
)

BANDS = [Band(n, b) for n, b in DEFAULT_RANK_BANDS]


def _score(questions, *, ind_max="10", target="Madya"):
    return score_period(
        groups=[GroupInput(1, "Klaster I")],
        indicators=[IndicatorInput(1, 1, "1", "Indikator", D(ind_max))],
        questions=questions,
        bands=BANDS,
        target=target,
    )


def q(qid, maximum, *answers, n_units=1):
    return QuestionInput(qid, 1, str(qid), D(maximum), tuple(answers), n_units=n_units)


def approved(points, claimed=None):
    return UnitAnswer(claimed=D(claimed or points), verified=D(points))


def submitted(points):
    return UnitAnswer(claimed=D(points), awaiting_review=True)


def draft(points):
    return UnitAnswer(claimed=D(points))


@pytest.mark.parametrize(
    ("questions", "ind_max", "expected"),
    [
        # (claimed, verified, potential)
        ([], "10", ("0.00", "0.00", "0.00")),
        ([q(1, "4", approved("4")), q(2, "6", approved("6"))], "10", ("10.00", "10.00", "10.00")),
        # questions adding up to more than the indicator: capped (Indikator 19 and 21 B)
        ([q(1, "6", approved("6")), q(2, "6", approved("6"))], "10", ("10.00", "10.00", "10.00")),
        # over-max and negative points are clamped to [0, max]
        ([q(1, "4", approved("9")), q(2, "6", draft("-3"))], "10", ("4.00", "4.00", "4.00")),
        # potential = verified + claimed of answers awaiting review; drafts only in claimed
        (
            [q(1, "4", approved("3", "4")), q(2, "3", submitted("2")), q(3, "3", draft("3"))],
            "10",
            ("9.00", "3.00", "5.00"),
        ),
        # every-kecamatan question: mean over the units, a missing unit counts 0
        ([q(1, "3", approved("3"), approved("1"), n_units=3)], "10", ("1.33", "1.33", "1.33")),
        # rounding to two places, half up
        (
            [q(1, "1", approved("1"), approved("0.125"), approved("0"), n_units=8)],
            "10",
            ("0.14", "0.14", "0.14"),
        ),
        (
            [q(1, "0.25", approved("0.25")), q(2, "2.25", approved("2.25"))],
            "10",
            ("2.50", "2.50", "2.50"),
        ),
    ],
)
def test_points(questions, ind_max, expected):
    score = _score(questions, ind_max=ind_max)
    assert (str(score.claimed), str(score.verified), str(score.potential)) == expected


@pytest.mark.parametrize(
    ("total", "rank"),
    [
        ("0", None),
        ("499.99", None),
        ("500.00", "Pratama"),
        ("600.50", "Pratama"),
        ("600.99", "Pratama"),
        ("601.00", "Madya"),
        ("700.99", "Madya"),
        ("701.00", "Nindya"),
        ("900.99", "Utama"),
        ("901.00", "KLA"),
        ("1000.00", "KLA"),
    ],
)
def test_band_edges_are_half_open(total, rank):
    assert rank_for(D(total), BANDS) == rank


def test_gap_to_target_and_largest_gaps():
    questions = [q(1, "5", approved("1")), q(2, "3", submitted("3")), q(3, "2", approved("2"))]
    score = _score(questions)
    assert score.gap_to_target == D("598.00")  # Madya starts at 601; 3.00 verified
    assert [(g.code, str(g.missing)) for g in score.gaps] == [("1", "4.00"), ("2", "3.00")]
    assert _score(questions, target=None).gap_to_target is None


def test_empty_period():
    score = score_period(groups=[], indicators=[], questions=[], bands=BANDS, target="Madya")
    assert (score.max_points, score.verified, score.rank_verified) == (D("0.00"), D("0.00"), None)
    assert score.gap_to_target == D("601.00")


answer = st.builds(
    UnitAnswer,
    claimed=st.decimals(min_value=-5, max_value=30, places=2, allow_nan=False),
    verified=st.one_of(
        st.none(), st.decimals(min_value=-5, max_value=30, places=2, allow_nan=False)
    ),
    awaiting_review=st.booleans(),
)
question = st.tuples(
    st.decimals(min_value=0, max_value=20, places=2, allow_nan=False),
    st.lists(answer, max_size=3),
    st.integers(min_value=1, max_value=4),
    st.integers(min_value=0, max_value=2),  # which indicator
)


def _instrument(raw):
    indicators = [
        IndicatorInput(i, 1 + i % 2, str(i), "I", D(m)) for i, m in enumerate(["10", "25", "7"])
    ]
    questions = [
        QuestionInput(n, ind, str(n), mx, tuple(ans), n_units=max(units, len(ans)))
        for n, (mx, ans, units, ind) in enumerate(raw)
    ]
    return indicators, questions


@settings(max_examples=150, deadline=None)
@given(st.lists(question, max_size=12))
def test_total_never_exceeds_the_maxima_and_verified_le_potential(raw):
    indicators, questions = _instrument(raw)
    score = score_period(
        groups=[GroupInput(1, "A"), GroupInput(2, "B")],
        indicators=indicators,
        questions=questions,
        bands=BANDS,
    )
    assert score.claimed <= D("42.00") and score.potential <= D("42.00")
    assert score.verified <= score.potential


@settings(max_examples=150, deadline=None)
@given(st.lists(question, min_size=1, max_size=10), st.data())
def test_raising_a_questions_points_never_lowers_the_total(raw, data):
    indicators, questions = _instrument(raw)
    target = data.draw(st.integers(min_value=0, max_value=len(questions) - 1))
    bump = data.draw(st.decimals(min_value=0, max_value=10, places=2, allow_nan=False))
    before = score_period(
        groups=[GroupInput(1, "A"), GroupInput(2, "B")],
        indicators=indicators,
        questions=questions,
        bands=BANDS,
    )
    raised = list(questions)
    old = raised[target]
    # Raise every answer of one question (or give an unanswered question one answer).
    bumped = tuple(
        UnitAnswer(
            claimed=(a.claimed or 0) + bump,
            verified=None if a.verified is None else a.verified + bump,
            awaiting_review=a.awaiting_review,
        )
        for a in old.answers
    ) or (UnitAnswer(claimed=bump, verified=bump),)
    raised[target] = QuestionInput(
        old.id, old.indicator_id, old.code, old.max_points, bumped, n_units=old.n_units
    )
    after = score_period(
        groups=[GroupInput(1, "A"), GroupInput(2, "B")],
        indicators=indicators,
        questions=raised,
        bands=BANDS,
    )
    assert after.claimed >= before.claimed
    assert after.verified >= before.verified
    assert after.potential >= before.potential


def test_single_question_mean_counts_missing_units():
    points = score_question(q(1, "4", approved("4"), n_units=4))
    assert points.verified == D("1")


@pytest.mark.parametrize(
    ("cap", "answers", "expected"),
    [
        # 21 B: questions of 10 and 8 under a cap of 17. With 8 verified, the cap leaves 9.
        ("17", [None, "8"], [("1", "9.00")]),
        # Nothing verified: each question's own shortfall, each within the cap's 17.
        ("17", [None, None], [("1", "10.00"), ("2", "8.00")]),
        # The cap is reached: verifying more adds nothing, so nothing is listed.
        ("17", ["10", "7"], []),
        # No cap below the questions' sum: the shortfall as it is.
        ("18", ["5", None], [("2", "8.00"), ("1", "5.00")]),
    ],
)
def test_the_shortfall_list_respects_the_indicators_cap(cap, answers, expected):
    questions = [
        q(n, maximum, *([approved(v)] if v else []))
        for n, (maximum, v) in enumerate(zip(["10", "8"], answers, strict=True), start=1)
    ]
    score = _score(questions, ind_max=cap)
    assert [(g.code, str(g.missing)) for g in score.gaps] == expected


@pytest.mark.parametrize(
    ("questions", "ind_max", "submitted_total"),
    [
        # drafts are claimed but not submitted
        ([q(1, "4", draft("4")), q(2, "6", submitted("5"))], "10", "5.00"),
        # an approved answer counts its claim, a lowered one included (claimed 4, verified 3)
        (
            [q(1, "4", approved("3", "4")), q(2, "3", submitted("2")), q(3, "3", draft("3"))],
            "10",
            "6.00",
        ),
        # a table: two of four rows handed in, one still a draft
        ([q(1, "4", submitted("4"), approved("4"), draft("4"), n_units=4)], "10", "2.00"),
        # the indicator's cap holds for the submitted figure too
        ([q(1, "6", submitted("6")), q(2, "6", approved("6"))], "10", "10.00"),
    ],
)
def test_submitted_excludes_drafts(questions, ind_max, submitted_total):
    score = _score(questions, ind_max=ind_max)
    assert str(score.submitted) == submitted_total
    assert score.submitted <= score.claimed


def test_the_process_memo_is_bounded_and_never_changes_a_score(monkeypatch):
    """The memo of points by value is kept for the process: past its bound it is emptied, and
    a score computed through a full, an emptied or a cold memo is the same."""
    from indicators import scoring as engine

    questions = [q(n, "10", draft(f"{n % 10}.{n:02d}"[:4])) for n in range(1, 40)]
    cold = _score(questions, ind_max="1000")
    monkeypatch.setattr(engine, "MEMO_MAX_ENTRIES", 5)
    engine._MEMO.clear()
    bounded = _score(questions, ind_max="1000")
    # the bound, and the cents a last miss made on its way
    assert 0 < len(engine._MEMO) <= 5 + 1
    assert bounded == cold
    assert bounded.claimed == sum(
        (min(a.claimed, D(10)) for x in questions for a in x.answers), D(0)
    )
