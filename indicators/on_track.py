"""Are we on track for the target? The rule, written once, pure: dates and Decimals in, a plain
record out (the Bupati's page, the secretariat's page and the PDF report read the same record).

Two ends make verified points, with two deadlines:

- the units submit answers until the window closes (`window_closes`);
- the secretariat reviews them until the entry into the ministry's application
  (`entry_date`; the window's close when no entry date is set). That is the deadline of the
  verified points: on the window's last day, 650 verified with 70 waiting and the entry two
  weeks away is a review queue to clear, not a lost target.

    still needed     = target's lower bound - verified (never below 0)
    needed per week  = still needed / (days until the entry / 7)          the review's pace
    recent per week  = verified gained over the last RECENT_DAYS days / RECENT_DAYS * 7
    units short      = target's lower bound - potential (verified + waiting for review)
    units need       = units short / (days until the window closes / 7)   the units' pace
    units per week   = potential gained over the last RECENT_DAYS days / RECENT_DAYS * 7

The verdict says which end is behind: the units (what they submit will not reach the target by
the window's close), the review (the queue holds the points but verification is slower than the
entry needs; a queue with nothing in it is never behind), or both.

Too early to judge: no verdict (TOO_EARLY) until a quarter of the window and at least
RECENT_DAYS days have passed since it opened. Before that a fortnight's pace is a handful of
answers, and one approval would swing the page from "behind" to "on track" and back. A target
already reached is said at any time. Nothing here touches the database.
"""

import datetime
import math
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

RECENT_DAYS = 14
QUIET_SHARE = Decimal("0.25")  # of the window, before any pace is judged
WEEK = Decimal(7)
ZERO = Decimal("0.00")
CENT = Decimal("0.01")


def _q2(value: Decimal) -> Decimal:
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


class Verdict:
    """Why the record says what it says: a key the pages turn into words."""

    REACHED = "reached"  # verified at or above the target: on track
    ON_PACE = "on_pace"  # both ends' last two weeks, kept up, reach it: on track
    UNITS_BEHIND = "units_behind"  # the units submit too little (or the window has closed short)
    REVIEW_BEHIND = "review_behind"  # submitted enough, but the review is too slow for the entry
    BOTH_BEHIND = "both_behind"  # both
    DEADLINE = "deadline"  # the entry date has come (or the window's close) short of it
    TOO_EARLY = "too_early"  # the window opened too recently to judge a pace: no verdict
    NOT_OPEN = "not_open"  # the window has not opened yet: no verdict
    NO_TARGET = "no_target"  # no target rank set: no verdict

    BEHIND = (UNITS_BEHIND, REVIEW_BEHIND, BOTH_BEHIND, DEADLINE)


@dataclass(frozen=True)
class OnTrack:
    target: str | None
    target_points: Decimal | None  # the target band's lower bound
    verified: Decimal
    potential: Decimal
    awaiting_review: Decimal  # potential - verified: what the review queue may still add
    still_needed: Decimal | None  # verified points missing for the target
    deadline: datetime.date  # of the verified points: the entry (the window's close if none)
    days_left: int  # until `deadline`: 0 on the day, negative once it has passed
    needed_per_week: Decimal | None  # verified a week still needed; None when no week is left
    recent_per_week: Decimal | None  # the last RECENT_DAYS days' verified pace; None once past
    recent_since: datetime.date  # the day the recent paces are measured from
    verdict: str
    units_deadline: datetime.date | None = None  # the window's close
    units_days_left: int = 0
    units_short: Decimal | None = None  # missing for the target even if all waiting is approved
    units_needed_per_week: Decimal | None = None
    units_recent_per_week: Decimal | None = None  # the last RECENT_DAYS days' submitted pace
    judged_from: datetime.date | None = None  # no pace verdict before this day

    @property
    def on_track(self) -> bool | None:
        """True on track, False behind, None when there is nothing to judge."""
        if self.verdict in (Verdict.REACHED, Verdict.ON_PACE):
            return True
        if self.verdict in Verdict.BEHIND:
            return False
        return None

    @property
    def units_behind(self) -> bool:
        return self.verdict in (Verdict.UNITS_BEHIND, Verdict.BOTH_BEHIND)

    @property
    def review_behind(self) -> bool:
        return self.verdict in (Verdict.REVIEW_BEHIND, Verdict.BOTH_BEHIND)

    @property
    def weeks_left(self) -> Decimal:
        return _q2(Decimal(max(self.days_left, 0)) / WEEK)


def recent_since(*, today: datetime.date, window_opens: datetime.date) -> datetime.date:
    """The day whose closing totals the recent paces start from: RECENT_DAYS days ago, or the
    eve of the window's opening when it opened more recently."""
    open_for = (today - window_opens).days + 1  # the opening day counts
    return today - datetime.timedelta(days=min(RECENT_DAYS, max(open_for, 1)))


def judged_from(*, window_opens: datetime.date, window_closes: datetime.date) -> datetime.date:
    """The first day a pace is judged: a quarter of the window and at least RECENT_DAYS days
    after it opened (the opening day counts as the first)."""
    length = (window_closes - window_opens).days + 1
    quiet = max(RECENT_DAYS, math.ceil(QUIET_SHARE * length))
    return window_opens + datetime.timedelta(days=quiet)


def days_until(deadline: datetime.date, today: datetime.date) -> int:
    """Days left until `deadline`: 0 on the day itself, negative once it has passed. The one
    count of days left (Period.days_left, the verdict, the WhatsApp summary)."""
    return (deadline - today).days


def _per_week(amount: Decimal, days: int) -> Decimal | None:
    return _q2(amount / (Decimal(days) / WEEK)) if amount and days > 0 else None


def on_track(
    *,
    target: str | None,
    target_points: Decimal | None,
    verified: Decimal,
    potential: Decimal,
    window_opens: datetime.date,
    window_closes: datetime.date,
    today: datetime.date,
    verified_before: Decimal,
    entry_date: datetime.date | None = None,
    potential_before: Decimal | None = None,
) -> OnTrack:
    """The verdict on `today`. `verified_before` and `potential_before` are the totals at the
    end of the day `recent_since` gives (0 before anything was verified; `potential_before`
    None when unknown: the units' pace is then taken as the verified one's)."""
    verified, potential = _q2(verified), _q2(potential)
    deadline = max(entry_date or window_closes, window_closes)
    days_left = days_until(deadline, today)
    units_days_left = days_until(window_closes, today)
    since = recent_since(today=today, window_opens=window_opens)
    span = (today - since).days
    # Once a deadline has passed no pace is asked of that end: a fortnight after says nothing.
    recent = _q2((verified - _q2(verified_before)) / span * WEEK) if days_left >= 0 else None
    start = verified_before if potential_before is None else potential_before
    units_recent = _q2((potential - _q2(start)) / span * WEEK) if units_days_left >= 0 else None
    awaiting = max(ZERO, potential - verified)
    still_needed = needed = units_short = units_needed = None
    if target_points is not None:
        still_needed = max(ZERO, _q2(target_points - verified))
        needed = _per_week(still_needed, days_left)
        units_short = max(ZERO, _q2(target_points - potential))
        units_needed = _per_week(units_short, units_days_left)
    first_day = judged_from(window_opens=window_opens, window_closes=window_closes)
    if target_points is None:
        verdict = Verdict.NO_TARGET
    elif not still_needed:
        verdict = Verdict.REACHED
    elif today < window_opens:
        verdict = Verdict.NOT_OPEN
    elif needed is None:
        verdict = Verdict.DEADLINE
    elif today < first_day:
        verdict = Verdict.TOO_EARLY
    else:
        units_ok = not units_short or (
            units_needed is not None and units_recent is not None and units_recent >= units_needed
        )
        # An empty queue is not behind: the review can only verify what was submitted.
        review_ok = recent >= needed or not awaiting
        verdict = {
            (True, True): Verdict.ON_PACE,
            (True, False): Verdict.REVIEW_BEHIND,
            (False, True): Verdict.UNITS_BEHIND,
            (False, False): Verdict.BOTH_BEHIND,
        }[(units_ok, review_ok)]
    return OnTrack(
        target=target,
        target_points=target_points,
        verified=verified,
        potential=potential,
        awaiting_review=awaiting,
        still_needed=still_needed,
        deadline=deadline,
        days_left=days_left,
        needed_per_week=needed,
        recent_per_week=recent,
        recent_since=since,
        verdict=verdict,
        units_deadline=window_closes,
        units_days_left=units_days_left,
        units_short=units_short,
        units_needed_per_week=units_needed,
        units_recent_per_week=units_recent,
        judged_from=first_day,
    )
