"""The secretariat manages periods: the window, the target, and locking when it is over."""

from decimal import Decimal

from django import forms
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from core.errors import DomainError
from core.forms import DayInput
from indicators import identity
from indicators import selectors as instrument
from indicators.models import Period, Question, QuestionPair
from opd import access, carry_over, services
from opd.audit import client_ip
from opd.forms import PointsField
from opd.selectors import unit_shortfall


class PeriodForm(forms.Form):
    window_opens = forms.DateField(label=gettext_lazy("Self-assessment opens"), widget=DayInput())
    window_closes = forms.DateField(
        label=gettext_lazy("Self-assessment closes"),
        widget=DayInput(),
    )
    entry_date = forms.DateField(
        label=gettext_lazy("Entry into the ministry's application"),
        required=False,
        widget=DayInput(),
    )
    target_rank = forms.ChoiceField(label=gettext_lazy("Target rank"), required=False)

    def __init__(self, *args, bands, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["target_rank"].choices = [("", "—")] + [(b.name, b.name) for b in bands]


class OfficialResultForm(forms.Form):
    entered_on = forms.DateField(
        label=gettext_lazy("Entered into the ministry's application on"),
        required=False,
        widget=DayInput(),
    )
    provincial_notes = forms.CharField(
        label=gettext_lazy("Provincial verification notes"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    field_verification_on = forms.DateField(
        label=gettext_lazy("Field verification on"),
        required=False,
        widget=DayInput(),
    )
    field_verification_team = forms.CharField(
        label=gettext_lazy("Field verification team"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    field_verification_findings = forms.CharField(
        label=gettext_lazy("Field verification findings"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    final_score = PointsField(
        label=gettext_lazy("Final score"),
        required=False,
        min_value=Decimal("0"),
        max_value=Decimal("1000"),
        max_digits=7,
        decimal_places=2,
        localize=True,
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
    )
    final_rank = forms.ChoiceField(
        label=gettext_lazy("Final rank"),
        required=False,
        help_text=gettext_lazy("Left empty, it follows the final score on the period's bands."),
    )

    def __init__(self, *args, bands, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["final_rank"].choices = [("", "—")] + [(b.name, b.name) for b in bands]


class ScoringForm(forms.Form):
    """What the engine reads of the district and the year (opd.services.period_scoring_set)."""

    official_kecamatan = forms.IntegerField(
        label=gettext_lazy("Official number of kecamatan"),
        required=False,
        min_value=1,
        max_value=32767,
        help_text=gettext_lazy(
            "The denominator of a question every kecamatan answers; empty: the registered ones."
        ),
    )
    official_desa = forms.IntegerField(
        label=gettext_lazy("Official number of desa/kelurahan"),
        required=False,
        min_value=1,
        max_value=32767,
        help_text=gettext_lazy(
            "The denominator of a question every desa answers; empty: the registered ones."
        ),
    )
    rounding = forms.ChoiceField(
        label=gettext_lazy("Rounding"), choices=Period.Rounding.choices, required=True
    )


def _period(request, year):
    return access.period_for_user(request.user, year=year, periods=instrument.period_list())


@access.secretariat_required
@require_http_methods(["GET", "POST"])
def period_edit(request, year: int):
    period = _period(request, year)
    bands = list(period.rank_bands.all())
    initial = {
        "window_opens": period.window_opens,
        "window_closes": period.window_closes,
        "entry_date": period.entry_date,
        "target_rank": period.target_rank,
    }
    form = PeriodForm(request.POST or None, initial=initial, bands=bands)
    if request.method == "POST" and form.is_valid():
        try:
            services.period_update_window(
                period=period, user=request.user, ip=client_ip(request), **form.cleaned_data
            )
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("Period %(year)s saved.") % {"year": year})
            return redirect("kla:period-edit", year=year)
    return _render_period(request, period, bands=bands, form=form)


def _render_period(
    request, period, *, bands, form=None, official_form=None, scoring_form=None, status=200
):
    """The period page; a form given is shown as it was sent, with its errors."""
    official = getattr(period, "official", None)
    if scoring_form is None:
        scoring_form = ScoringForm(initial={f: getattr(period, f) for f in ScoringForm.base_fields})
    if form is None:
        form = PeriodForm(
            initial={f: getattr(period, f) for f in PeriodForm.base_fields}, bands=bands
        )
    if official_form is None:
        official_form = OfficialResultForm(
            initial={f: getattr(official, f) for f in OfficialResultForm.base_fields}
            if official
            else None,
            bands=bands,
        )
    return render(
        request,
        "kla/period_edit.html",
        {
            "period": period,
            "form": form,
            "bands": bands,
            "official_form": official_form,
            "official": official,
            "internal": instrument.final_internal_score(period=period),
            "scoring_form": scoring_form,
            "shortfall": unit_shortfall(period=period),
        },
        status=status,
    )


@access.secretariat_required
@require_POST
def period_scoring(request, year: int):
    """The official numbers of kecamatan and desa and the rounding (post-redirect-get)."""
    period = _period(request, year)
    form = ScoringForm(request.POST)
    if form.is_valid():
        try:
            services.period_scoring_set(
                period=period, user=request.user, ip=client_ip(request), **form.cleaned_data
            )
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("Scoring of %(year)s saved.") % {"year": year})
            return redirect("kla:period-edit", year=year)
    messages.error(request, _("The scoring settings were not saved: check the fields."))
    bands = list(period.rank_bands.all())
    return _render_period(request, period, bands=bands, scoring_form=form, status=400)


@access.secretariat_required
@require_POST
def period_official(request, year: int):
    """Record the ministry's verdict on the year (post-redirect-get to the period page)."""
    period = _period(request, year)
    bands = list(period.rank_bands.all())
    form = OfficialResultForm(request.POST, bands=bands)
    if form.is_valid():
        try:
            services.official_result_record(
                period=period, user=request.user, ip=client_ip(request), **form.cleaned_data
            )
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("Official result of %(year)s saved.") % {"year": year})
            return redirect("kla:period-edit", year=year)
    # Shown again with what was typed and why it was refused: nothing is lost.
    messages.error(request, _("The official result was not saved: check the fields."))
    return _render_period(request, period, bands=bands, official_form=form, status=400)


@access.secretariat_required
@require_http_methods(["GET", "POST"])
def period_lock(request, year: int):
    period = _period(request, year)
    if request.method == "POST":
        try:
            services.period_lock(period=period, user=request.user, ip=client_ip(request))
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(
                request,
                _("Period %(year)s is locked: nothing in it can change now.") % {"year": year},
            )
        return redirect("kla:period-edit", year=year)
    return render(request, "kla/period_lock_confirm.html", {"period": period})


@access.secretariat_required
@require_http_methods(["GET", "POST"])
def period_status(request, year: int):
    """Open a prepared period to the units, close an open one, or reopen a closed one.
    GET asks for confirmation; locking has its own page (period_lock), being final."""
    period = _period(request, year)
    to = request.POST.get("to") or request.GET.get("to", "")
    # Locking is final and has its own page (period_lock).
    if to == period.Status.LOCKED or not period.can_move_to(to):
        messages.error(request, _("That change of status is not possible for this period."))
        return redirect("kla:period-edit", year=year)
    if request.method == "POST":
        try:
            period = services.period_move(
                period=period, to=to, user=request.user, ip=client_ip(request)
            )
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, services.period_move_message(period))
        return redirect("kla:period-edit", year=year)
    return render(
        request,
        "kla/period_status_confirm.html",
        {"period": period, "to": to, "to_label": period.Status(to).label},
    )


@access.secretariat_required
@require_http_methods(["GET", "POST"])
def period_carry_over(request, year: int):
    """Propose last year's answers and evidence to the units; GET asks first."""
    period = _period(request, year)
    if request.method == "POST":
        try:
            report = carry_over.period_carry_over(
                period=period, user=request.user, ip=client_ip(request)
            )
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(
                request,
                _(
                    "%(n)s answers proposed from %(year)s, with %(f)s files and %(l)s links "
                    "reused as they are; the units confirm each one by saving it."
                )
                % {
                    "n": report.proposed,
                    "year": report.source.year,
                    "f": report.files,
                    "l": report.links,
                },
            )
        return redirect("kla:period-edit", year=year)
    review = identity.pair_review(period)
    return render(
        request, "kla/period_carry_over_confirm.html", {"period": period, "review": review}
    )


@access.secretariat_required
@require_http_methods(["GET", "POST"])
def period_question_pairs(request, year: int):
    """Which question of this year is last year's: same text, or a pair the secretariat
    confirms here with both texts side by side (indicators.identity). POST decides a pair."""
    period = _period(request, year)
    if request.method == "POST":
        new_question = get_object_or_404(
            Question, pk=_int(request.POST.get("new")), indicator__group__period=period
        )
        old_question = get_object_or_404(Question, pk=_int(request.POST.get("old")))
        try:
            pair = services.question_pair_decide(
                new_question=new_question,
                old_question=old_question,
                decision=request.POST.get("decision", ""),
                user=request.user,
                ip=client_ip(request),
            )
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(
                request,
                (
                    _("%(new)s is last year's %(old)s: its answers will be proposed.")
                    if pair.confirmed
                    else _("%(new)s is not last year's %(old)s: nothing is carried over it.")
                )
                % {"new": new_question, "old": old_question},
            )
        return redirect("kla:period-question-pairs", year=year)
    return render(
        request,
        "kla/period_question_pairs.html",
        {
            "period": period,
            "review": identity.pair_review(period),
            "confirmed": QuestionPair.Decision.CONFIRMED,
            "rejected": QuestionPair.Decision.REJECTED,
        },
    )


def _int(value) -> int:
    return int(value) if str(value or "").isdigit() else 0
