"""The on-track rule (indicators/on_track.py), table-driven and without a database."""

import datetime
from decimal import Decimal

import pytest

from indicators.on_track import RECENT_DAYS, Verdict, on_track, recent_since

D = Decimal
OPENS, CLOSES = datetime.date(2026, 11, 1), datetime.date(2027, 3, 31)


def _judge(*, today, verified, before="0", target="701", potential=None):
    return on_track(
        target="Nindya" if target is not None else None,
        target_points=D(target) if target is not None else None,
        verified=D(verified),
        potential=D(potential or verified),
        window_opens=OPENS,
        window_closes=CLOSES,
        today=today,
        verified_before=D(before),
    )


# (today, verified, verified two weeks before, target) -> verdict, needed a week, recent a week
CASES = [
    # 119 days left (17 weeks): 613.50 still needed is 36.09 a week; 28 gained in 14 days is 14.
    (datetime.date(2026, 12, 2), "87.50", "59.50", "701", Verdict.TOO_SLOW, "36.09", "14.00"),
    # The same gap with a fortnight of 80 points: 40 a week, enough.
    (datetime.date(2026, 12, 2), "87.50", "7.50", "701", Verdict.ON_PACE, "36.09", "40.00"),
    # Exactly the pace needed is on track: 70 needed over 14 days, 70 gained in the last 14.
    (datetime.date(2027, 3, 17), "631", "561", "701", Verdict.ON_PACE, "35.00", "35.00"),
    # A cent short of it is behind.
    (datetime.date(2027, 3, 17), "630.98", "561", "701", Verdict.TOO_SLOW, "35.01", "34.99"),
    # The target reached: on track whatever the pace, even after the deadline.
    (datetime.date(2027, 1, 10), "701", "701", "701", Verdict.REACHED, None, "0.00"),
    (datetime.date(2027, 5, 1), "750", "740", "701", Verdict.REACHED, None, None),
    # On the last day, or after it, short of the target: behind, no pace can help (and none
    # is measured once the window has closed).
    (datetime.date(2027, 3, 31), "700.98", "600", "701", Verdict.DEADLINE, None, "50.49"),
    (datetime.date(2027, 4, 20), "650", "600", "701", Verdict.DEADLINE, None, None),
    # Verified points taken back (a reopened answer): a negative pace.
    (datetime.date(2027, 1, 10), "300", "314", "701", Verdict.TOO_SLOW, "35.09", "-7.00"),
    # No target: nothing to judge, the pace is still measured.
    (datetime.date(2027, 1, 10), "300", "286", None, Verdict.NO_TARGET, None, "7.00"),
    # Before the window opens: nothing to judge yet.
    (datetime.date(2026, 10, 20), "0", "0", "701", Verdict.NOT_OPEN, "30.29", "0.00"),
]


@pytest.mark.parametrize(
    ("today", "verified", "before", "target", "verdict", "needed", "recent"), CASES
)
def test_the_rule(today, verified, before, target, verdict, needed, recent):
    result = _judge(today=today, verified=verified, before=before, target=target)
    assert result.verdict == verdict
    assert result.needed_per_week == (D(needed) if needed else None)
    assert result.recent_per_week == (D(recent) if recent else None)
    assert (
        result.on_track
        is {
            Verdict.REACHED: True,
            Verdict.ON_PACE: True,
            Verdict.TOO_SLOW: False,
            Verdict.DEADLINE: False,
            Verdict.NOT_OPEN: None,
            Verdict.NO_TARGET: None,
        }[verdict]
    )


def test_the_record_carries_what_the_headline_shows():
    result = _judge(today=datetime.date(2026, 12, 2), verified="87.5", potential="120.25")
    assert result.awaiting_review == D("32.75") and result.still_needed == D("613.50")
    assert result.days_left == 119 and result.weeks_left == D("17.00")
    assert result.deadline == CLOSES and result.target_points == D("701")
    assert result.recent_since == datetime.date(2026, 11, 18)


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
