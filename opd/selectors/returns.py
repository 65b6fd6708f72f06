"""The province's returns as the units see them: on the workspace and the answer page."""

from core import page_cache
from opd.models import Assignment, ProvincialReturn


def open_returns_for_units(*, unit_ids, period=None) -> list[tuple[ProvincialReturn, int]]:
    """The returns not yet closed of questions the units answer (of `period` if given), the
    nearest deadline first, each with the unit (among `unit_ids`) whose answer it returns.
    Two queries."""
    answering = {
        (question_id, unit_id)
        for question_id, unit_id in Assignment.objects.answering()
        .filter(unit_id__in=unit_ids, question__provincial_returns__isnull=False)
        .order_by()
        .values_list("question_id", "unit_id")
    }
    found = ProvincialReturn.objects.filter(question_id__in={q for q, _u in answering}).exclude(
        status=ProvincialReturn.Status.CLOSED
    )
    if period is not None:
        found = found.filter(question__indicator__group__period=period)
    return [
        (r, unit_id)
        for r in found.select_related("question__indicator").order_by("deadline", "pk")
        for question_id, unit_id in sorted(answering)
        if question_id == r.question_id
    ]


def question_return(*, question) -> ProvincialReturn | None:
    """The question's return not yet closed, else its latest closed one, else None. One query,
    and none for a question never returned: the period's returned questions are kept until
    anything district-wide changes (a return raises "all")."""
    period_id = question.indicator.group.period_id
    returned = page_cache.remember(
        "returned-questions",
        parts=[period_id],
        compute=lambda: frozenset(
            ProvincialReturn.objects.filter(
                question__indicator__group__period_id=period_id
            ).values_list("question_id", flat=True)
        ),
    )
    if question.pk not in returned:
        return None
    returns = list(
        ProvincialReturn.objects.filter(question=question).order_by("-returned_at", "-pk")[:5]
    )
    return next((r for r in returns if r.is_open), returns[0] if returns else None)
