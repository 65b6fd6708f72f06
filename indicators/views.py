"""Pages about the instrument itself (secretariat and executive)."""

from django.shortcuts import get_object_or_404, render

from indicators import selectors
from kla import access


@access.readers_required
def period_detail(request, year: int):
    period = get_object_or_404(selectors.period_list(), year=year)
    return render(
        request,
        "indicators/period_detail.html",
        {"period": period, "groups": selectors.instrument_tree(period=period)},
    )
