"""The document library: a document registered once (Perda, SK, RAD, profile, data) and
attached to as many questions as it serves, with its validity in view."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.errors import DomainError
from opd import access, evidence, risk, selectors, services
from opd.audit import client_ip
from opd.forms import DocumentAttachForm, DocumentRegisterForm
from opd.models import Unit


@require_GET
@access.login_required
def document_library(request):
    units = access.document_units(request.user)
    period, _periods = access.period_choice(request.user)
    deadline = period and period.documents_needed_until
    entries = selectors.document_library(
        unit_ids=units, deadline=deadline, today=timezone.localdate()
    )
    return render(
        request, "opd/documents.html", {"entries": entries, "period": period, "deadline": deadline}
    )


def _registering_unit(request, acc) -> Unit:
    """The unit a document is registered for: the user's unit that works on the answer, or
    the secretariat's own unit."""
    if access.is_secretariat(request.user):
        unit = Unit.objects.filter(is_secretariat=True).first()
        if unit is not None:
            return unit
    if acc.acting_unit is None:
        raise PermissionDenied
    return acc.acting_unit


@require_http_methods(["GET", "POST"])
@access.login_required
def document_register(request, revision_id: int):
    revision, acc = access.revision_for_user(request.user, revision_id=revision_id)
    unit = _registering_unit(request, acc)
    renewable = selectors.documents_renewable(unit=unit)
    initial = {"title": revision.evidence.title or revision.original_name}
    # What the file's text says (read at upload, opd/uploads/reading.py) fills the number
    # and date in, for the unit to check.
    if revision.read_number:
        initial["number"] = revision.read_number
    if revision.read_date:
        initial["issued_on"] = revision.read_date
    if request.GET.get("renews", "").isdigit():
        initial["renews"] = int(request.GET["renews"])
    form = DocumentRegisterForm(request.POST or None, initial=initial, renewable=renewable)
    if request.method == "POST" and form.is_valid():
        fields = dict(form.cleaned_data)
        renews = fields.pop("renews", None)
        try:
            if renews is not None:
                document = evidence.document_renew(
                    document=renews,
                    revision=revision,
                    user=request.user,
                    ip=client_ip(request),
                    **fields,
                )
            else:
                document = evidence.document_register(
                    revision=revision,
                    unit=unit,
                    user=request.user,
                    ip=client_ip(request),
                    **fields,
                )
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            if renews is not None:
                message = _(
                    "“%(document)s” renews “%(old)s”: every question that used the old one now "
                    "uses the new one; the old one stays in the history."
                ) % {"document": document, "old": renews}
            else:
                message = _(
                    "“%(document)s” is registered: attach it to other questions from their "
                    "answer pages."
                ) % {"document": document}
            messages.success(request, message)
            return redirect("opd:documents")
    return render(
        request,
        "opd/document_register.html",
        {
            "form": form,
            "revision": revision,
            "unit": unit,
            "acc": acc,
            "read": risk.read_of(revision),
        },
        status=400 if form.errors else 200,
    )


@require_POST
@access.login_required
def document_attach(request, question_id: int, unit_id: int):
    acc = access.answer_access(request.user, question_id=question_id, unit_id=unit_id)
    access.require(acc.can_attach)
    form = DocumentAttachForm(
        request.POST, documents=selectors.documents_to_attach(unit=acc.acting_unit)
    )
    if not form.is_valid():
        messages.error(request, _("Choose one of your unit's registered documents."))
    else:
        try:
            answer = acc.answer or services.answer_open(question=acc.question, unit=acc.unit)
            evidence.evidence_attach_document(
                answer=answer,
                document=form.cleaned_data["document"],
                unit=acc.acting_unit,
                user=request.user,
                ip=client_ip(request),
            )
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(
                request,
                _("“%(document)s” is attached, without uploading it again.")
                % {"document": form.cleaned_data["document"]},
            )
    return redirect(reverse("opd:answer", args=[question_id, unit_id]))
