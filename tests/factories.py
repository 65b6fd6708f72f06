"""factory_boy factories for the instrument, units and people."""

import datetime
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model

from indicators.models import DEFAULT_RANK_BANDS, Group, Indicator, Period, Question, RankBand
from opd.models import Assignment, Profile, TaskForce, TaskForceMember, Unit

PASSWORD = "kla-test-Pass-2024"  # noqa: S105


class PeriodFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Period
        django_get_or_create = ["year"]
        skip_postgeneration_save = True

    year = factory.Sequence(lambda n: 2030 + n)
    status = Period.Status.OPEN
    window_opens = factory.LazyAttribute(lambda p: datetime.date(p.year, 1, 15))
    window_closes = factory.LazyAttribute(lambda p: datetime.date(p.year, 3, 31))
    entry_date = factory.LazyAttribute(lambda p: datetime.date(p.year, 4, 15))
    target_rank = "Madya"

    @factory.post_generation
    def bands(period, create, extracted, **kwargs):
        if not create:
            return
        # bulk_create, as the instrument import does: a period made already locked (a past
        # year) gets its bands, which RankBand.save() would refuse.
        RankBand.objects.bulk_create(
            [
                RankBand(period=period, name=name, lower_bound=bound)
                for name, bound in extracted or DEFAULT_RANK_BANDS
            ],
            ignore_conflicts=True,
        )


class GroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Group

    period = factory.SubFactory(PeriodFactory)
    name = factory.Sequence(lambda n: f"Klaster {n}")
    order = factory.Sequence(lambda n: n)
    declared_max_points = None


class IndicatorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Indicator

    group = factory.SubFactory(GroupFactory)
    code = factory.Sequence(lambda n: str(n + 1))
    name = factory.Sequence(lambda n: f"Indikator {n + 1}")
    order = factory.Sequence(lambda n: n)
    max_points = Decimal("30.00")


class QuestionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Question

    indicator = factory.SubFactory(IndicatorFactory)
    code = factory.Sequence(lambda n: f"{n + 1}")
    text = factory.Sequence(lambda n: f"Apakah tersedia dokumen nomor {n + 1}?")
    order = factory.Sequence(lambda n: n)
    max_points = Decimal("10.00")


class UnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Unit
        django_get_or_create = ["short_name"]

    name = factory.Sequence(lambda n: f"Dinas Contoh {n}")
    short_name = factory.Sequence(lambda n: f"DC{n}")
    kind = Unit.Kind.DINAS


class AssignmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Assignment

    question = factory.SubFactory(QuestionFactory)
    unit = factory.SubFactory(UnitFactory)
    role = Assignment.Role.LEAD


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.test")
    first_name = factory.Sequence(lambda n: f"Pengguna {n}")
    password = factory.django.Password(PASSWORD)

    @factory.post_generation
    def role(user, create, extracted, **kwargs):
        """`UserFactory(role="secretariat", units=[unit])` sets the profile in one go."""
        if not create:
            return
        profile = user.profile
        profile.role = extracted or Profile.Role.OPD
        profile.save(update_fields=["role"])

    @factory.post_generation
    def units(user, create, extracted, **kwargs):
        if create and extracted:
            user.profile.units.add(*extracted)


def task_force_member(*, period, role, name, unit=None, group=None, **fields) -> TaskForceMember:
    """A person the year's decree names (the task force is made on first use)."""
    task_force, _created = TaskForce.objects.get_or_create(period=period)
    return TaskForceMember.objects.create(
        task_force=task_force,
        role=role,
        name=name,
        unit=unit,
        group=group,
        order=TaskForceMember.ROLE_ORDER[role],
        **fields,
    )


def cluster_coordinator(*, group, unit, name="Kepala Bappeda") -> TaskForceMember:
    """`unit` named coordinator of `group` by its year's decree."""
    return task_force_member(
        period=group.period,
        role=TaskForceMember.Role.COORDINATOR,
        name=name,
        unit=unit,
        group=group,
    )
