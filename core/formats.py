"""How numbers, percentages and dates are written for people: the one place.

Points have grouped thousands and two decimals in the active language (1.000,00 in
Indonesian, 1,000.00 in English); a whole bound may drop its decimals (701); percentages
have none unless asked (45%, 45,5%); days are written out (31 Maret 2027). Pages (through
the `points`, `percent`, `share` and `day` filters, which every template has), mail, the PDF report,
the charts, the workbooks' labels and the WhatsApp summary all use these functions; nothing
else formats a number for people. A number inside a workbook cell stays a number (the cell's
format shows it); these are for text.
"""

import datetime
from decimal import Decimal, InvalidOperation

from django.utils import formats
from django.utils.translation import gettext as _

NOTHING = "—"


def _decimal(value) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def points(value, places: int = 2) -> str:
    """Points as people read them: 1.234,50 in Indonesian; "—" for none. Text that is not a
    number is returned as it is (values read back from the audit trail)."""
    number = _decimal(value)
    if number is None:
        return NOTHING if value is None or value == "" else str(value)
    return formats.number_format(number, places, use_l10n=True, force_grouping=True)


def bound(value) -> str:
    """A band's lower bound or a target: 701, not 701,00; 600,50 stays."""
    number = _decimal(value)
    if number is None:
        return points(value)
    return points(number, 0 if number == number.to_integral_value() else 2)


def percent(value, places: int = 0) -> str:
    """A percentage: 45% (places=1: 45,5%)."""
    number = _decimal(value)
    if number is None:
        return NOTHING
    return f"{formats.number_format(number, places, use_l10n=True, force_grouping=True)}%"


def share(yes, of) -> str:
    """A per-unit question's share as people read it: "10 dari 13 (76,9%)"; the percentage
    has a decimal unless it is whole (a step's bound is often 25%, 75%)."""
    if of in (None, 0) or yes is None:
        return NOTHING
    ratio = Decimal(yes) * 100 / Decimal(of)
    rounded = ratio.quantize(Decimal("0.1"))
    text = percent(rounded, 0 if rounded == rounded.to_integral_value() else 1)
    return _("%(yes)s of %(of)s (%(percent)s)") % {"yes": yes, "of": of, "percent": text}


def day(value: datetime.date | None) -> str:
    """A day written out in the active language: 31 Maret 2027."""
    if value is None:
        return NOTHING
    if isinstance(value, datetime.datetime):
        value = value.date()
    return formats.date_format(value, "j F Y")
