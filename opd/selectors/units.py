"""Reads of units, people and assignments for pages, with related rows fetched up front."""

from django.db.models import (
    Count,
    Q,
    QuerySet,
)

from core import page_cache
from indicators.models import Group, Period, Question
from opd.models import (
    Assignment,
    Profile,
    TaskForceMember,
    Unit,
)


def unit_list() -> QuerySet[Unit]:
    return Unit.objects.select_related("parent").order_by("kind", "name")


def unit_contacts(*, unit: Unit) -> list[tuple[str, str]]:
    """(name, phone) of the unit's active members who gave a phone number. One query."""
    return [
        (f"{first} {last}".strip() or username, phone)
        for first, last, username, phone in Profile.objects.filter(units=unit, user__is_active=True)
        .exclude(phone="")
        .order_by("user__first_name", "user__username")
        .values_list("user__first_name", "user__last_name", "user__username", "phone")
    ]


def units_of_user(*, user) -> list[Unit]:
    """The units the user is a member of, by name: kept until anything district-wide changes
    (a membership and a unit raise "all"), as the workspace, read on every visit, needs them
    before anything else (its own numbers are the units')."""
    if not user.is_authenticated:
        return []
    return page_cache.remember(
        "units-of-user",
        parts=[user.pk],
        compute=lambda: list(Unit.objects.filter(members__user=user).order_by("name")),
    )


def assignments_for_units(*, period: Period, unit_ids) -> QuerySet[Assignment]:
    """A units' assignments in a period, in instrument order, with question, indicator, group."""
    return (
        Assignment.objects.filter(question__indicator__group__period=period, unit_id__in=unit_ids)
        .select_related("question__indicator__group", "unit")
        .order_by(
            "question__indicator__group__order",
            "question__indicator__order",
            "question__order",
            "question__pk",
            "unit__name",
        )
    )


def questions_without_lead(*, period: Period) -> QuerySet[Question]:
    """Questions nobody answers: no lead unit, and no unit answering for itself."""
    return (
        Question.objects.filter(indicator__group__period=period)
        .exclude(assignments__role__in=Assignment.ANSWERING)
        .select_related("indicator__group")
    )


def unit_assignment_counts(*, period: Period) -> QuerySet[Unit]:
    """Units with how many questions they lead and support in the period."""
    in_period = Q(assignments__question__indicator__group__period=period)
    return (
        Unit.objects.annotate(
            n_lead=Count("assignments", filter=in_period & Q(assignments__role="lead")),
            n_support=Count("assignments", filter=in_period & Q(assignments__role="support")),
        )
        .filter(Q(n_lead__gt=0) | Q(n_support__gt=0))
        .order_by("-n_lead", "name")
    )


def unit_shortfall(*, period: Period | None) -> list[dict]:
    """Kinds of unit (kecamatan, desa/kelurahan) the district has fewer of registered than
    the period's official number: a per-unit question's share counts the missing ones as
    "no", which the secretariat should see before it reads a share. One query (none when the
    period holds no official number)."""
    if period is None or (period.official_kecamatan is None and period.official_desa is None):
        return []
    registered = dict(
        Unit.objects.filter(is_active=True, kind__in=[Unit.Kind.KECAMATAN, Unit.Kind.DESA])
        .order_by()
        .values("kind")
        .annotate(n=Count("pk"))
        .values_list("kind", "n")
    )
    short = []
    for kind, official in (
        (Unit.Kind.KECAMATAN, period.official_kecamatan),
        (Unit.Kind.DESA, period.official_desa),
    ):
        if official is not None and registered.get(kind, 0) < official:
            short.append(
                {"kind": kind.label, "registered": registered.get(kind, 0), "official": official}
            )
    return short


def coordinated_groups(*, period: Period, unit_ids) -> list[Group]:
    """The period's groups (clusters) these units coordinate, as the task force's decree names
    them (TaskForceMember: the one stored fact), in instrument order. One query."""
    return list(
        Group.objects.filter(
            period=period,
            coordinators__role=TaskForceMember.Role.COORDINATOR,
            coordinators__unit_id__in=unit_ids,
        )
        .distinct()
        .order_by("order", "pk")
    )
