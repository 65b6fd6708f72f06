"""Reads of the instrument for pages, with related rows fetched up front."""

from decimal import Decimal

from django.db.models import Prefetch, Q, QuerySet, Sum

from indicators.models import (
    Group,
    Indicator,
    OfficialResult,
    Period,
    Question,
    RankBand,
    ScoreSnapshot,
)
from indicators.official_import import Target, code_key


def period_list() -> QuerySet[Period]:
    return Period.objects.prefetch_related("rank_bands").order_by("-year")


def period_current() -> Period | None:
    """The period the task force works on: the latest open one, else the latest shown to all."""
    return period_pick()[0]


def period_pick(
    *,
    include_prepared: bool = False,
    unit_ids=None,
    also: Q | None = None,
) -> tuple[Period | None, list[Period]]:
    """The current period and the periods to choose from (period_of_year picks another).

    A period being prepared is offered only with `include_prepared` (the secretariat's
    pages) and is never the current one, so importing next year's instrument changes nobody's
    work. With `unit_ids`, only the years those units took part in (had questions, or what
    `also` says of a period: the caller's other ways of taking part). One query.
    """
    periods = Period.objects.order_by("-year")
    if not include_prepared:
        periods = periods.exclude(status=Period.Status.PREPARED)
    if unit_ids is not None:
        took_part = Q(groups__indicators__questions__assignments__unit_id__in=unit_ids)
        if also is None:
            periods = periods.filter(took_part).distinct()
        else:
            # Each way of taking part as its own subquery: an OR across both joins made the
            # database pair every assignment with every coordinator (10 ms at 10x, not 1.6).
            periods = periods.filter(
                Q(pk__in=Period.objects.filter(took_part).values("pk"))
                | Q(pk__in=Period.objects.filter(also).values("pk"))
            )
    periods = list(periods)
    return period_of_year(periods, year=None), periods


def period_of_year(periods: list[Period], *, year: str | int | None) -> Period | None:
    """Of `periods`, the one of `year`, else the current one: the latest open, else the
    latest shown to all."""
    chosen = next((p for p in periods if str(p.year) == str(year)), None)
    if chosen is None:
        opened = [p for p in periods if p.status == Period.Status.OPEN]
        shown = [p for p in periods if p.is_visible_to_units]
        chosen = (opened or shown or [None])[0]
    return chosen


def final_internal_score(*, period: Period) -> ScoreSnapshot | None:
    """The period's last score snapshot: the secretariat's own final figure."""
    return ScoreSnapshot.objects.filter(period=period).order_by("-taken_at").first()


def target_rank_default(*, year: int) -> str:
    """A new period's target: the band above the last official rank the ministry gave, or,
    without one, above the rank the last locked year ended at (its final score snapshot);
    none when there is neither. At most three queries."""
    official = (
        OfficialResult.objects.filter(period__year__lt=year)
        .exclude(final_rank="")
        .order_by("-period__year")
        .values_list("period_id", "final_rank")
        .first()
    )
    final = official or (
        ScoreSnapshot.objects.filter(
            period__year__lt=year,
            period__status=Period.Status.LOCKED,
            reason=ScoreSnapshot.Reason.PERIOD_LOCKED,
        )
        .order_by("-period__year", "-taken_at")
        .values_list("period_id", "rank_verified")
        .first()
    )
    if final is None:
        return ""
    names = list(RankBand.objects.filter(period_id=final[0]).values_list("name", flat=True))
    if final[1] not in names:
        return names[0] if names else ""  # below every band: the first band is the target
    position = names.index(final[1])
    return names[min(position + 1, len(names) - 1)]


def instrument_tree(*, period: Period) -> QuerySet[Group]:
    """Groups of a period, each with its indicators and their questions, in instrument order."""
    questions = Question.objects.order_by("order", "pk")
    indicators = Indicator.objects.order_by("order", "pk").prefetch_related(
        Prefetch("questions", queryset=questions)
    )
    return (
        Group.objects.filter(period=period)
        .order_by("order", "pk")
        # What the group can really earn: its indicators' maxima (the declared one may differ).
        .annotate(effective_max=Sum("indicators__max_points"))
        .prefetch_related(Prefetch("indicators", queryset=indicators))
    )


def instrument_counts(*, period: Period) -> dict[str, int]:
    return {
        "groups": Group.objects.filter(period=period).count(),
        "indicators": Indicator.objects.filter(group__period=period).count(),
        "questions": Question.objects.filter(indicator__group__period=period).count(),
    }


def official_targets(*, period: Period) -> dict:
    """What the codes of an official-points workbook name in the period: "21 A/2a" a question,
    "21 A" an indicator, a group by its name; keys as official_import.code_key compares them.
    Three queries."""
    targets = {}
    indicators = Indicator.objects.filter(group__period=period).order_by()
    groups = list(Group.objects.filter(period=period).order_by().prefetch_related("indicators"))
    for g in groups:
        total = sum((i.max_points for i in g.indicators.all()), Decimal("0.00"))
        targets[code_key(g.name)] = Target("group", g.pk, total, g.name)
    for i in indicators:
        targets[code_key(i.code)] = Target("indicator", i.pk, i.max_points, i.code)
    for q in Question.objects.filter(indicator__group__period=period).select_related("indicator"):
        code = f"{q.indicator.code}/{q.code}"
        targets[code_key(code)] = Target("question", q.pk, q.max_points, code)
    return targets
