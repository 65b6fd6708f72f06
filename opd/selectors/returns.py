"""The province's returns as the units see them: on the workspace and the answer page."""

from opd.models import Assignment, ProvincialReturn


def open_returns_for_units(*, unit_ids, period=None) -> list[ProvincialReturn]:
    """The returns not yet closed of questions the units answer (of `period` if given), the
    nearest deadline first. One query."""
    answering = Assignment.objects.answering().filter(unit_id__in=unit_ids).values("question_id")
    found = ProvincialReturn.objects.filter(question_id__in=answering).exclude(
        status=ProvincialReturn.Status.CLOSED
    )
    if period is not None:
        found = found.filter(question__indicator__group__period=period)
    return list(found.select_related("question__indicator").order_by("deadline", "pk"))


def question_return(*, question) -> ProvincialReturn | None:
    """The question's return not yet closed, else its latest closed one, else None. One query."""
    returns = list(
        ProvincialReturn.objects.filter(question=question).order_by("-returned_at", "-pk")[:5]
    )
    return next((r for r in returns if r.is_open), returns[0] if returns else None)
