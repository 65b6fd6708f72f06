"""Where points were lost (indicators/losses.py), table-tested without a database; and the
official rank's rule (indicators/official.py)."""

from decimal import Decimal as D

import pytest

from indicators.losses import (
    GroupFigures,
    IndicatorFigures,
    QuestionFigures,
    losses,
    lost_last_time,
)
from indicators.models import DEFAULT_RANK_BANDS
from indicators.official import derived_rank, rank_problem


def _q(pk, indicator, claimed, verified, official, agency="Dinkes", maximum="10", note=""):
    return QuestionFigures(
        pk,
        indicator,
        f"{indicator}/{pk}",
        agency,
        D(maximum),
        D(claimed),
        D(verified),
        None if official is None else D(official),
        note,
    )


def _i(pk, group, claimed, verified, official=None, maximum="20"):
    return IndicatorFigures(
        pk,
        group,
        str(pk),
        f"Indikator {pk}",
        D(maximum),
        D(claimed),
        D(verified),
        None if official is None else D(official),
    )


def _g(pk, claimed, verified, official=None, maximum="40"):
    return GroupFigures(
        pk,
        f"Klaster {pk}",
        D(maximum),
        D(claimed),
        D(verified),
        None if official is None else D(official),
    )


# (name, questions, indicators, groups, final, expected indicator officials, group officials,
#  total official, question losses in order)
CASES = [
    (
        "every question has official points: indicators and groups are their sums",
        [_q(1, 1, "10", "8", "6"), _q(2, 1, "5", "5", "5"), _q(3, 2, "7", "7", "2")],
        [_i(1, 1, "15", "13"), _i(2, 1, "7", "7")],
        [_g(1, "22", "20")],
        None,
        [D("11"), D("2")],
        [D("13")],
        D("13"),
        [("q3", D("5")), ("q1", D("4")), ("q2", D("0"))],
    ),
    (
        "a question without official points leaves its indicator and group without a figure",
        [_q(1, 1, "10", "8", "6"), _q(2, 1, "5", "5", None)],
        [_i(1, 1, "15", "13")],
        [_g(1, "15", "13")],
        None,
        [None],
        [None],
        None,
        [("q1", D("4"))],
    ),
    (
        "an indicator published alone stands; the final score is the total's figure",
        [_q(1, 1, "10", "8", None)],
        [_i(1, 1, "10", "8", official="3")],
        [_g(1, "10", "8")],
        D("588.40"),
        [D("3")],
        [D("3")],
        D("588.40"),
        [],
    ),
    (
        "questions above their indicator's cap: the official sum is capped like the engine's",
        [_q(1, 1, "10", "10", "10"), _q(2, 1, "10", "10", "10")],
        [_i(1, 1, "17", "17", maximum="17")],
        [_g(1, "17", "17", official="16")],
        None,
        [D("17")],
        [D("16")],
        D("16"),
        [("q1", D("0")), ("q2", D("0"))],
    ),
    (
        "the ministry gave more than claimed: a negative loss, listed last",
        [_q(1, 1, "4", "4", "6"), _q(2, 1, "5", "5", "4")],
        [_i(1, 1, "9", "9")],
        [_g(1, "9", "9")],
        None,
        [D("10")],
        [D("10")],
        D("10"),
        [("q2", D("1")), ("q1", D("-2"))],
    ),
]


@pytest.mark.parametrize(
    "questions,indicators,groups,final,ind_official,group_official,total,question_losses",
    [c[1:] for c in CASES],
    ids=[c[0] for c in CASES],
)
def test_losses(
    questions, indicators, groups, final, ind_official, group_official, total, question_losses
):
    result = losses(groups=groups, indicators=indicators, questions=questions, final_score=final)
    assert [row.official for row in result.indicators] == ind_official
    assert [row.official for row in result.groups] == group_official
    assert result.total.official == total
    assert [(row.key, row.lost) for row in result.questions] == question_losses


def test_internal_and_official_losses_are_kept_apart():
    result = losses(
        groups=[_g(1, "10", "8")],
        indicators=[_i(1, 1, "10", "8")],
        questions=[_q(1, 1, "10", "8", "5", note="Perda belum ditandatangani")],
    )
    row = result.questions[0]
    assert (row.lost, row.lost_internally, row.lost_officially) == (D("5"), D("2"), D("3"))
    assert row.note == "Perda belum ditandatangani"
    assert result.has_official


def test_agencies_sum_their_questions_with_official_points_only():
    result = losses(
        groups=[_g(1, "30", "30")],
        indicators=[_i(1, 1, "30", "30", maximum="30")],
        questions=[
            _q(1, 1, "10", "10", "4", agency="Dinkes"),
            _q(2, 1, "10", "10", "9", agency="Dinsos"),
            _q(3, 1, "10", "10", None, agency="Dinkes"),
        ],
    )
    assert [(a.label, a.claimed, a.official, a.lost) for a in result.agencies] == [
        ("Dinkes", D("10"), D("4"), D("6")),
        ("Dinsos", D("10"), D("9"), D("1")),
    ]


def test_no_official_points_means_no_read():
    result = losses(
        groups=[_g(1, "10", "8")],
        indicators=[_i(1, 1, "10", "8")],
        questions=[_q(1, 1, "10", "8", None)],
    )
    assert not result.has_official
    assert result.total.lost is None


@pytest.mark.parametrize(
    "previous,expected",
    [
        ({100: 1, 101: 2}, {100: (D("10"), D("6"))}),  # only the question that lost points
        ({100: 3}, {}),  # no official points last year
        ({}, {}),
    ],
)
def test_lost_last_time(previous, expected):
    last = losses(
        groups=[_g(1, "15", "15")],
        indicators=[_i(1, 1, "15", "15")],
        questions=[
            _q(1, 1, "10", "10", "6", note="Foto kurang"),
            _q(2, 1, "5", "5", "5"),
            _q(3, 1, "5", "5", None),
        ],
    )
    rows = {int(row.key[1:]): row for row in last.questions}
    found = lost_last_time(previous=previous, last_year=rows)
    assert {k: (v.claimed, v.official) for k, v in found.items()} == expected
    if 100 in found:
        assert found[100].note == "Foto kurang" and found[100].lost == D("4")


BANDS = DEFAULT_RANK_BANDS


@pytest.mark.parametrize(
    "score,rank,contradicts",
    [
        ("588.40", "Madya", True),  # Madya starts at 601
        ("588.40", "Pratama", False),
        ("600.99", "Pratama", False),
        ("601.00", "Madya", False),
        ("601.00", "Pratama", True),
        ("450.00", "Pratama", True),  # below every band
        ("905.00", "KLA", False),
        ("700.00", "", False),  # no rank: derived, not contradicted
        ("700.00", "Bintang", True),  # not a band
    ],
)
def test_rank_problem(score, rank, contradicts):
    assert (rank_problem(score=D(score), rank=rank, bands=BANDS) is not None) is contradicts


@pytest.mark.parametrize(
    "score,rank", [("588.40", "Pratama"), ("601.00", "Madya"), ("499.99", ""), ("1000", "KLA")]
)
def test_derived_rank(score, rank):
    assert derived_rank(score=D(score), bands=BANDS) == rank


def test_the_message_names_the_band_and_its_bound():
    message = rank_problem(score=D("588.40"), rank="Madya", bands=BANDS)
    assert "588.40" in message and "Pratama" in message and "601" in message
