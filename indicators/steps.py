"""A percentage question's steps: the share of kecamatan or desa (percent) -> points.

Indicators 25 and 26 ask "berapa persentase kecamatan/desa yang ...", and the ministry scores
the share in steps set by the year's juknis (0.25, 0.4, 0.75, 0.8 of the maximum in real
results), not as the straight share. A question's steps are stored as
[[lowest share in percent, points], ...] (text decimals, the lowest share first, beginning at
0): each step holds the shares from its lower bound up to the next step's. The engine reads
them as Decimal pairs (indicators.scoring.QuestionInput.steps).

Written by people in two forms, both read here and nowhere else:
  ranges  "0-25: 0,75; 25-50: 1,5; 50-75: 2,25; 75-100: 3"  (from inclusive, to exclusive;
          the last holds 100; "100-100" is all units alone): a range that leaves a share out
          or overlaps another is refused;
  pairs   [[0, 0.75], [25, 1.5], ...] or [{"from": 0, "to": 25, "points": 0.75}, ...] (JSON).
No database here: the importer and Question.clean() both call `parse_steps`.
"""

from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _

ZERO = Decimal("0")
HUNDRED = Decimal("100")
CENT = Decimal("0.01")


def _number(value, problems: list[str], where: str) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, (int, float, str, Decimal)):
        problems.append(
            _("%(where)s: “%(value)s” is not a number.") % {"where": where, "value": value}
        )
        return None
    try:
        number = Decimal(str(value).strip().replace(",", "."))
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite():
        problems.append(
            _("%(where)s: “%(value)s” is not a number.") % {"where": where, "value": value}
        )
        return None
    return number


def _items(value, where: str, problems: list[str]) -> list[tuple]:
    """(from, to or None, points) per step, as written, from text or a JSON list."""
    items = []
    if isinstance(value, str):
        for part in (p.strip() for p in value.split(";")):
            if not part:
                continue
            bounds, sep, points = part.rpartition(":")
            low, dash, high = bounds.partition("-")
            if not sep or not low.strip():
                problems.append(
                    _("%(where)s: write each step as from-to: points, got “%(part)s”.")
                    % {"where": where, "part": part}
                )
                continue
            items.append((low, high if dash else None, points))
        return items
    if not isinstance(value, list):
        problems.append(_("%(where)s: a list is expected.") % {"where": where})
        return []
    for item in value:
        if isinstance(item, dict):
            items.append((item.get("from"), item.get("to"), item.get("points")))
        elif isinstance(item, (list, tuple)) and len(item) == 2:
            items.append((item[0], None, item[1]))
        else:
            problems.append(
                _("%(where)s: each step is [lowest share %%, points], got “%(item)s”.")
                % {"where": where, "item": item}
            )
    return items


def parse_steps(value, max_points: Decimal, where: str) -> tuple[list[list[str]], list[str]]:
    """The stored form ([[lower, points], ...], text decimals) of `value` and the problems
    found (in the active language, each naming `where`); none written when there are
    problems. Blank means no steps: the straight share."""
    problems: list[str] = []
    if value is None or value == [] or (isinstance(value, str) and not value.strip()):
        return [], problems
    read = []
    for low, high, points in _items(value, where, problems):
        numbers = (
            _number(low, problems, where),
            None if high in (None, "") else _number(high, problems, where),
            _number(points, problems, where),
        )
        if (
            numbers[0] is None
            or numbers[2] is None
            or (high not in (None, "") and numbers[1] is None)
        ):
            continue
        read.append(numbers)
    if problems:
        return [], problems
    if not read:
        return [], [_("%(where)s: the step table is empty.") % {"where": where}]
    steps = _checked(read, Decimal(max_points), where, problems)
    return (steps if not problems else []), problems


def _pct(value: Decimal) -> str:
    from core.formats import points

    return points(value, 0 if value == value.to_integral_value() else 2) + "%"


def _checked(read: list[tuple], maximum: Decimal, where: str, problems: list[str]) -> list:
    """Coverage, order and points of the steps as written; the stored form."""

    def problem(message: str, **values) -> None:
        problems.append(f"{where}: " + message % values)

    ranges = any(high is not None for _low, high, _points in read)
    if read[0][0] > ZERO:
        problem(
            _("shares below %(low)s are not covered (the first step must start at 0%%)."),
            low=_pct(read[0][0]),
        )
    previous = None
    for index, (low, high, points) in enumerate(read):
        if low < ZERO or low > HUNDRED or (high is not None and (high < ZERO or high > HUNDRED)):
            problem(
                _("a share must lie between 0%% and 100%%, got %(low)s."),
                low=_pct(low if low < ZERO or low > HUNDRED else high),
            )
            continue
        if high is not None and high <= low and not low == high == HUNDRED:
            problem(
                _("the step %(low)s–%(high)s ends before it starts."),
                low=_pct(low),
                high=_pct(high),
            )
        if points < ZERO or points > maximum:
            problem(
                _("the step from %(low)s is worth %(points)s, not within 0 to %(max)s."),
                low=_pct(low),
                points=points,
                max=maximum,
            )
        if previous is not None:
            p_low, p_high, p_points = previous
            end = p_high if p_high is not None else low
            if low < end or low <= p_low:
                problem(
                    _("the steps from %(a)s and from %(b)s overlap."), a=_pct(p_low), b=_pct(low)
                )
            elif ranges and low > end:
                problem(_("shares from %(a)s to %(b)s are not covered."), a=_pct(end), b=_pct(low))
            if points < p_points:
                problem(
                    _("the step from %(low)s is worth less than the step before it."), low=_pct(low)
                )
        previous = (low, high, points)
        if index == len(read) - 1 and ranges and (high or HUNDRED) < HUNDRED:
            problem(_("shares from %(a)s to 100%% are not covered."), a=_pct(high))
    return [[_text(low), str(points.quantize(CENT))] for low, _high, points in read]


def _text(value: Decimal) -> str:
    """25, 12.5, 2.50: a whole share without decimals (not 1E+2), points as quantized."""
    return format(value.normalize(), "f") if value == value.to_integral_value() else str(value)


def as_decimals(stored) -> tuple[tuple[Decimal, Decimal], ...]:
    """The stored steps as the engine reads them."""
    return tuple((Decimal(str(low)), Decimal(str(points))) for low, points in stored or ())


def as_ranges(stored) -> str:
    """The stored steps in the ranges form people write ("0-25: 0.75; 25-100: 3"): what the
    instrument template exports, and reads back to the same steps."""
    steps = as_decimals(stored)
    parts = []
    for index, (low, points) in enumerate(steps):
        high = steps[index + 1][0] if index + 1 < len(steps) else HUNDRED
        parts.append(f"{_text(low)}-{_text(high)}: {points}")
    return "; ".join(parts)
