"""The on-track rule (indicators/on_track.py), table-driven and without a database."""

import datetime
from decimal import Decimal

import pytest

from indicators.on_track import RECENT_DAYS, Verdict, judged_from, on_track, recent_since

D = Decimal
OPENS, CLOSES = datetime.date(2026, 11, 1), datetime.date(2027, 3, 31)
ENTRY = datetime.date(2027, 4, 15)
day = datetime.date


def _judge(
    *,
    today,
    verified,
    before="0",
    target="701",
    potential=None,
    potential_before=None,
    entry=ENTRY,
):
    return on_track(
        target="Nindya" if target is not None else None,
        target_points=D(target) if target is not None else None,
        verified=D(verified),
        potential=D(potential or verified),
        window_opens=OPENS,
        window_closes=CLOSES,
        entry_date=entry,
        today=today,
        verified_before=D(before),
        potential_before=D(potential_before) if potential_before is not None else None,
    )


V = Verdict
# today, verified, potential, verified and potential two weeks before, entry date ->
# verdict, verified needed a week, verified a week, units needed a week, submitted a week
CASES = [
    # The case of the issue: 31 March, 650 verified, 70 waiting, entry on 15 April. 51 verified
    # are needed in 15 days (23.80 a week); the review verified 25 a week: on track.
    (
        day(2027, 3, 31),
        "650",
        "720",
        "600",
        "700",
        ENTRY,
        V.ON_PACE,
        "23.80",
        "25.00",
        None,
        "10.00",
    ),
    # The same day with a slow review (10 a week): the review is behind, not the units.
    (
        day(2027, 3, 31),
        "650",
        "720",
        "630",
        "700",
        ENTRY,
        V.REVIEW_BEHIND,
        "23.80",
        "10.00",
        None,
        "10.00",
    ),
    # No entry date: the window's close is the entry, and it has come.
    (day(2027, 3, 31), "650", "720", "600", "700", None, V.DEADLINE, None, "25.00", None, "10.00"),
    # Units behind: nothing waits, and they submit 7 a week where 35.09 are needed by 31 March.
    (
        day(2027, 1, 10),
        "300",
        "300",
        "290",
        "286",
        ENTRY,
        V.UNITS_BEHIND,
        "29.55",
        "5.00",
        "35.09",
        "7.00",
    ),
    # Both: 20 waiting and a review of 5 a week, units at 10 a week.
    (
        day(2027, 1, 10),
        "300",
        "320",
        "290",
        "300",
        ENTRY,
        V.BOTH_BEHIND,
        "29.55",
        "5.00",
        "33.34",
        "10.00",
    ),
    # Both ends fast enough.
    (
        day(2027, 1, 10),
        "500",
        "560",
        "400",
        "440",
        ENTRY,
        V.ON_PACE,
        "14.81",
        "50.00",
        "12.34",
        "60.00",
    ),
    # Exactly the pace needed is on track, a cent short of it is behind (the review's end).
    (
        day(2027, 3, 17),
        "631",
        "701",
        "561",
        "701",
        CLOSES,
        V.ON_PACE,
        "35.00",
        "35.00",
        None,
        "0.00",
    ),
    (
        day(2027, 3, 17),
        "630.98",
        "701",
        "561",
        "701",
        CLOSES,
        V.REVIEW_BEHIND,
        "35.01",
        "34.99",
        None,
        "0.00",
    ),
    # After the window, before the entry: the units can no longer close a gap.
    (
        day(2027, 4, 5),
        "600",
        "650",
        "560",
        "650",
        ENTRY,
        V.BOTH_BEHIND,
        "70.70",
        "20.00",
        None,
        None,
    ),
    (
        day(2027, 4, 5),
        "600",
        "720",
        "560",
        "720",
        ENTRY,
        V.REVIEW_BEHIND,
        "70.70",
        "20.00",
        None,
        None,
    ),
    # The entry date has passed short of the target: behind, no pace asked any more.
    (day(2027, 4, 20), "650", "700", "600", "700", ENTRY, V.DEADLINE, None, None, None, None),
    # The target reached: on track whatever the pace, early or late (open for five days:
    # 701 in five days is 981.40 a week).
    (day(2026, 11, 5), "701", "701", "0", "0", ENTRY, V.REACHED, None, "981.40", None, "981.40"),
    (day(2027, 5, 1), "750", "750", "740", "740", ENTRY, V.REACHED, None, None, None, None),
    # Too early: a single approval of 80 in the first three weeks is no pace (no verdict).
    (
        day(2026, 11, 20),
        "80",
        "80",
        "0",
        "0",
        ENTRY,
        V.TOO_EARLY,
        "29.77",
        "40.00",
        "33.18",
        "40.00",
    ),
    # Before the window opens, and without a target: nothing to judge.
    (day(2026, 10, 20), "0", "0", "0", "0", ENTRY, V.NOT_OPEN, "27.72", "0.00", "30.29", "0.00"),
]


@pytest.mark.parametrize(
    (
        "today",
        "verified",
        "potential",
        "before",
        "potential_before",
        "entry",
        "verdict",
        "needed",
        "recent",
        "units_needed",
        "units_recent",
    ),
    CASES,
)
def test_the_rule(
    today,
    verified,
    potential,
    before,
    potential_before,
    entry,
    verdict,
    needed,
    recent,
    units_needed,
    units_recent,
):
    result = _judge(
        today=today,
        verified=verified,
        potential=potential,
        before=before,
        potential_before=potential_before,
        entry=entry,
    )
    assert result.verdict == verdict
    assert result.needed_per_week == (D(needed) if needed else None)
    assert result.recent_per_week == (D(recent) if recent else None)
    assert result.units_needed_per_week == (D(units_needed) if units_needed else None)
    assert result.units_recent_per_week == (D(units_recent) if units_recent else None)
    assert (
        result.on_track
        is {
            V.REACHED: True,
            V.ON_PACE: True,
            V.UNITS_BEHIND: False,
            V.REVIEW_BEHIND: False,
            V.BOTH_BEHIND: False,
            V.DEADLINE: False,
            V.TOO_EARLY: None,
            V.NOT_OPEN: None,
        }[verdict]
    )
    assert result.units_behind is (verdict in (V.UNITS_BEHIND, V.BOTH_BEHIND))
    assert result.review_behind is (verdict in (V.REVIEW_BEHIND, V.BOTH_BEHIND))


def test_no_target_no_verdict():
    result = _judge(today=day(2027, 1, 10), verified="300", before="286", target=None)
    assert result.verdict == V.NO_TARGET and result.on_track is None
    assert result.recent_per_week == D("7.00")


@pytest.mark.parametrize(
    ("opens", "closes", "first"),
    [
        # 151 days: a quarter is 38 days.
        (day(2026, 11, 1), day(2027, 3, 31), day(2026, 12, 9)),
        # February to March (59 days): the quarter (15) is just over two weeks.
        (day(2027, 2, 1), day(2027, 3, 31), day(2027, 2, 16)),
        # A short window of 30 days: two weeks, not a quarter.
        (day(2027, 3, 1), day(2027, 3, 30), day(2027, 3, 15)),
    ],
)
def test_the_quiet_start_is_a_quarter_of_the_window_and_two_weeks_at_least(opens, closes, first):
    assert judged_from(window_opens=opens, window_closes=closes) == first


def test_single_approvals_early_on_do_not_flip_the_verdict():
    """The first weeks: one approval up, nothing, another one: the page says nothing until
    the pace can be judged, then judges the fortnight."""
    verified = D("0")
    seen = set()
    for offset in range(38):
        today = OPENS + datetime.timedelta(days=offset)
        if offset in (3, 17, 30):
            verified += D("60")  # a single approval of a big question
        before = max(D("0"), verified - D("60"))
        result = _judge(today=today, verified=str(verified), before=str(before))
        seen.add(result.verdict)
    assert seen == {V.TOO_EARLY}
    judged = _judge(today=day(2026, 12, 9), verified="180", before="180")
    assert judged.verdict == V.UNITS_BEHIND  # nothing in the queue: the units' end


def test_the_record_carries_what_the_headline_shows():
    result = _judge(today=day(2026, 12, 2), verified="87.5", potential="120.25")
    assert result.awaiting_review == D("32.75") and result.still_needed == D("613.50")
    assert result.units_short == D("580.75")
    assert result.days_left == 134 and result.weeks_left == D("19.14")
    assert result.units_days_left == 119
    assert result.deadline == ENTRY and result.units_deadline == CLOSES
    assert result.target_points == D("701")
    assert result.recent_since == day(2026, 11, 18)
    assert result.judged_from == day(2026, 12, 9)


@pytest.mark.parametrize(
    ("today", "since"),
    [
        (datetime.date(2026, 12, 20), datetime.date(2026, 12, 6)),  # two weeks back
        (datetime.date(2026, 11, 6), datetime.date(2026, 10, 31)),  # the eve of the opening
        (datetime.date(2026, 11, 1), datetime.date(2026, 10, 31)),  # the first day: one day
        (datetime.date(2026, 10, 1), datetime.date(2026, 9, 30)),  # not open yet: one day
    ],
)
def test_the_recent_pace_is_measured_from(today, since):
    assert recent_since(today=today, window_opens=OPENS) == since
    assert (today - since).days <= RECENT_DAYS


def test_a_window_opened_days_ago_is_measured_over_those_days():
    # Open for six days (1 to 6 November), 60 points verified: 70 a week, not 30.
    result = _judge(today=datetime.date(2026, 11, 6), verified="60")
    assert result.recent_per_week == D("70.00")


@pytest.mark.parametrize(
    ("before", "word", "units", "review"),
    [("600", "On track", False, False), ("630", "Behind", False, True)],
)
def test_the_pages_say_which_end_is_behind(before, word, units, review):
    """The partial the Bupati's page, the secretariat's page and the PDF include: on 31 March
    with 650 verified and 70 waiting, the entry two weeks away, it is never the units."""
    from django.template.loader import render_to_string

    headline = _judge(
        today=day(2027, 3, 31),
        verified="650",
        potential="720",
        before=before,
        potential_before="700",
    )
    html = render_to_string(
        "kla/_on_track.html", {"headline": headline, "period": None, "figures_apart": True}
    )
    assert word in html
    assert ('data-testid="on-track-units"' in html) is units
    assert ('data-testid="on-track-review"' in html) is review
    if review:
        assert "70.00 points wait for review" in html and "15 April 2027" in html
