"""Pages of the answering units."""

from itertools import groupby

from django.shortcuts import render

from indicators import selectors as instrument
from kla import access
from opd import selectors


@access.opd_required
def workspace(request):
    """The questions assigned to the user's units in the current period, in instrument order."""
    period = instrument.period_current()
    units = list(selectors.units_of_user(user=request.user))
    sections = []
    if period is not None and units:
        rows = selectors.assignments_for_units(period=period, unit_ids=[u.pk for u in units])
        for group, in_group in groupby(rows, key=lambda a: a.question.indicator.group):
            indicators = [
                (indicator, list(items))
                for indicator, items in groupby(in_group, key=lambda a: a.question.indicator)
            ]
            sections.append((group, indicators))
    return render(
        request,
        "opd/workspace.html",
        {"period": period, "units": units, "sections": sections},
    )
