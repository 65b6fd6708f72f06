"""Evidence on an answer: a file (form upload) or a link, replaced or removed; a stored file
downloaded or previewed."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.errors import DomainError
from opd import access
from opd.audit import client_ip
from opd.forms import (
    EvidenceLinkForm,
    EvidenceUploadForm,
)
from opd.models import Answer
from opd.views.answers import _answer_url, _evidence_services, _on_answer, post_or_back_to_answer


@post_or_back_to_answer
@access.login_required
def evidence_upload(request, question_id: int, unit_id: int):
    acc = access.answer_access(request.user, question_id=question_id, unit_id=unit_id)
    access.require(acc.can_attach)
    form = EvidenceUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("No file was stored: %(why)s") % {"why": _form_errors(form)})
        return redirect(_answer_url(question_id, unit_id))
    try:
        # No transaction here: the file is written before the answer is locked.
        revision = _evidence_services().evidence_add_file(
            answer=acc.answer or Answer(question=acc.question, unit=acc.unit),
            unit=acc.acting_unit,
            user=request.user,
            uploaded_file=form.cleaned_data["file"],
            title=form.cleaned_data["title"],
            ip=client_ip(request),
        )
    except DomainError as error:
        _upload_refused(request, error)
    else:
        messages.success(request, _("“%(name)s” was stored.") % {"name": revision.original_name})
    return redirect(_answer_url(question_id, unit_id) + "#evidence")


@post_or_back_to_answer
@access.login_required
def evidence_link(request, question_id: int, unit_id: int):
    acc = access.answer_access(request.user, question_id=question_id, unit_id=unit_id)
    access.require(acc.can_attach)
    form = EvidenceLinkForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("The link was not added: %(why)s") % {"why": _form_errors(form)})
        return redirect(_answer_url(question_id, unit_id) + "#evidence")
    try:
        _on_answer(
            acc,
            lambda answer: _evidence_services().evidence_add_link(
                answer=answer,
                unit=acc.acting_unit,
                user=request.user,
                url=form.cleaned_data["url"],
                title=form.cleaned_data["title"],
                ip=client_ip(request),
            ),
        )
    except DomainError as error:
        messages.error(request, _("The link was not added: %(why)s") % {"why": error.message})
    else:
        messages.success(request, _("Link added."))
    return redirect(_answer_url(question_id, unit_id) + "#evidence")


def _upload_refused(request, error: DomainError) -> None:
    """A file already there is news, not an error (a second click, a retry): say so."""
    if error.code == "duplicate":
        messages.info(request, error.message)
    else:
        messages.error(request, _("No file was stored: %(why)s") % {"why": error.message})


def _form_errors(form) -> str:
    return " ".join(str(e) for errors in form.errors.values() for e in errors)


@require_POST
@access.login_required
def evidence_replace(request, evidence_id: int):
    evidence, acc = access.evidence_for_user(request.user, evidence_id=evidence_id)
    access.require(acc.can_attach)
    back = _answer_url(acc.question.pk, acc.unit.pk) + "#evidence"
    form = EvidenceUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("No file was stored: %(why)s") % {"why": _form_errors(form)})
        return redirect(back)
    try:
        revision = _evidence_services().evidence_replace_file(
            evidence=evidence,
            unit=acc.acting_unit,
            user=request.user,
            uploaded_file=form.cleaned_data["file"],
            ip=client_ip(request),
        )
    except DomainError as error:
        _upload_refused(request, error)
    else:
        messages.success(
            request,
            _("“%(name)s” replaces the previous file, which stays in the history.")
            % {"name": revision.original_name},
        )
    return redirect(back)


@require_http_methods(["GET", "POST"])
@access.login_required
def evidence_remove(request, evidence_id: int):
    evidence, acc = access.evidence_for_user(request.user, evidence_id=evidence_id)
    access.require(acc.can_attach)
    back = _answer_url(acc.question.pk, acc.unit.pk) + "#evidence"
    if request.method == "GET":
        return render(
            request,
            "opd/evidence_remove_confirm.html",
            {"evidence": evidence, "acc": acc, "back": back},
        )
    try:
        _evidence_services().evidence_remove(
            evidence=evidence, unit=acc.acting_unit, user=request.user, ip=client_ip(request)
        )
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request, _("Evidence removed from the answer. Its files stay in the history.")
        )
    return redirect(back)


@require_GET
@access.login_required
def revision_download(request, revision_id: int):
    revision, _acc = access.revision_for_user(request.user, revision_id=revision_id)
    return _evidence_services().evidence_download_response(
        revision=revision, user=request.user, ip=client_ip(request)
    )


@require_GET
@access.login_required
def revision_preview(request, revision_id: int):
    revision, _acc = access.revision_for_user(request.user, revision_id=revision_id)
    return _evidence_services().evidence_inline_response(
        revision=revision, user=request.user, ip=client_ip(request)
    )
