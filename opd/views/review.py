"""The secretariat's review: the queue, claiming an answer, approving, asking for a revision,
reopening."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from core import page_cache
from core.errors import DomainError
from indicators import risk as rules
from opd import access, risk, selectors, services
from opd.audit import client_ip
from opd.forms import (
    ApproveForm,
    QueueFilterForm,
    ReasonForm,
    RevisionForm,
)
from opd.models import REVIEW_CLAIM_TTL, Answer
from opd.views.answers import _answer_url, _render_answer, _version, post_or_back_to_answer

QUEUE_ROW = "opd/_queue_row.html"


QUEUE_FILTER = "opd/_queue_filter.html"


def queue_row(answer: Answer) -> tuple[dict, tuple]:
    """A row of the review queue (the answer read by selectors.review_queue, with its people
    and `reviewer`, the holder of its claim) and its key: what it shows of the answer, as the
    question, unit and people change only with "all"."""
    reviewer = answer.reviewer and answer.reviewer.pk
    key = (
        answer.pk,
        answer.status,
        answer.claimed_points,
        answer.n_evidence,
        answer.submitted_at,
        answer.submitted_by_id,
        reviewer,
        answer.resubmitted,
        answer.coordinator_checked_at,
        answer.risk.level,
    )
    return {"answer": answer}, key


def queue_filter(form, period) -> tuple[dict, tuple]:
    """The review queue's filters (their choices change only with "all") and their key: the
    values chosen."""
    chosen = tuple(str(form[name].value()) for name in form.fields)
    return {"form": form, "period": period}, (period.pk, chosen)


def _waiting_queue(filters: dict) -> bool:
    """Whether the filters list every answer waiting for review (in any order)."""
    narrowing = ("group", "indicator", "unit", "checked", "risk")
    return filters.get("status") == Answer.Status.SUBMITTED and all(
        filters.get(name) in (None, "") for name in narrowing
    )


def _review_queue_context(request, period, periods) -> dict:
    if period is None:
        return {"period": None, "periods": periods}
    data = request.GET if request.GET else {"status": Answer.Status.SUBMITTED}
    form = QueueFilterForm(data, **selectors.review_filter_choices(period=period))
    filters = form.cleaned_data if form.is_valid() else {"status": Answer.Status.SUBMITTED}
    now = timezone.now()
    answers = selectors.review_queue(
        period=period,
        status=filters.get("status") or "",
        group_id=filters.get("group"),
        indicator_id=filters.get("indicator"),
        unit_id=filters.get("unit"),
        coordinator_checked=filters.get("checked"),
    )
    # The verification risk: a filter by level or an order by risk needs every answer's,
    # kept per unit by the page cache; the badges of a page alone need its fifty (each kept
    # until its unit changes, then assessed from its own facts, not with its unit's others).
    by_risk = bool(filters.get("risk")) or filters.get("sort") == "risk"
    verdicts = risk.risks(period) if by_risk else None
    if filters.get("risk"):
        level = filters["risk"]
        answers = answers.filter(pk__in=[pk for pk, v in verdicts.items() if v.level == level])
    if filters.get("sort") == "risk":
        answers = sorted(
            answers, key=lambda a: (*rules.sort_key(verdicts[a.pk]), a.submitted_at or now, a.pk)
        )
    paginator = Paginator(answers, 50)
    if _waiting_queue(filters):
        # The count of the queue unfiltered is its size, kept with the queue's state (a change
        # of points, the commonest, leaves it): one query fewer for a page rebuilt after it.
        paginator.count = selectors.queue_state(period=period)["size"]
    page = paginator.get_page(request.GET.get("page"))
    listed = selectors.with_listed(list(page), period=period)
    if verdicts is None:
        verdicts = risk.listed_risks(listed, period=period)
    rows = []
    for answer in listed:
        # Read when the page is built: a cached queue may show a lapsed claim for at most
        # KLA_PAGE_CACHE_SECONDS more, a new claim shows at once (it changes the data version).
        answer.reviewer = answer.claim_holder(now=now)
        answer.risk = verdicts.get(answer.pk) or rules.assess(rules.AnswerFacts(""))
        # Each row kept rendered under what it shows, so a rebuilt queue renders the rows
        # that changed.
        rows.append(queue_row(answer))
    query = request.GET.copy()
    query.pop("page", None)
    return {
        "period": period,
        "periods": periods,
        "page": page,
        "query": query.urlencode(),
        "rows": page_cache.rendered_rows(QUEUE_ROW, rows),
        "filter_form": page_cache.rendered_rows(QUEUE_FILTER, [queue_filter(form, period)]),
    }


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
            decided,
            then,
            _answer_url(acc.question.pk, acc.unit.pk),
            _("Back to %(code)s") % {"code": code},
        ),
    )
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
        request,
        question_id,
        unit_id,
        lambda answer: services.answer_claim(answer=answer, user=request.user),
        _(
            "You are reviewing this answer. For %(minutes)s minutes other reviewers see that, "
            "and the queue's next answer skips it."
        )
        % {"minutes": int(REVIEW_CLAIM_TTL.total_seconds() // 60)},
    )


@post_or_back_to_answer
@access.secretariat_required
def answer_release(request, question_id: int, unit_id: int):
    return _claim_action(
        request,
        question_id,
        unit_id,
        lambda answer: services.answer_release(answer=answer, user=request.user),
        _("You no longer review this answer; another reviewer may take it."),
    )


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
        request,
        question_id,
        unit_id,
        RevisionForm,
        run,
        "revision",
        _("Revision requested for %(answer)s; the unit is notified by email."),
    )


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
