"""Reads of the instrument for pages, with related rows fetched up front."""

from django.db.models import Prefetch, QuerySet

from indicators.models import Group, Indicator, Period, Question


def period_list() -> QuerySet[Period]:
    return Period.objects.prefetch_related("rank_bands").order_by("-year")


def period_current() -> Period | None:
    """The period the task force works on: the latest open one, else the latest of all."""
    return period_pick()[0]


def period_pick(*, year: str | int | None = None) -> tuple[Period | None, list[Period]]:
    """The period asked for by year, else the current one, and every period for a selector.
    One query."""
    periods = list(Period.objects.order_by("-year"))
    chosen = next((p for p in periods if str(p.year) == str(year)), None)
    if chosen is None:
        opened = [p for p in periods if p.status == Period.Status.OPEN]
        chosen = (opened or periods or [None])[0]
    return chosen, periods


def instrument_tree(*, period: Period) -> QuerySet[Group]:
    """Groups of a period, each with its indicators and their questions, in instrument order."""
    questions = Question.objects.order_by("order", "pk")
    indicators = Indicator.objects.order_by("order", "pk").prefetch_related(
        Prefetch("questions", queryset=questions)
    )
    return (
        Group.objects.filter(period=period)
        .order_by("order", "pk")
        .prefetch_related(Prefetch("indicators", queryset=indicators))
    )


def instrument_counts(*, period: Period) -> dict[str, int]:
    return {
        "groups": Group.objects.filter(period=period).count(),
        "indicators": Indicator.objects.filter(group__period=period).count(),
        "questions": Question.objects.filter(indicator__group__period=period).count(),
    }
