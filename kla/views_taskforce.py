"""The task force as the Bupati's decree sets it up: the secretariat keeps the decree and the
members of a year (list, add, edit, remove with a confirmation). Thin views over
opd.services.task_force_*; POST-redirect-GET."""

from django import forms
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from core.errors import DomainError
from indicators.models import Group
from opd import access, selectors, services
from opd.audit import client_ip
from opd.models import Document, TaskForceMember, Unit


class TaskForceMemberForm(forms.Form):
    role = forms.ChoiceField(label=gettext_lazy("Role in the decree"), choices=TaskForceMember.Role)
    origin = forms.ChoiceField(
        label=gettext_lazy("Comes from"),
        choices=TaskForceMember.Origin,
        initial=TaskForceMember.Origin.AGENCY,
    )
    name = forms.CharField(label=gettext_lazy("Name"), max_length=200)
    position = forms.CharField(
        label=gettext_lazy("Position"),
        max_length=200,
        required=False,
        help_text=gettext_lazy("For example “Kepala Bappeda”."),
    )
    unit = forms.ModelChoiceField(
        label=gettext_lazy("Unit"),
        queryset=Unit.objects.filter(is_active=True).order_by("name"),
        required=False,
        help_text=gettext_lazy(
            "The agency, the Forum Anak, the business or media the member is from."
        ),
    )
    group = forms.ModelChoiceField(
        label=gettext_lazy("Cluster coordinated"),
        queryset=Group.objects.none(),
        required=False,
        help_text=gettext_lazy(
            "Only for a cluster coordinator: its unit's members read the cluster's answers."
        ),
    )

    def __init__(self, *args, period, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["group"].queryset = Group.objects.filter(period=period).order_by("order")


class DecreeForm(forms.Form):
    decree = forms.ModelChoiceField(
        label=gettext_lazy("Bupati's decree (SK)"),
        queryset=Document.objects.current().filter(kind=Document.Kind.SK).order_by("-issued_on"),
        required=False,
        help_text=gettext_lazy(
            "An SK registered in the document library; register it there first."
        ),
    )


def _page(period) -> str:
    return reverse("kla:task-force", args=[period.year])


def _member_values(form) -> dict:
    data = form.cleaned_data
    return {key: data[key] for key in ("role", "origin", "name", "position", "unit", "group")}


@access.secretariat_required
@require_http_methods(["GET", "POST"])
def task_force(request, year: int):
    """The year's task force: its decree and members; POST adds a member."""
    period = access.period_for_user(request.user, year=year)
    form = TaskForceMemberForm(request.POST or None, period=period)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                member = services.task_force_member_add(
                    period=period, user=request.user, ip=client_ip(request), **_member_values(form)
                )
            except DomainError as error:
                form.add_error(None, error.message)
                status = 409
            else:
                messages.success(request, _("Added: %(member)s.") % {"member": member})
                return redirect(_page(period))
        else:
            status = 400
        messages.error(request, _("Nothing was changed: correct the marked fields."))
    task_force, members = selectors.task_force_of(period)
    decree_form = DecreeForm(initial={"decree": task_force.decree_id if task_force else None})
    return render(
        request,
        "kla/task_force.html",
        {
            "period": period,
            "task_force": task_force,
            "members": members,
            "form": form,
            "decree_form": decree_form,
        },
        status=status,
    )


@access.secretariat_required
@require_POST
def task_force_decree(request, year: int):
    period = access.period_for_user(request.user, year=year)
    form = DecreeForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a registered SK."))
        return redirect(_page(period))
    try:
        services.task_force_decree_set(
            period=period,
            user=request.user,
            decree=form.cleaned_data["decree"],
            ip=client_ip(request),
        )
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The task force's decree is saved."))
    return redirect(_page(period))


def _member(request, pk: int) -> TaskForceMember:
    member = get_object_or_404(
        TaskForceMember.objects.select_related("task_force__period", "unit", "group"), pk=pk
    )
    # The member's year must be one the secretariat sees (it sees every year): one rule.
    access.period_for_user(request.user, year=member.task_force.period.year)
    return member


@access.secretariat_required
@require_http_methods(["GET", "POST"])
def task_force_member(request, pk: int):
    """Edit one member's row."""
    member = _member(request, pk)
    period = member.task_force.period
    initial = {
        "role": member.role,
        "origin": member.origin,
        "name": member.name,
        "position": member.position,
        "unit": member.unit_id,
        "group": member.group_id,
    }
    form = TaskForceMemberForm(request.POST or None, initial=initial, period=period)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.task_force_member_update(
                    member=member, user=request.user, ip=client_ip(request), **_member_values(form)
                )
            except DomainError as error:
                form.add_error(None, error.message)
                status = 409
            else:
                messages.success(
                    request, _("Saved: %(name)s.") % {"name": form.cleaned_data["name"]}
                )
                return redirect(_page(period))
        else:
            status = 400
        messages.error(request, _("Nothing was changed: correct the marked fields."))
    return render(
        request,
        "kla/task_force_member.html",
        {"period": period, "member": member, "form": form},
        status=status,
    )


@access.secretariat_required
@require_http_methods(["GET", "POST"])
def task_force_member_remove(request, pk: int):
    """Remove a member, after a confirmation page."""
    member = _member(request, pk)
    period = member.task_force.period
    if request.method == "POST":
        try:
            services.task_force_member_remove(
                member=member, user=request.user, ip=client_ip(request)
            )
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("Removed: %(name)s.") % {"name": member.name})
        return redirect(_page(period))
    return render(
        request, "kla/task_force_member_remove.html", {"period": period, "member": member}
    )
