"""The table of a question every kecamatan or desa answers: one row per unit, filled by each
kecamatan (for itself and its desa) or by the coordinating agency, as the question says."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from opd import access, selectors, services
from opd.audit import client_ip
from opd.forms import TableRowsForm


def _table(request, question_id: int):
    question, rows = access.table_for_user(request.user, question_id=question_id)
    return selectors.question_table(question=question, rows=rows)


def _render(request, table, form, status=200):
    return render(
        request,
        "opd/question_table.html",
        {
            "table": table, "form": form, "period": table.question.indicator.group.period,
            "groups": table.grouped(form.fields_by_unit() if form else None),
        },
        status=status,
    )  # fmt: skip


@require_GET
@access.login_required
def question_table(request, question_id: int):
    table = _table(request, question_id)
    return _render(request, table, TableRowsForm(table=table) if table.may_fill_any else None)


@require_POST
@access.login_required
def question_table_save(request, question_id: int):
    table = _table(request, question_id)
    access.require(table.may_fill_any)
    form = TableRowsForm(request.POST, table=table)
    if not form.is_valid():
        # Nothing saved: the page comes back with what was chosen and why it was refused.
        return _render(request, table, form, status=400)
    report = services.table_rows_save(
        question=table.question, user=request.user, ip=client_ip(request),
        values=[(row.unit, value, version) for row, value, version in form.row_values()],
        submit="submit" in request.POST,
    )  # fmt: skip
    if report.saved:
        messages.success(request, _("Rows saved: %(units)s.") % {"units": ", ".join(report.saved)})
    if report.submitted:
        messages.success(
            request,
            _("Rows submitted for review: %(units)s.") % {"units": ", ".join(report.submitted)},
        )
    if report.problems:
        messages.warning(
            request, _("Not done: %(problems)s") % {"problems": "; ".join(report.problems)}
        )
    if not (report.saved or report.submitted or report.problems):
        messages.info(request, _("Nothing changed."))
    return redirect(reverse("opd:question-table", args=[question_id]))


@require_http_methods(["GET", "POST"])
@access.secretariat_required
def question_table_approve(request, question_id: int):
    """The secretariat approves every waiting row as answered, after seeing which."""
    table = _table(request, question_id)
    if request.method == "POST":
        report = services.table_rows_approve(
            question=table.question, user=request.user, ip=client_ip(request)
        )
        if report.approved:
            messages.success(
                request, _("Rows approved: %(units)s.") % {"units": ", ".join(report.approved)}
            )
        if report.problems:
            messages.warning(
                request, _("Not done: %(problems)s") % {"problems": "; ".join(report.problems)}
            )
        if not (report.approved or report.problems):
            messages.info(request, _("No row is waiting for review."))
        return redirect(reverse("opd:question-table", args=[question_id]))
    return render(
        request,
        "opd/question_table_approve_confirm.html",
        {"table": table, "waiting": table.waiting, "period": table.question.indicator.group.period},
    )
