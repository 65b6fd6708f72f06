"""Writing the audit trail, and reading it as people do.

Services call `audit_log` inside their transaction. `audit_value` and `audit_summary` are the
one place an audit value becomes text: the audit trail page, its CSV and the answer page's
history all show events through them ("— → 4,50", not "None → 4.50"; statuses and options
by their labels; numbers in the reader's language).
"""

import datetime
from typing import Any

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.utils.translation import gettext as _

from core import formats as fmt
from indicators.models import OfficialResult, Period
from opd.models import Answer, AuditEvent

NOTHING = "—"


def client_ip(request) -> str | None:
    """The caller's address. Behind nginx, REMOTE_ADDR is set from X-Real-IP by the proxy."""
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


def audit_log(
    *,
    action: str,
    actor=None,
    ip: str | None = None,
    period=None,
    unit=None,
    answer=None,
    summary: str = "",
    data: dict[str, Any] | None = None,
) -> AuditEvent:
    if answer is not None:
        period = period or answer.question.indicator.group.period
        unit = unit or answer.unit
    return AuditEvent.objects.create(
        action=action,
        actor=actor if actor is not None and actor.is_authenticated else None,
        ip_address=ip,
        period=period,
        unit=unit,
        answer=answer,
        summary=summary[:500],
        data=data or {},
    )


# --- Reading ---------------------------------------------------------------------------------


def points_text(value) -> str:
    """Points as people read them (core.formats); values come from the trail as strings
    ("4.50") or Decimals."""
    return fmt.points(value)


def _status_text(value, choices=Answer.Status) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return str(value)


def _date_text(value) -> str:
    try:
        day = datetime.date.fromisoformat(str(value))
    except ValueError:
        return str(value)
    return fmt.day(day)


def audit_value(value, *, kind: str = "") -> str:
    """One value of the trail as text. `kind` says what it is: "points" (also the points
    fields by name), "status" (an answer's), "period_status", "date"; an option is stored by
    its label and shown as it is."""
    if value is None or value == "":
        return NOTHING
    if kind in ("points", "claimed_points", "verified_points"):
        return points_text(value)
    if kind == "status":
        return _status_text(value)
    if kind == "period_status":
        return _status_text(value, Period.Status)
    if kind == "date":
        return _date_text(value)
    return str(value)


def _change(old, new, kind: str) -> str:
    return f"{audit_value(old, kind=kind)} → {audit_value(new, kind=kind)}"


def _field_label(field: str) -> str:
    return {
        "claimed_points": _("Points claimed"),
        "verified_points": _("Verified points"),
    }.get(field, field)


_OFFICIAL_KINDS = {"final_score": "points", "entered_on": "date", "field_verification_on": "date"}


def _official_label(name: str) -> str:
    try:
        return str(OfficialResult._meta.get_field(name).verbose_name).capitalize()
    except FieldDoesNotExist:
        return name


# Fields changed in the admin whose values are not shown as they are stored.
_ADMIN_KINDS = {
    ("opd.Answer", "status"): "status",
    ("indicators.Period", "status"): "period_status",
    ("indicators.Period", "window_opens"): "date",
    ("indicators.Period", "window_closes"): "date",
    ("indicators.Period", "entry_date"): "date",
    ("opd.Extension", "until"): "date",
}
_POINTS_FIELDS = {
    "claimed_points",
    "verified_points",
    "max_points",
    "points",
    "lower_bound",
    "final_score",
    "declared_max_points",
}


def _admin_field(model: str, name: str) -> tuple[str, str]:
    """The label of a field changed in the admin, and the kind of its values."""
    kind = _ADMIN_KINDS.get((model, name), "points" if name in _POINTS_FIELDS else "")
    try:
        label = str(apps.get_model(model)._meta.get_field(name).verbose_name)
    except (LookupError, ValueError, FieldDoesNotExist):
        label = name
    return label, kind


def audit_summary(event: AuditEvent) -> str:
    """What the event did, in the reader's language, from what it recorded; the summary
    written at the time when it recorded nothing more (a note, a file name)."""
    data, action = event.data or {}, event.action
    if action == AuditEvent.Action.POINTS_CHANGE and "field" in data:
        text = (
            f"{_field_label(data['field'])}: {_change(data.get('old'), data.get('new'), 'points')}"
        )
        option = data.get("option")
        if option:
            text += f" ({_change(option.get('old'), option.get('new'), 'option')})"
        return text
    if action == AuditEvent.Action.ANSWER_APPROVE and "verified" in data:
        text = _("Approved with %(points)s of %(claimed)s points claimed") % {
            "points": points_text(data["verified"]),
            "claimed": points_text(data.get("claimed")),
        }
        if data.get("option"):
            text += f" ({data['option']})"
        if data.get("reason"):
            text += f": {data['reason']}"
        return text
    if action == AuditEvent.Action.ANSWER_SUBMIT and "points" in data:
        return _("Submitted with %(points)s points") % {"points": points_text(data["points"])}
    if action == AuditEvent.Action.ANSWER_REOPEN and "verified_before" in data:
        return _("%(reason)s (verified points before: %(points)s)") % {
            "reason": event.summary,
            "points": points_text(data["verified_before"]),
        }
    if action == AuditEvent.Action.EXTENSION_GRANT and "until" in data:
        text = _("Extension until %(day)s") % {"day": audit_value(data["until"], kind="date")}
        return f"{text}: {data['reason']}" if data.get("reason") else text
    if action == AuditEvent.Action.ADMIN_CHANGE and data.get("fields"):
        changes = "; ".join(
            f"{_admin_field(data.get('model', ''), name)[0]}: "
            f"{_change(old, new, _admin_field(data.get('model', ''), name)[1])}"
            for name, (old, new) in data["fields"].items()
        )
        return f"{event.summary} ({changes})"
    if action == AuditEvent.Action.PERIOD_CHANGE and data.get("official"):
        return "; ".join(
            f"{_official_label(name)}: {_change(old, new, _OFFICIAL_KINDS.get(name, ''))}"
            for name, (old, new) in data["official"].items()
        )
    return event.summary
