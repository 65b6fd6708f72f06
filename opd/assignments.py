"""Keeping the stored statement of who answers (Assignment) in step with instrument and units.

The rule, written once: an ordinary question is answered by the first unit the instrument
lists (lead), the others support; a question every kecamatan or every desa answers is
answered by each such active unit for itself (per unit), and the units the instrument lists
coordinate. Every place that needs to know who answers reads the Assignment rows; these
services are the only writers, called by the instrument import, the people import and the
admin when a question's flags or a unit change.

A unit that has answered keeps its assignment when the instrument or the unit changes: its
answer and evidence must not disappear because a spreadsheet changed (it stays a supporting
or coordinating unit; a per-unit unit stays per unit).
"""

from dataclasses import dataclass, field

from django.db import transaction
from django.utils.translation import gettext as _

from indicators.models import Period, Question
from opd.models import Assignment, Unit

ROLE = Assignment.Role


@dataclass
class SyncReport:
    changed: int = 0
    notes: list[str] = field(default_factory=list)


def per_unit_kinds(question: Question) -> set[str]:
    """The kinds of unit that answer the question for themselves (empty: an ordinary one)."""
    kinds = set()
    if question.every_kecamatan:
        kinds.add(Unit.Kind.KECAMATAN)
    if question.every_desa:
        kinds.add(Unit.Kind.DESA)
    return kinds


def wanted_roles(*, question: Question, listed: list[Unit], units_by_kind) -> dict[int, str]:
    """Unit id -> role for the question, from the units the instrument lists (lead first) and
    the active units of each kind (`units_by_kind[kind]`)."""
    kinds = per_unit_kinds(question)
    if not kinds:
        return {u.pk: ROLE.LEAD if i == 0 else ROLE.SUPPORT for i, u in enumerate(listed)}
    wanted = {u.pk: ROLE.COORDINATOR for u in listed}
    for kind in sorted(kinds):
        wanted.update({u.pk: ROLE.PER_UNIT for u in units_by_kind.get(kind, [])})
    return wanted


def _kept_role(question: Question, assignment: Assignment) -> str:
    """The role of a unit that answered but is no longer wanted: it keeps its work."""
    if assignment.role == ROLE.PER_UNIT:
        return ROLE.PER_UNIT
    return ROLE.COORDINATOR if per_unit_kinds(question) else ROLE.SUPPORT


def question_assignments_set(
    *, question: Question, wanted: dict[int, str], report: SyncReport
) -> None:
    """Make the question's assignments match `wanted` (unit id -> role), keeping answerers."""
    current = {a.unit_id: a for a in question.assignments.select_related("unit")}
    answered = set(question.answers.values_list("unit_id", flat=True))
    wanted = dict(wanted)
    for unit_id, assignment in current.items():
        if unit_id in wanted:
            continue
        if unit_id in answered:
            wanted[unit_id] = _kept_role(question, assignment)
            report.notes.append(
                _("%(question)s: %(unit)s has answered; its assignment is kept.")
                % {"question": question, "unit": assignment.unit}
            )
        else:
            assignment.delete()
            report.changed += 1
    # Demote before promoting, so the single-lead constraint holds at every step.
    for unit_id, assignment in current.items():
        if assignment.role == ROLE.LEAD and wanted.get(unit_id, ROLE.LEAD) != ROLE.LEAD:
            assignment.role = wanted[unit_id]
            assignment.save(update_fields=["role"])
            report.changed += 1
    for unit_id, role in wanted.items():
        assignment = current.get(unit_id)
        if assignment is None:
            Assignment.objects.create(question=question, unit_id=unit_id, role=role)
            report.changed += 1
        elif assignment.role != role:
            assignment.role = role
            assignment.save(update_fields=["role"])
            report.changed += 1


def active_units_by_kind() -> dict[str, list[Unit]]:
    units: dict[str, list[Unit]] = {}
    for unit in Unit.objects.filter(
        is_active=True, kind__in=[Unit.Kind.KECAMATAN, Unit.Kind.DESA]
    ).order_by("name"):
        units.setdefault(unit.kind, []).append(unit)
    return units


@transaction.atomic
def question_assignments_sync(*, question: Question) -> SyncReport:
    """After a question's flags changed (the admin): the same units, roles per the rule.

    The units it lists are the current lead, supporting and coordinating ones, lead first.
    """
    report = SyncReport()
    assigned = list(question.assignments.exclude(role=ROLE.PER_UNIT).select_related("unit"))
    assigned.sort(key=lambda a: (a.role != ROLE.LEAD, a.unit.name))
    listed = [a.unit for a in assigned]
    wanted = wanted_roles(question=question, listed=listed, units_by_kind=active_units_by_kind())
    question_assignments_set(question=question, wanted=wanted, report=report)
    return report


@transaction.atomic
def unit_assignments_sync(*, unit: Unit) -> SyncReport:
    """After a unit was created or changed kind or activity: per-unit questions of every
    period that is not locked gain it, or lose it where it has not answered."""
    report = SyncReport()
    questions = Question.objects.exclude(indicator__group__period__status=Period.Status.LOCKED)
    answers_for_itself = unit.is_active and unit.kind in (Unit.Kind.KECAMATAN, Unit.Kind.DESA)
    flag = "every_kecamatan" if unit.kind == Unit.Kind.KECAMATAN else "every_desa"
    wanted = set(
        questions.filter(**{flag: True}).values_list("pk", flat=True) if answers_for_itself else []
    )
    current = {
        a.question_id: a
        for a in Assignment.objects.filter(unit=unit, question__in=questions, role=ROLE.PER_UNIT)
    }
    answered = set(unit.answers.filter(question__in=current).values_list("question_id", flat=True))
    for question_id, assignment in current.items():
        if question_id not in wanted and question_id not in answered:
            assignment.delete()
            report.changed += 1
    others = dict(
        Assignment.objects.filter(unit=unit, question_id__in=wanted)
        .exclude(role=ROLE.PER_UNIT)
        .values_list("question_id", "pk")
    )
    for question_id in sorted(wanted - set(current)):
        if question_id in others:
            # Listed as a coordinator of a question it must answer itself: it answers.
            Assignment.objects.filter(pk=others[question_id]).update(role=ROLE.PER_UNIT)
        else:
            Assignment.objects.create(question_id=question_id, unit=unit, role=ROLE.PER_UNIT)
        report.changed += 1
    return report
