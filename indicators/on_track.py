"""Are we on track for the target? The rule, written once, pure: dates and Decimals in, a plain
record out (the Bupati's page and the PDF report read the same record).

    still needed     = target's lower bound - verified (never below 0)
    needed per week  = still needed / (days left / 7)
    recent per week  = verified gained over the last RECENT_DAYS days / RECENT_DAYS * 7
    on track         = target reached, or (days left and recent per week >= needed per week)

Verified points only: what the secretariat has checked is what counts at the ministry. The
deadline is the last day of the self-assessment window; on that day and after it, only a
target already reached is on track. Nothing here touches the database.
"""

import datetime
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

RECENT_DAYS = 14
WEEK = Decimal(7)
ZERO = Decimal("0.00")
CENT = Decimal("0.01")


def _q2(value: Decimal) -> Decimal:
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


class Verdict:
    """Why the record says what it says: a key the pages turn into words."""

    REACHED = "reached"  # verified at or above the target: on track
    ON_PACE = "on_pace"  # the last two weeks' pace, kept up, reaches it: on track
    TOO_SLOW = "too_slow"  # behind
    DEADLINE = "deadline"  # the window has closed (or closes today) short of it: behind
    NOT_OPEN = "not_open"  # the window has not opened yet: no verdict
    NO_TARGET = "no_target"  # no target rank set: no verdict


@dataclass(frozen=True)
class OnTrack:
    target: str | None
    target_points: Decimal | None  # the target band's lower bound
    verified: Decimal
    potential: Decimal
    awaiting_review: Decimal  # potential - verified: what the review queue may still add
    still_needed: Decimal | None  # verified points missing for the target
    deadline: datetime.date
    days_left: int  # 0 on the last day, negative once the window has closed
    needed_per_week: Decimal | None  # None when no week is left or nothing is needed
    recent_per_week: Decimal | None  # the last RECENT_DAYS days' pace; None once closed
    recent_since: datetime.date  # the day the recent pace is measured from
    verdict: str

    @property
    def on_track(self) -> bool | None:
        """True on track, False behind, None when there is nothing to judge."""
        if self.verdict in (Verdict.REACHED, Verdict.ON_PACE):
            return True
        if self.verdict in (Verdict.TOO_SLOW, Verdict.DEADLINE):
            return False
        return None

    @property
    def weeks_left(self) -> Decimal:
        return _q2(Decimal(max(self.days_left, 0)) / WEEK)


def recent_since(*, today: datetime.date, window_opens: datetime.date) -> datetime.date:
    """The day whose closing verified total the recent pace starts from: RECENT_DAYS days ago,
    or the eve of the window's opening when it opened more recently."""
    open_for = (today - window_opens).days + 1  # the opening day counts
    return today - datetime.timedelta(days=min(RECENT_DAYS, max(open_for, 1)))


def days_until(deadline: datetime.date, today: datetime.date) -> int:
    """Days left until `deadline`: 0 on the day itself, negative once it has passed. The one
    count of days left (Period.days_left, the verdict, the WhatsApp summary)."""
    return (deadline - today).days


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
) -> OnTrack:
    """The verdict on `today`. `verified_before` is the verified total at the end of the day
    `recent_since` gives (0 before anything was verified)."""
    verified, potential = _q2(verified), _q2(potential)
    days_left = days_until(window_closes, today)
    since = recent_since(today=today, window_opens=window_opens)
    span = (today - since).days
    # Once the window has closed no pace is asked for: a fortnight after it says nothing.
    recent = _q2((verified - _q2(verified_before)) / span * WEEK) if days_left >= 0 else None
    still_needed = needed = None
    if target_points is not None:
        still_needed = max(ZERO, _q2(target_points - verified))
        if still_needed and days_left > 0:
            needed = _q2(still_needed / (Decimal(days_left) / WEEK))
    if target_points is None:
        verdict = Verdict.NO_TARGET
    elif not still_needed:
        verdict = Verdict.REACHED
    elif today < window_opens:
        verdict = Verdict.NOT_OPEN
    elif needed is None:
        verdict = Verdict.DEADLINE
    else:
        verdict = Verdict.ON_PACE if recent is not None and recent >= needed else Verdict.TOO_SLOW
    return OnTrack(
        target=target,
        target_points=target_points,
        verified=verified,
        potential=potential,
        awaiting_review=max(ZERO, potential - verified),
        still_needed=still_needed,
        deadline=window_closes,
        days_left=days_left,
        needed_per_week=needed,
        recent_per_week=recent,
        recent_since=since,
        verdict=verdict,
    )
