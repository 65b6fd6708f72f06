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
from opd.uploads.limits import upload_limits


def _table(request, question_id: int):
    question, rows = access.table_for_user(request.user, question_id=question_id)
    return selectors.question_table(question=question, rows=rows)


def _render(request, table, form, status=200):
    return render(
        request,
        "opd/question_table.html",
        {
            "table": table,
            "form": form,
            "period": table.question.indicator.group.period,
            "groups": table.grouped(form.fields_by_unit() if form else None),
            "upload_limits": upload_limits(),  # each row the reader fills has an upload area
        },
        status=status,
    )


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
    values = [(row.unit, value, version) for row, value, version in form.row_values()]
    # A row's own button ("submit_row" = its unit) submits that row alone; every row
    # changed on the page is saved with it, so nothing chosen elsewhere is lost.
    row_unit = _submitted_row(request, form)
    report = services.table_rows_save(
        question=table.question,
        user=request.user,
        ip=client_ip(request),
        values=values,
        submit="submit" in request.POST,
        submit_unit_ids=frozenset([row_unit.pk]) if row_unit is not None else frozenset(),
    )
    if row_unit is not None and row_unit.pk not in {unit.pk for unit, _v, _n in values}:
        report.held.append(
            _("%(unit)s: choose an answer before submitting.") % {"unit": row_unit.short_name}
        )
    _say(request, report)
    if row_unit is not None:
        return redirect(_row_url(question_id, row_unit))
    return redirect(reverse("opd:question-table", args=[question_id]))


def _submitted_row(request, form):
    """The unit of the row whose own submit button was pressed, if it is one the form fills."""
    wanted = request.POST.get("submit_row", "")
    return next((row.unit for row in form.rows if str(row.unit.pk) == wanted), None)


def _row_url(question_id: int, unit) -> str:
    return reverse("opd:question-table", args=[question_id]) + f"#row-{unit.pk}"


def _say(request, report) -> None:
    """One message per outcome: rows submitted; rows saved as drafts; each row that could
    not be submitted, by name and why (kept as a draft: not also in the green "saved");
    rows not written at all."""
    if report.submitted:
        messages.success(
            request,
            _("Rows submitted for review: %(units)s.") % {"units": ", ".join(report.submitted)},
        )
    if report.saved:
        messages.success(request, _("Rows saved: %(units)s.") % {"units": ", ".join(report.saved)})
    for held in report.held:
        messages.warning(request, held)
    if report.problems:
        messages.warning(
            request, _("Not done: %(problems)s") % {"problems": "; ".join(report.problems)}
        )
    if not (report.saved or report.submitted or report.held or report.problems):
        messages.info(request, _("Nothing changed."))


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
