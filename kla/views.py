"""The task force's own pages: the home router and the role home pages."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render

from indicators import selectors as instrument
from kla import access
from opd import selectors as opd_selectors
from opd.models import Profile

_HOME_BY_ROLE = {
    Profile.Role.OPD: "opd:workspace",
    Profile.Role.SECRETARIAT: "secretariat-home",
    Profile.Role.ADMIN: "secretariat-home",
    Profile.Role.EXECUTIVE: "executive-home",
}


@login_required
def home(request):
    """Send each user to the home page of their role."""
    target = _HOME_BY_ROLE.get(access.role_of(request.user))
    if target is None:
        raise PermissionDenied
    return redirect(target)


@access.secretariat_required
def secretariat_home(request):
    period = instrument.period_current()
    context = {"period": period, "periods": instrument.period_list()}
    if period is not None:
        context["counts"] = instrument.instrument_counts(period=period)
        context["units"] = list(opd_selectors.unit_assignment_counts(period=period))
        context["orphans"] = list(opd_selectors.questions_without_lead(period=period)[:20])
    return render(request, "kla/secretariat_home.html", context)


@access.readers_required
def executive_home(request):
    period = instrument.period_current()
    context = {"period": period, "periods": instrument.period_list()}
    if period is not None:
        context["counts"] = instrument.instrument_counts(period=period)
        context["groups"] = list(instrument.instrument_tree(period=period))
    return render(request, "kla/executive_home.html", context)
