"""Secretariat pages: the audit trail (read-only) and deadline extensions."""

import csv

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from core import formats as fmt
from core.errors import DomainError
from core.forms import DayInput
from indicators import selectors as instrument
from indicators.models import Period
from kla import whatsapp
from kla.reports.common import JAKARTA
from opd import access, selectors, services
from opd.audit import audit_summary, client_ip
from opd.deadlines import unit_deadline, unit_deadlines
from opd.models import AuditEvent, Unit
from opd.notices import whatsapp_share_link


class AuditFilterForm(forms.Form):
    period = forms.TypedChoiceField(
        label=gettext_lazy("Period"), required=False, coerce=int, empty_value=None
    )
    unit = forms.TypedChoiceField(
        label=gettext_lazy("Unit"), required=False, coerce=int, empty_value=None
    )
    action = forms.ChoiceField(label=gettext_lazy("Action"), required=False)
    actor = forms.CharField(label=gettext_lazy("User"), required=False, max_length=150)
    date_from = forms.DateField(label=gettext_lazy("From"), required=False, widget=DayInput())
    date_to = forms.DateField(label=gettext_lazy("Until"), required=False, widget=DayInput())

    def __init__(self, *args, periods, units, **kwargs):
        super().__init__(*args, **kwargs)
        everything = [("", _("All"))]
        self.fields["period"].choices = everything + [(str(p.pk), str(p.year)) for p in periods]
        self.fields["unit"].choices = everything + [(str(pk), name) for pk, name in units]
        self.fields["action"].choices = everything + list(AuditEvent.Action.choices)


@access.secretariat_required
@require_GET
def audit_trail(request):
    form = AuditFilterForm(
        request.GET or None,
        periods=list(Period.objects.order_by("-year").only("pk", "year")),
        units=list(Unit.objects.order_by("short_name").values_list("pk", "short_name")),
    )
    filters = {}
    if request.GET and not form.is_valid():
        messages.error(request, _("Some filters were not understood and are ignored."))
    elif form.is_bound:
        data = form.cleaned_data
        filters = {
            "period_id": data["period"],
            "unit_id": data["unit"],
            "action": data["action"] or None,
            "actor": data["actor"] or None,
            "date_from": data["date_from"],
            "date_to": data["date_to"],
        }
    events = selectors.audit_events(**filters)
    if request.GET.get("format") == "csv":
        return _csv(events)
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request, "kla/audit_trail.html", {"form": form, "page": page, "query": query.urlencode()}
    )


# A spreadsheet opening the CSV treats a cell that starts with one of these as a formula
# (tab and carriage return too, as OWASP's CSV-injection advice lists them). Summaries, user
# and unit names are typed by people, so any cell could carry one.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value) -> str:
    """A cell as text no spreadsheet runs: formula-like text gets a leading apostrophe."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_TRIGGERS) else text


def _csv(events) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="jejak-audit.csv"'
    writer = csv.writer(response)

    def write(cells):
        writer.writerow([csv_cell(cell) for cell in cells])

    # The same column names as the page, in the reader's language.
    write([_("When"), _("Who"), _("What"), _("Unit"), _("Question"), _("Summary"), _("Address")])
    for e in events.iterator(chunk_size=500):
        question = e.answer.question if e.answer else None
        # Jakarta time with its offset (+07:00, WIB) written out, so a copy read elsewhere or
        # by a program is never taken for UTC or the reader's own zone.
        write(
            [
                e.created_at.astimezone(JAKARTA).isoformat(sep=" ", timespec="seconds"),
                e.actor.get_username() if e.actor else "",
                e.get_action_display(),
                e.unit.short_name if e.unit else "",
                f"{question.indicator.code} / {question.code}" if question else "",
                audit_summary(e),
                e.ip_address or "",
            ]
        )
    return response


class ExtensionForm(forms.Form):
    unit = forms.TypedChoiceField(label=gettext_lazy("Unit"), coerce=int)
    until = forms.DateField(label=gettext_lazy("Until (inclusive)"), widget=DayInput())
    reason = forms.CharField(label=gettext_lazy("Reason"), required=False, max_length=500)

    def __init__(self, *args, units, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].choices = [(str(u.pk), u.name) for u in units]


@access.secretariat_required
@require_http_methods(["GET", "POST"])
def extensions(request):
    period = instrument.period_current()
    units = (
        list(
            Unit.objects.filter(assignments__question__indicator__group__period=period)
            .distinct()
            .order_by("name")
        )
        if period
        else []
    )
    # Bound on every POST, even an empty one (`request.POST or None` would leave an empty
    # POST unbound: no errors, the form silently shown again as if nothing had been sent).
    form = ExtensionForm(request.POST if request.method == "POST" else None, units=units)
    if request.method == "POST" and period is not None:
        if form.is_valid():
            unit = next(u for u in units if u.pk == form.cleaned_data["unit"])
            try:
                services.extension_grant(
                    period=period,
                    unit=unit,
                    until=form.cleaned_data["until"],
                    reason=form.cleaned_data["reason"],
                    user=request.user,
                    ip=client_ip(request),
                )
            except DomainError as error:
                form.add_error(None, error.message)
            else:
                messages.success(
                    request,
                    _("%(unit)s may change answers until %(day)s.")
                    % {"unit": unit.name, "day": fmt.day(form.cleaned_data["until"])},
                )
                return redirect("kla:extensions")
        else:
            messages.error(request, _("Nothing was changed: correct the marked fields."))
    deadlines = unit_deadlines(period=period, units=units) if period else []
    return render(
        request,
        "kla/extensions.html",
        {"period": period, "form": form, "deadlines": deadlines},
    )


class UnitExtensionForm(forms.Form):
    """An extension for one unit, chosen already (the dashboard's row, the answer page)."""

    until = forms.DateField(
        label=gettext_lazy("Until (inclusive)"),
        widget=DayInput(),
    )
    reason = forms.CharField(label=gettext_lazy("Reason"), required=False, max_length=500)
    next = forms.CharField(required=False, widget=forms.HiddenInput)


def _back(request, raw: str | None, fallback: str) -> str:
    """Where the form came from (the dashboard, an answer): a path on this site, else
    `fallback`."""
    if (
        raw
        and raw.startswith("/")
        and url_has_allowed_host_and_scheme(
            raw, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
    ):
        return raw
    return fallback


def _granted_message(*, unit, until, before) -> str:
    """The confirmation names the new last day (and the one it replaces)."""
    return _("%(unit)s may change answers until %(day)s (before: %(before)s).") % {
        "unit": unit.name,
        "day": fmt.day(until),
        "before": fmt.day(before),
    }


@access.secretariat_required
@require_http_methods(["GET", "POST"])
def unit_extension(request, year: int, unit_id: int):
    """Grant one unit an extension, from its row on the dashboard or from an answer page,
    through opd.services.extension_grant; then back where the form came from."""
    period = access.period_for_user(request.user, year=year)
    unit = get_object_or_404(
        Unit.objects.filter(assignments__question__indicator__group__period=period).distinct(),
        pk=unit_id,
    )
    fallback = reverse("kla:secretariat-home") + f"?year={period.year}#units"
    before = unit_deadline(period=period, unit=unit)
    form = UnitExtensionForm(
        request.POST if request.method == "POST" else None,
        initial={"next": request.GET.get("next", "")},
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.extension_grant(
                    period=period,
                    unit=unit,
                    until=form.cleaned_data["until"],
                    reason=form.cleaned_data["reason"],
                    user=request.user,
                    ip=client_ip(request),
                )
            except DomainError as error:
                form.add_error("until", error.message)
                status = 409
            else:
                messages.success(
                    request,
                    _granted_message(unit=unit, until=form.cleaned_data["until"], before=before),
                )
                return redirect(_back(request, form.cleaned_data["next"], fallback))
        else:
            status = 400
        messages.error(request, _("Nothing was changed: correct the marked fields."))
    return render(
        request,
        "kla/unit_extension.html",
        {
            "period": period,
            "unit": unit,
            "form": form,
            "deadline": before,
            "back": _back(request, form["next"].value(), fallback),
        },
        status=status,
    )


@access.secretariat_required
@require_GET
def whatsapp_summary(request):
    """The progress as a message for the task force's WhatsApp group, to copy or share."""
    period, periods = access.period_choice(request.user, year=request.GET.get("year"))
    text = whatsapp.whatsapp_summary(period=period) if period else ""
    return render(
        request,
        "kla/whatsapp_summary.html",
        {
            "period": period,
            "periods": periods,
            "text": text,
            "share_url": whatsapp_share_link(text) if text else "",
        },
    )
