"""Pages of the answering units and the secretariat's review. Thin: access, form, service."""

import datetime
from functools import wraps
from itertools import groupby

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core import page_cache
from core.errors import DomainError
from opd import access, selectors, services
from opd.audit import client_ip
from opd.deadlines import unit_deadline, unit_deadlines, unit_may_edit
from opd.forms import (
    AnswerForm,
    ApproveForm,
    CommentForm,
    EvidenceLinkForm,
    EvidenceUploadForm,
    QueueFilterForm,
    ReasonForm,
    RevisionForm,
    WorkspaceFilterForm,
)
from opd.models import REVIEW_CLAIM_TTL, Answer
from opd.notices import notices_mark_read, whatsapp_revision_link
from opd.notifications import absolute_url


def _progress(rows) -> dict:
    rows = [r for r in rows if r.answering_unit_id]  # a coordinator's row is not its work
    total = len(rows)
    done = sum(1 for r in rows if r.is_done)
    return {"total": total, "done": done, "percent": round(100 * done / total) if total else 0}


def _needs_action(rows, deadlines) -> dict:
    """What needs the person now, first on the page: revision requests with the reviewer's
    note, then the questions not yet handed in whose unit's deadline comes first."""
    own = [r for r in rows if r.answering_unit_id]
    due = {unit.pk: day for unit, day in deadlines}
    pending = sorted(
        (r for r in own if r.status in (selectors.NOT_STARTED, Answer.Status.DRAFT)),
        key=lambda r: due.get(r.answering_unit_id) or datetime.date.max,
    )
    return {
        "revisions": [r for r in own if r.status == Answer.Status.REVISION_REQUESTED],
        "pending": [(r, due.get(r.answering_unit_id)) for r in pending[:5]],
        "pending_count": len(pending),
    }


# Kept rendered under keys that name everything they show that may change without "all"
# (tests/test_page_cache_rows.py checks each against its template).
WORKSPACE_CARD = "opd/_workspace_card.html"
QUEUE_ROW = "opd/_queue_row.html"
QUEUE_FILTER = "opd/_queue_filter.html"


def workspace_card(indicator, items: list, shown: list) -> tuple[dict, tuple]:
    """An indicator's card in the workspace, with the progress of all its rows (`items`) and
    the rows the filter shows, and its key."""
    progress = _progress(items)
    key = (indicator.pk, tuple(progress.values()), *(r.key for r in shown))
    return {"indicator": indicator, "progress": progress, "rows": shown}, key


def queue_row(answer: Answer) -> tuple[dict, tuple]:
    """A row of the review queue (the answer read by selectors.review_queue, with its people
    and `reviewer`, the holder of its claim) and its key: what it shows of the answer, as the
    question, unit and people change only with "all"."""
    reviewer = answer.reviewer and answer.reviewer.pk
    key = (answer.pk, answer.status, answer.claimed_points, answer.n_evidence,
           answer.submitted_at, answer.submitted_by_id, reviewer,
           answer.resubmitted)  # fmt: skip
    return {"answer": answer}, key


def queue_filter(form, period) -> tuple[dict, tuple]:
    """The review queue's filters (their choices change only with "all") and their key: the
    values chosen."""
    chosen = tuple(str(form[name].value()) for name in form.fields)
    return {"form": form, "period": period}, (period.pk, chosen)


def _workspace_context(period, units, filter_form) -> dict:
    status = filter_form.cleaned_data["status"] if filter_form.is_valid() else ""
    sections, unit_progress, deadlines, needs_action, tables = [], None, [], None, []
    expiring = []
    if period is not None and units:
        unit_ids = [u.pk for u in units]
        rows = selectors.workspace_rows(period=period, unit_ids=unit_ids)
        unit_progress = _progress(rows)
        deadlines = page_cache.remember(
            "deadlines", parts=[period.pk, *unit_ids],
            compute=lambda: unit_deadlines(period=period, units=units),
        )  # fmt: skip
        needs_action = _needs_action(rows, deadlines)
        tables = page_cache.remember(
            "tables", parts=[period.pk, *unit_ids],
            compute=lambda: selectors.tables_to_fill(period=period, unit_ids=unit_ids),
        )  # fmt: skip
        # Documents that lapse before the ministry's entry: a warning while there is time.
        expiring = page_cache.remember(
            "expiring", parts=[period.pk, *unit_ids],
            compute=lambda: selectors.documents_expiring(unit_ids=unit_ids, period=period),
        )  # fmt: skip
        for group, in_group in groupby(rows, key=lambda r: r.question.indicator.group):
            cards = []
            for indicator, items in groupby(in_group, key=lambda r: r.question.indicator):
                items = list(items)
                shown = [r for r in items if not status or r.status == status]
                if shown:
                    cards.append(workspace_card(indicator, items, shown))
            if cards:
                # Each indicator's card is rendered once per change of what it shows: a save
                # re-renders one card, not the workspace.
                sections.append((group, page_cache.rendered_rows(WORKSPACE_CARD, cards)))
    return {
        "period": period,
        "units": units,
        "sections": sections,
        "unit_progress": unit_progress,
        "deadlines": deadlines,
        "needs_action": needs_action,
        "tables": tables,
        "expiring": expiring,
        "filter_form": filter_form,
    }


@access.opd_required
@require_GET
def workspace(request):
    """The questions assigned to the user's units in a period (the current one unless ?year=
    names another year they took part in), in instrument order."""
    units = list(selectors.units_of_user(user=request.user))
    period, periods = access.period_choice(
        request.user, year=request.GET.get("year"), unit_ids=[u.pk for u in units]
    )
    body = page_cache.fragment(
        request,
        "opd/_workspace_body.html",
        parts=[period and period.pk, [u.pk for u in units], sorted(request.GET.lists())],
        # Each unit's version moves with the answers its workspace shows (its own, and those of
        # the questions it supports or coordinates), not with other units' saves.
        scopes=[page_cache.unit_scope(u.pk) for u in units],
        context=lambda: {
            **_workspace_context(period, units, WorkspaceFilterForm(request.GET or None)),
            "periods": periods,
        },
    )
    return render(request, "opd/workspace.html", {"body": body})


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
    window_open = unit_may_edit(period=period, unit=acc.acting_unit or acc.unit)
    editable = answer is None or answer.status in services.EDITABLE
    page_data = selectors.answer_page_data(answer=answer)
    context = {
        "acc": acc,
        "question": question,
        "unit": acc.unit,
        "answer": answer,
        "period": period,
        "window_open": window_open,
        "deadline": unit_deadline(period=period, unit=acc.unit),
        "can_edit": acc.can_edit and window_open and editable,
        "can_attach": acc.can_attach and window_open and editable,
        "can_submit": acc.can_edit and window_open and editable and answer is not None,
        "can_review": acc.can_review and answer is not None and answer.awaits_review
        and not period.is_locked,
        "can_reopen": acc.can_review and answer is not None and answer.is_final
        and not period.is_locked,
        "can_comment": acc.can_comment and not period.is_locked,
        "claim_holder": answer.claim_holder() if answer else None,
        "whatsapp_links": _whatsapp_links(acc, answer),
        "next_question": selectors.next_question(question=question, unit=acc.unit)
        if acc.is_answering_member
        else None,
        "answer_form": forms.get("answer") or AnswerForm(
            question=question, initial=AnswerForm.initial_for(answer)
        ),
        "upload_form": forms.get("upload") or EvidenceUploadForm(),
        "upload_limits": _upload_limits(),
        "link_form": forms.get("link") or EvidenceLinkForm(),
        "documents": selectors.documents_to_attach(unit=acc.acting_unit)
        if acc.can_attach and window_open and editable
        else None,
        "comment_form": forms.get("comment") or CommentForm(),
        "approve_form": forms.get("approve") or ApproveForm(
            question=question,
            initial={"verified_points": answer.claimed_points if answer else None,
                     "version": answer.version if answer else 0},
        ),
        "revision_form": forms.get("revision") or RevisionForm(
            initial={"version": answer.version if answer else 0}
        ),
        **page_data,
        **_review_data(acc, page_data),
    }  # fmt: skip
    return render(request, "opd/answer.html", context, status=status)


def _review_data(acc: access.AnswerAccess, page_data: dict) -> dict:
    """What only the secretariat sees on an answer: what changed since its revision request,
    the answer's history, and the unit's extension form."""
    if not acc.can_review:
        return {}
    answer = acc.answer
    _evidence_services().withhold_oversized_previews(page_data["evidence"])
    return {
        "resubmission": selectors.resubmission_changes(
            answer=answer, evidence=page_data["evidence"],
            removed_evidence=page_data["removed_evidence"],
        ),
        "history": selectors.answer_history(answer=answer),
        "can_extend": acc.can_extend,
    }  # fmt: skip


def _upload_limits() -> dict:
    """What the upload script needs to know, as plain strings (no localised decimals)."""
    max_bytes = settings.EVIDENCE_MAX_UPLOAD_BYTES
    return {
        "max_bytes": str(max_bytes),
        "max_mb": f"{max_bytes / (1024 * 1024):g}",
        "chunk_bytes": str(settings.KLA_TUS_CHUNK_BYTES),
        "photo_megapixels": f"{settings.KLA_PHOTO_MAX_MEGAPIXELS:g}",
    }


@require_GET
@access.login_required
def answer_detail(request, question_id: int, unit_id: int):
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
            {"acc": acc, "answer": acc.answer, "question": acc.question},
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


def _int(raw) -> int | None:
    try:
        return int(raw)
    except (TypeError, ValueError):
        return None


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


def _evidence_services():
    # Imported on use: the evidence layer pulls in the upload machinery, which the other pages
    # of this module do not need.
    from opd import evidence

    return evidence


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


# --- Review (secretariat) -------------------------------------------------------------------


def _review_queue_context(request, period, periods) -> dict:
    if period is None:
        return {"period": None, "periods": periods}
    data = request.GET if request.GET else {"status": Answer.Status.SUBMITTED}
    form = QueueFilterForm(data, **selectors.review_filter_choices(period=period))
    filters = form.cleaned_data if form.is_valid() else {"status": Answer.Status.SUBMITTED}
    answers = selectors.review_queue(
        period=period,
        status=filters.get("status") or "",
        group_id=filters.get("group"),
        indicator_id=filters.get("indicator"),
        unit_id=filters.get("unit"),
    )
    page = Paginator(answers, 50).get_page(request.GET.get("page"))
    now = timezone.now()
    rows = []
    for answer in selectors.with_people(list(page)):
        # Read when the page is built: a cached queue may show a lapsed claim for at most
        # KLA_PAGE_CACHE_SECONDS more, a new claim shows at once (it changes the data version).
        answer.reviewer = answer.claim_holder(now=now)
        # Each row kept rendered under what it shows, so a rebuilt queue renders the rows
        # that changed.
        rows.append(queue_row(answer))
    query = request.GET.copy()
    query.pop("page", None)
    return {
        "period": period, "periods": periods, "page": page, "query": query.urlencode(),
        "rows": page_cache.rendered_rows(QUEUE_ROW, rows),
        "filter_form": page_cache.rendered_rows(QUEUE_FILTER, [queue_filter(form, period)]),
    }  # fmt: skip


@access.secretariat_required
@require_GET
def review_queue(request):
    period, periods = access.period_choice(request.user, year=request.GET.get("year"))
    body = page_cache.fragment(
        request,
        "opd/_review_queue_body.html",
        parts=[period and period.pk, sorted(request.GET.lists())],
        scopes=[page_cache.period_scope(period.pk)] if period else [],  # every unit's answers
        context=lambda: _review_queue_context(request, period, periods),
    )
    return render(request, "opd/review_queue.html", {"body": body})


def _next_in_queue(answer: Answer, user) -> Answer | None:
    """After a review, the next answer waiting (oldest first) that no other reviewer is
    reviewing, claimed for this reviewer; None when there is none left for them."""
    following = selectors.next_waiting_answer(
        period_id=answer.question.indicator.group.period_id, after=answer, reviewer=user
    )
    if following is None:
        return None
    try:
        services.answer_claim(answer=following, user=user)
    except DomainError:  # taken or decided a moment ago by another reviewer
        return None
    return following


def _answer_label(question, unit) -> str:
    """A question as the reviewer recognises it: code, the start of its text, the unit."""
    text = Truncator(question.text).chars(70)
    return f"{question.indicator.code} / {question.code} “{text}” ({unit.short_name})"


def _decided(request, acc: access.AnswerAccess, done: str) -> str:
    """The message after a decision names the question just decided, with a link back to
    it, and the one opened next (a reviewer moved on by the page would lose their place);
    returns where to go: the next answer, else the queue."""
    following = _next_in_queue(acc.answer, request.user)
    decided = done % {"answer": _answer_label(acc.question, acc.unit)}
    if following is None:
        then, target = _("No other answer is waiting for you; here is the queue."), None
    else:
        then = _("Now open: %(answer)s.") % {
            "answer": _answer_label(following.question, following.unit)
        }
        target = _answer_url(following.question_id, following.unit_id)
    code = f"{acc.question.indicator.code} / {acc.question.code}"
    messages.success(
        request,
        format_html(
            '{} {} <a href="{}" data-testid="decided-link">{}</a>',
            decided, then, _answer_url(acc.question.pk, acc.unit.pk),
            _("Back to %(code)s") % {"code": code},
        ),
    )  # fmt: skip
    return target or reverse("opd:review-queue")


def _claim_action(request, question_id: int, unit_id: int, run, success: str):
    acc = access.answer_access(request.user, question_id=question_id, unit_id=unit_id)
    access.require(acc.can_review)
    if acc.answer is None:
        raise access.Http404
    try:
        run(acc.answer)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, success)
    return redirect(_answer_url(question_id, unit_id))


@post_or_back_to_answer
@access.secretariat_required
def answer_claim(request, question_id: int, unit_id: int):
    return _claim_action(
        request, question_id, unit_id,
        lambda answer: services.answer_claim(answer=answer, user=request.user),
        _("You are reviewing this answer. For %(minutes)s minutes other reviewers see that, "
          "and the queue's next answer skips it.")
        % {"minutes": int(REVIEW_CLAIM_TTL.total_seconds() // 60)},
    )  # fmt: skip


@post_or_back_to_answer
@access.secretariat_required
def answer_release(request, question_id: int, unit_id: int):
    return _claim_action(
        request, question_id, unit_id,
        lambda answer: services.answer_release(answer=answer, user=request.user),
        _("You no longer review this answer; another reviewer may take it."),
    )  # fmt: skip


def _review(request, question_id, unit_id, form_class, run, form_key, done):
    acc = access.answer_access(request.user, question_id=question_id, unit_id=unit_id)
    access.require(acc.can_review)
    if acc.answer is None:
        raise access.Http404
    kwargs = {"question": acc.question} if form_class is ApproveForm else {}
    form = form_class(request.POST, **kwargs)
    if not form.is_valid():
        messages.error(request, _("Nothing was changed: correct the marked fields."))
        return _render_answer(request, acc, forms={form_key: form}, status=400)
    try:
        run(acc.answer, form)
    except DomainError as error:
        messages.error(request, error.message)
        if error.code in ("stale", "not_submitted"):
            return redirect(_answer_url(question_id, unit_id))
        return _render_answer(request, acc, forms={form_key: form}, status=409)
    return redirect(_decided(request, acc, done))


@post_or_back_to_answer
@access.secretariat_required
def answer_approve(request, question_id: int, unit_id: int):
    def run(answer, form):
        services.answer_approve(
            answer=answer,
            user=request.user,
            verified_points=form.cleaned_data.get("verified_points"),
            verified_option=form.cleaned_data.get("verified_option"),
            lowered_because=form.cleaned_data.get("lowered_because", ""),
            reason=form.cleaned_data["reason"],
            expected_version=_version(form),
            ip=client_ip(request),
        )

    return _review(
        request, question_id, unit_id, ApproveForm, run, "approve", _("Approved: %(answer)s.")
    )


@post_or_back_to_answer
@access.secretariat_required
def answer_request_revision(request, question_id: int, unit_id: int):
    def run(answer, form):
        services.answer_request_revision(
            answer=answer,
            user=request.user,
            note=form.cleaned_data["note"],
            expected_version=_version(form),
            ip=client_ip(request),
        )

    return _review(
        request, question_id, unit_id, RevisionForm, run, "revision",
        _("Revision requested for %(answer)s; the unit is notified by email."),
    )  # fmt: skip


@require_http_methods(["GET", "POST"])
@access.secretariat_required
def answer_reopen(request, question_id: int, unit_id: int):
    acc = access.answer_access(request.user, question_id=question_id, unit_id=unit_id)
    if acc.answer is None:
        raise access.Http404
    form = ReasonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.answer_reopen(
                answer=acc.answer,
                user=request.user,
                reason=form.cleaned_data["reason"],
                ip=client_ip(request),
            )
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("Answer reopened: it is waiting for review again."))
        return redirect(_answer_url(question_id, unit_id))
    return render(
        request,
        "opd/answer_reopen_confirm.html",
        {"acc": acc, "answer": acc.answer, "question": acc.question, "form": form},
    )


@access.login_required
@require_http_methods(["GET", "POST"])
def notices(request):
    """What the secretariat decided about the person's answers; POST marks all as read."""
    if request.method == "POST":
        notices_mark_read(user=request.user)
        messages.success(request, _("All notices are marked as read."))
        return redirect("opd:notices")
    return render(
        request, "opd/notices.html", {"notices": selectors.notices_for(user=request.user)}
    )
