"""Reads of the task force: its members as the decree lists them, a cluster's progress per
unit for its coordinator, and every cluster's progress with its coordinator for the Bupati."""

from dataclasses import dataclass, field

from django.db.models import Count, IntegerField, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce

from indicators.models import Group, Period
from opd.models import Answer, Assignment, TaskForce, TaskForceMember

NOT_STARTED = "not_started"
# The states a coordinator's page counts and filters by, in the answer's order of life.
CLUSTER_STATES = (
    NOT_STARTED,
    Answer.Status.DRAFT,
    Answer.Status.SUBMITTED,
    Answer.Status.REVISION_REQUESTED,
    Answer.Status.APPROVED,
)


def task_force_of(period: Period) -> tuple[TaskForce | None, list[TaskForceMember]]:
    """The period's task force (with its decree) and its members in the decree's order
    (chair, secretariat, coordinators by cluster, members), with unit and cluster. Two queries."""
    task_force = TaskForce.objects.filter(period=period).select_related("decree", "period").first()
    if task_force is None:
        return None, []
    members = list(
        task_force.members.select_related("unit", "group").order_by(
            "order", "group__order", "name", "pk"
        )
    )
    return task_force, members


@dataclass
class ClusterRow:
    """One answer of the cluster (or the place of one not started yet)."""

    question: object
    unit: object
    answer: Answer | None

    @property
    def status(self) -> str:
        return self.answer.status if self.answer else NOT_STARTED


@dataclass
class UnitProgress:
    unit: object
    counts: dict = field(default_factory=dict)  # state -> number of answers
    checked: int = 0

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def sent(self) -> int:
        """Answers that reached the coordinator or went further."""
        return sum(
            self.counts.get(s, 0)
            for s in (
                Answer.Status.SUBMITTED,
                Answer.Status.REVISION_REQUESTED,
                Answer.Status.APPROVED,
            )
        )


@dataclass
class ClusterProgress:
    units: list[UnitProgress]
    rows: list[ClusterRow]
    unit_choices: list[tuple[int, str]]


def cluster_progress(*, group: Group, status: str = "", unit_id: int | None = None):
    """Every answer a cluster expects (each answering assignment of its questions), per unit
    counted by state, and the rows the filters keep. Two queries: the answering assignments
    with their questions and units, the answers of the group."""
    assignments = list(
        Assignment.objects.answering()
        .filter(question__indicator__group=group)
        .select_related("question__indicator", "unit")
        .order_by("question__indicator__order", "question__order", "question__pk", "unit__name")
    )
    answers = {
        (a.question_id, a.unit_id): a
        for a in Answer.objects.filter(question__indicator__group=group).order_by()
    }
    per_unit: dict[int, UnitProgress] = {}
    rows = []
    for assignment in assignments:
        answer = answers.get((assignment.question_id, assignment.unit_id))
        row = ClusterRow(question=assignment.question, unit=assignment.unit, answer=answer)
        progress = per_unit.setdefault(assignment.unit_id, UnitProgress(unit=assignment.unit))
        progress.counts[row.status] = progress.counts.get(row.status, 0) + 1
        progress.checked += bool(answer and answer.coordinator_checked)
        checked_wanted = status == "checked"
        if checked_wanted and not (answer and answer.coordinator_checked):
            continue
        if status and not checked_wanted and row.status != status:
            continue
        if unit_id and assignment.unit_id != unit_id:
            continue
        rows.append(row)
    units = sorted(per_unit.values(), key=lambda p: p.unit.name)
    return ClusterProgress(
        units=units, rows=rows, unit_choices=[(p.unit.pk, p.unit.short_name) for p in units]
    )


def clusters_overview(*, period: Period) -> list[Group]:
    """Every group of the period with its coordinating unit's short name (`coordinator`, ""
    when the decree names none), the answers it expects (`expected`), those sent to review or
    further (`sent`) and those approved (`approved`). One query."""

    def counted(queryset):
        return Coalesce(
            Subquery(queryset.annotate(n=Count("pk")).values("n")[:1], output_field=IntegerField()),
            Value(0),
        )

    by_group = {"question__indicator__group": OuterRef("pk")}
    expected = (
        Assignment.objects.answering()
        .filter(**by_group)
        .order_by()
        .values("question__indicator__group")
    )
    answers = Answer.objects.filter(**by_group).order_by().values("question__indicator__group")
    coordinator = TaskForceMember.objects.filter(
        role=TaskForceMember.Role.COORDINATOR, group=OuterRef("pk")
    ).values("unit__short_name")[:1]
    return list(
        Group.objects.filter(period=period)
        .annotate(
            coordinator=Coalesce(Subquery(coordinator), Value("")),
            expected=counted(expected),
            sent=counted(
                answers.filter(
                    status__in=[
                        Answer.Status.SUBMITTED,
                        Answer.Status.REVISION_REQUESTED,
                        Answer.Status.APPROVED,
                    ]
                )
            ),
            approved=counted(answers.filter(status=Answer.Status.APPROVED)),
        )
        .order_by("order", "pk")
    )
