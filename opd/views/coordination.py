"""A cluster coordinator's pages: the cluster's answers per unit, and returning an answer to
its unit with a note or marking it checked, before the secretariat reviews it. Thin views:
access (opd.access) -> form -> service -> message -> redirect."""

from django.contrib import messages
from django.http import HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from core.errors import DomainError
from opd import access, selectors, services
from opd.audit import client_ip
from opd.forms import ClusterFilterForm, CoordinatorReturnForm, VersionedForm
from opd.models import Answer
from opd.views.answers import _answer_url, _version, post_or_back_to_answer


@access.login_required
def cluster_page(request, group_id: int):
    """The cluster's questions by unit with their states, filterable; per unit, how far it
    is. Its coordinator's members, the secretariat and the executives."""
    group = access.cluster_for_user(request.user, group_id=group_id)
    if request.method != "GET":  # access first: outsiders never learn which methods it takes
        return HttpResponseNotAllowed(["GET"])
    labels = {selectors.CLUSTER_STATES[0]: _("Not started"), **dict(Answer.Status.choices)}
    states = [(s, str(labels[s])) for s in selectors.CLUSTER_STATES]
    progress = selectors.cluster_progress(group=group)
    form = ClusterFilterForm(request.GET or None, states=states, units=progress.unit_choices)
    if form.is_bound and form.is_valid():
        status, unit_id = form.cleaned_data["status"], form.cleaned_data["unit"]
        if status or unit_id:
            progress = selectors.cluster_progress(group=group, status=status, unit_id=unit_id)
    elif form.is_bound:
        messages.error(request, _("Some filters were not understood and are ignored."))
    return render(
        request,
        "opd/cluster.html",
        {
            "group": group,
            "period": group.period,
            "progress": progress,
            "form": form,
            "states": selectors.CLUSTER_STATES,
            "is_coordinator": group.pk in access.coordinated_group_ids(request.user),
        },
    )


def _coordinator_action(request, question_id, unit_id, form, run, done: str):
    acc = access.coordinator_answer_for_user(request.user, question_id=question_id, unit_id=unit_id)
    if not form.is_valid():
        messages.error(request, _("Nothing was changed: write a note for the unit."))
        return redirect(_answer_url(question_id, unit_id))
    try:
        run(acc.answer, form)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, done)
    return redirect(_answer_url(question_id, unit_id))


@post_or_back_to_answer
@access.login_required
def answer_coordinator_return(request, question_id: int, unit_id: int):
    def run(answer, form):
        services.answer_coordinator_return(
            answer=answer,
            user=request.user,
            note=form.cleaned_data["note"],
            expected_version=_version(form),
            ip=client_ip(request),
        )

    return _coordinator_action(
        request,
        question_id,
        unit_id,
        CoordinatorReturnForm(request.POST),
        run,
        _("Returned to the unit with your note; its people are notified by email."),
    )


@post_or_back_to_answer
@access.login_required
def answer_coordinator_check(request, question_id: int, unit_id: int):
    def run(answer, form):
        services.answer_coordinator_check(
            answer=answer,
            user=request.user,
            expected_version=_version(form),
            ip=client_ip(request),
        )

    return _coordinator_action(
        request,
        question_id,
        unit_id,
        VersionedForm(request.POST),
        run,
        _("Marked as checked: the secretariat's queue shows it."),
    )
