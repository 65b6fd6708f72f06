"""The task force as the Bupati's decree sets it up, kept by the secretariat: the decree (a
registered SK) and the members, each with their role in the decree and where they come from.
A cluster coordinator's row names its unit and group: it opens the group's answers to that
unit's members (opd.access.coordinated_group_ids)."""

from django.db import transaction
from django.utils.translation import gettext as _

from core.errors import DomainError
from indicators.models import Group, Period
from opd.audit import audit_log
from opd.models import AuditEvent, Document, TaskForce, TaskForceMember, Unit
from opd.services._common import _check_not_locked


def _task_force(period: Period) -> TaskForce:
    """The period's task force under a row lock, created the first time it is written."""
    TaskForce.objects.get_or_create(period=period)
    return TaskForce.objects.select_for_update().select_related("period").get(period=period)


def _check_member(
    *,
    task_force: TaskForce,
    role: str,
    origin: str,
    unit: Unit | None,
    group: Group | None,
    name: str,
    member: TaskForceMember | None = None,
) -> None:
    if role not in TaskForceMember.Role.values or origin not in TaskForceMember.Origin.values:
        raise DomainError(_("Choose a role and where the member comes from."), code="choice")
    if not name:
        raise DomainError(_("Write the member's name as the decree does."), code="no_name")
    coordinator = role == TaskForceMember.Role.COORDINATOR
    if coordinator and (unit is None or group is None):
        raise DomainError(
            _("A cluster coordinator is a unit over a cluster: choose both."), code="coordinator"
        )
    if not coordinator and group is not None:
        raise DomainError(_("Only a cluster coordinator has a cluster."), code="group")
    if origin == TaskForceMember.Origin.AGENCY and unit is None:
        raise DomainError(_("Choose the agency the member comes from."), code="no_unit")
    if group is not None and group.period_id != task_force.period_id:
        raise DomainError(_("That cluster belongs to another year."), code="group_period")
    others = task_force.members.exclude(pk=member.pk if member else None)
    if coordinator and others.filter(role=role, group=group).exists():
        raise DomainError(
            _("%(group)s has a coordinator already: edit that row instead.")
            % {"group": group.name},
            code="coordinator_taken",
        )
    if role == TaskForceMember.Role.CHAIR and others.filter(role=role).exists():
        raise DomainError(_("The task force has a chair already."), code="chair_taken")


def _describe(member: TaskForceMember) -> dict:
    return {
        "name": member.name,
        "position": member.position,
        "role": member.role,
        "origin": member.origin,
        "unit": member.unit.short_name if member.unit else None,
        "group": member.group.name if member.group else None,
    }


def _log(*, user, ip, task_force: TaskForce, summary: str, data: dict) -> None:
    audit_log(
        action=AuditEvent.Action.TASK_FORCE_CHANGE,
        actor=user,
        ip=ip,
        period=task_force.period,
        summary=summary,
        data=data,
    )


@transaction.atomic
def task_force_decree_set(
    *, period: Period, user, decree: Document | None, ip: str | None = None
) -> TaskForce:
    """Link the period's task force to the Bupati's decree, a registered SK (None unlinks)."""
    _check_not_locked(period)
    task_force = _task_force(period)
    if decree is not None and decree.kind != Document.Kind.SK:
        raise DomainError(_("The decree is registered as an SK."), code="not_sk")
    before = str(task_force.decree) if task_force.decree_id else None
    task_force.decree = decree
    task_force.save(update_fields=["decree"])
    _log(
        user=user,
        ip=ip,
        task_force=task_force,
        summary=_("Decree: %(decree)s") % {"decree": decree or "—"},
        data={"decree": {"old": before, "new": str(decree) if decree else None}},
    )
    return task_force


@transaction.atomic
def task_force_member_add(
    *,
    period: Period,
    user,
    role: str,
    origin: str,
    name: str,
    position: str = "",
    unit: Unit | None = None,
    group: Group | None = None,
    ip: str | None = None,
) -> TaskForceMember:
    """Add a person the decree names; a coordinator's unit and cluster open the cluster's
    answers to the unit's members."""
    _check_not_locked(period)
    task_force = _task_force(period)
    name, position = (name or "").strip(), (position or "").strip()
    _check_member(
        task_force=task_force, role=role, origin=origin, unit=unit, group=group, name=name
    )
    member = TaskForceMember.objects.create(
        task_force=task_force,
        role=role,
        origin=origin,
        name=name[:200],
        position=position[:200],
        unit=unit,
        group=group,
        order=TaskForceMember.ROLE_ORDER[role],
    )
    _log(
        user=user,
        ip=ip,
        task_force=task_force,
        summary=_("Added %(member)s") % {"member": member},
        data={"added": _describe(member)},
    )
    return member


@transaction.atomic
def task_force_member_update(
    *,
    member: TaskForceMember,
    user,
    role: str,
    origin: str,
    name: str,
    position: str = "",
    unit: Unit | None = None,
    group: Group | None = None,
    ip: str | None = None,
) -> TaskForceMember:
    """Change a member's row (a new name after a change of office, another role)."""
    member = (
        TaskForceMember.objects.select_for_update(of=("self",))
        .select_related("task_force__period", "unit", "group")
        .get(pk=member.pk)
    )
    task_force = member.task_force
    _check_not_locked(task_force.period)
    name, position = (name or "").strip(), (position or "").strip()
    _check_member(
        task_force=task_force,
        role=role,
        origin=origin,
        unit=unit,
        group=group,
        name=name,
        member=member,
    )
    before = _describe(member)
    member.role, member.origin, member.name, member.position = role, origin, name, position
    member.unit, member.group, member.order = unit, group, TaskForceMember.ROLE_ORDER[role]
    member.save(update_fields=["role", "origin", "name", "position", "unit", "group", "order"])
    _log(
        user=user,
        ip=ip,
        task_force=task_force,
        summary=_("Changed %(member)s") % {"member": member},
        data={"old": before, "new": _describe(member)},
    )
    return member


@transaction.atomic
def task_force_member_remove(*, member: TaskForceMember, user, ip: str | None = None) -> None:
    """Remove a member (the decree was revised); a coordinator's unit loses the cluster."""
    member = (
        TaskForceMember.objects.select_for_update(of=("self",))
        .select_related("task_force__period", "unit", "group")
        .get(pk=member.pk)
    )
    task_force = member.task_force
    _check_not_locked(task_force.period)
    removed = _describe(member)
    member.delete()
    _log(
        user=user,
        ip=ip,
        task_force=task_force,
        summary=_("Removed %(name)s") % {"name": removed["name"]},
        data={"removed": removed},
    )
