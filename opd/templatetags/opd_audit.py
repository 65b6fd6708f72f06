"""The audit trail as people read it, for templates (the wording lives in opd/audit.py)."""

from django import template

from opd import audit

register = template.Library()


@register.filter
def audit_summary(event) -> str:
    return audit.audit_summary(event)


@register.filter
def audit_value(value, kind: str = "") -> str:
    return audit.audit_value(value, kind=kind)
