"""The answer page: reading it, saving a draft, submitting, comments. Thin views: access
(opd.access) -> form -> service -> message -> redirect."""

from functools import wraps

from django.contrib import messages
from django.db import transaction
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from core import page_cache
from core.errors import DomainError
from opd import access, risk, selectors, services
from opd.audit import client_ip
from opd.deadlines import kept_extensions, unit_deadline, unit_may_edit
from opd.forms import (
    AnswerForm,
    ApproveForm,
    CommentForm,
    EvidenceLinkForm,
    EvidenceUploadForm,
    RevisionForm,
)
from opd.models import Answer
from opd.notices import whatsapp_revision_link
from opd.notifications import absolute_url
from opd.uploads.limits import upload_limits


def _on_answer(acc: access.AnswerAccess, action):
    """Run `action(answer)` on the unit's answer, creating the draft in the same transaction,
    so a refused action (window closed, bad file) leaves no empty answer behind."""
    with transaction.atomic():
        answer = acc.answer or services.answer_open(question=acc.question, unit=acc.unit)
        return action(answer)


def post_or_back_to_answer(view):
    """POST-only actions on an answer answer a GET by going back to the answer page, not 405.

    A save sent with an expired session goes to the login page with this address as `next`;
    after logging in the browser GETs it. The answer page then restores what was typed
    (static/js/kla.js keeps it on the device until the server has it).
    """

    @wraps(view)
    def wrapper(request, question_id: int, unit_id: int, *args, **kwargs):
        if request.method != "POST":
            return redirect(_answer_url(question_id, unit_id))
        return view(request, question_id, unit_id, *args, **kwargs)

    return wrapper


def _answer_url(question_id: int, unit_id: int) -> str:
    return reverse("opd:answer", args=[question_id, unit_id])


def _whatsapp_links(acc: access.AnswerAccess, answer: Answer | None) -> list[dict]:
    """For the secretariat, after it asked for a revision: a ready message per contact."""
    if not (acc.can_review and answer and answer.status == Answer.Status.REVISION_REQUESTED):
        return []
    url = absolute_url("opd:answer", answer.question_id, answer.unit_id)
    links = []
    for name, phone in selectors.unit_contacts(unit=answer.unit):
        link = whatsapp_revision_link(
            phone=phone, name=name, answer=answer, note=answer.review_note, url=url
        )
        if link:
            links.append({"name": name, "url": link})
    return links


def _render_answer(request, acc: access.AnswerAccess, *, forms=None, status=200):
    question, answer = acc.question, acc.answer
    period = question.indicator.group.period
    forms = forms or {}
    deadline = unit_deadline(period=period, unit=acc.unit, extended=kept_extensions(period=period))
    acting = acc.acting_unit or acc.unit
    window_open = unit_may_edit(
        period=period,
        unit=acting,
        question=question,
        deadline=deadline if acting == acc.unit else None,  # read once when it is the same
    )
    provincial_return = selectors.question_return(question=question)
    editable = answer is None or answer.status in Answer.EDITABLE
    page_data = selectors.answer_page_data(answer=answer)
    can_edit = acc.can_edit and window_open and editable
    can_review = (
        acc.can_review and answer is not None and answer.awaits_review and not period.is_locked
    )
    context = {
        "acc": acc,
        "question": question,
        "unit": acc.unit,
        "answer": answer,
        "period": period,
        "window_open": window_open,
        "deadline": deadline,
        "can_edit": can_edit,
        "can_attach": acc.can_attach and window_open and editable,
        "can_submit": acc.can_edit and window_open and editable and answer is not None,
        "can_review": can_review,
        "can_reopen": acc.can_review
        and answer is not None
        and answer.is_final
        and not period.is_locked,
        "can_comment": acc.can_comment and not period.is_locked,
        "claim_holder": answer.claim_holder() if answer else None,
        "provincial_return": provincial_return,
        "can_reply_return": provincial_return is not None
        and provincial_return.is_open
        and (acc.is_answering_member or acc.can_review),
        "whatsapp_links": _whatsapp_links(acc, answer),
        # The verification risk, from the unit's kept verdicts: it informs, never blocks.
        "risk": risk.answer_risk(answer, period=period, evidence=page_data["evidence"])
        if answer is not None
        else None,
        # A table's row: the question's share and points, one query (per-unit pages only).
        "table_share": selectors.question_share(question=question, assignments=acc.assignments)
        if acc.per_unit
        else None,
        "next_question": selectors.next_question(question=question, unit=acc.unit)
        if acc.is_answering_member
        else None,
        # Forms are built only where the page shows them: each reads the question's options.
        "answer_form": forms.get("answer")
        or (
            AnswerForm(question=question, initial=AnswerForm.initial_for(answer))
            if can_edit
            else None
        ),
        "upload_form": forms.get("upload") or EvidenceUploadForm(),
        "upload_limits": upload_limits(),
        "link_form": forms.get("link") or EvidenceLinkForm(),
        "documents": selectors.documents_to_attach_kept(unit=acc.acting_unit)
        if acc.can_attach and window_open and editable
        else None,
        "comment_form": forms.get("comment") or CommentForm(),
        **(_review_forms(question, answer, forms) if can_review else {}),
        **page_data,
        **_review_data(acc, page_data),
    }
    return render(request, "opd/answer.html", context, status=status)


def _review_forms(question, answer: Answer, forms: dict) -> dict:
    return {
        "approve_form": forms.get("approve")
        or ApproveForm(
            question=question,
            initial={"verified_points": answer.claimed_points, "version": answer.version},
        ),
        "revision_form": forms.get("revision") or RevisionForm(initial={"version": answer.version}),
    }


def _review_data(acc: access.AnswerAccess, page_data: dict) -> dict:
    """What only the secretariat sees on an answer: what changed since its revision request,
    the answer's history, and the unit's extension form."""
    if not acc.can_review:
        return {}
    answer = acc.answer
    _evidence_services().withhold_oversized_previews(page_data["evidence"])
    return {
        "resubmission": selectors.resubmission_changes(
            answer=answer,
            evidence=page_data["evidence"],
            removed_evidence=page_data["removed_evidence"],
        ),
        "history": selectors.answer_history(answer=answer),
        "can_extend": acc.can_extend,
    }


@require_GET
@access.login_required
def answer_detail(request, question_id: int, unit_id: int):
    # The numbers the page's kept reads are under ("all" for the question, the units and the
    # documents; the unit's for its next question, its answers' for the evidence and comments),
    # in one query.
    page_cache.read_ahead([page_cache.unit_scope(unit_id), page_cache.answers_scope(unit_id)])
    acc = access.answer_access(request.user, question_id=question_id, unit_id=unit_id)
    return _render_answer(request, acc)


def _version(form) -> int | None:
    """The version the form was rendered with; 0 means 'no answer existed yet'."""
    version = form.cleaned_data.get("version")
    return version or None


@post_or_back_to_answer
@access.login_required
def answer_save(request, question_id: int, unit_id: int):
    acc = access.answer_access(request.user, question_id=question_id, unit_id=unit_id)
    access.require(acc.can_edit)
    form = AnswerForm(request.POST, question=acc.question)
    if not form.is_valid():
        messages.error(request, _("The answer was not saved: correct the marked fields."))
        return _render_answer(request, acc, forms={"answer": form}, status=400)
    try:
        _on_answer(
            acc,
            lambda answer: services.answer_save(
                answer=answer,
                user=request.user,
                claimed_points=form.cleaned_data.get("claimed_points"),
                option=form.cleaned_data.get("option"),
                narrative=form.cleaned_data["narrative"],
                data_values=form.cleaned_data["data_values"],
                expected_version=_version(form),
                ip=client_ip(request),
            ),
        )
    except DomainError as error:
        # Keep what the user typed: show the page again with the bound form and the reason.
        messages.error(request, error.message)
        return _render_answer(request, acc, forms={"answer": form}, status=409)
    messages.success(request, _("Answer saved as a draft."))
    return redirect(_answer_url(question_id, unit_id))


@require_http_methods(["GET", "POST"])
@access.login_required
def answer_submit(request, question_id: int, unit_id: int):
    acc = access.answer_access(request.user, question_id=question_id, unit_id=unit_id)
    access.require(acc.can_edit)
    if acc.answer is None:
        messages.error(request, _("Save the answer before submitting it."))
        return redirect(_answer_url(question_id, unit_id))
    if request.method == "GET":
        return render(
            request,
            "opd/answer_submit_confirm.html",
            {
                "acc": acc,
                "answer": acc.answer,
                "question": acc.question,
                "risk": risk.answer_risk(acc.answer, period=acc.question.indicator.group.period),
            },
        )
    try:
        services.answer_submit(
            answer=acc.answer,
            user=request.user,
            expected_version=_int(request.POST.get("version")),
            ip=client_ip(request),
        )
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Answer submitted to the secretariat for review."))
    return redirect(_answer_url(question_id, unit_id))


@post_or_back_to_answer
@access.login_required
def comment_add(request, question_id: int, unit_id: int):
    acc = access.answer_access(request.user, question_id=question_id, unit_id=unit_id)
    access.require(acc.can_comment)
    form = CommentForm(request.POST)
    if not form.is_valid():
        return _render_answer(request, acc, forms={"comment": form}, status=400)
    try:
        _on_answer(
            acc,
            lambda answer: services.comment_add(
                answer=answer,
                user=request.user,
                body=form.cleaned_data["body"],
                ip=client_ip(request),
            ),
        )
    except DomainError as error:
        messages.error(request, error.message)
        return _render_answer(request, acc, forms={"comment": form}, status=409)
    messages.success(request, _("Comment added."))
    return redirect(_answer_url(question_id, unit_id) + "#comments")


def _int(raw) -> int | None:
    try:
        return int(raw)
    except (TypeError, ValueError):
        return None


def _evidence_services():
    # Imported on use: the evidence layer pulls in the upload machinery, which the other pages
    # of this module do not need.
    from opd import evidence

    return evidence
