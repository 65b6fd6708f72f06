"""Writing the audit trail. Services call `audit_log` inside their transaction."""

from typing import Any

from opd.models import AuditEvent


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
