"""The verification risk for templates: a period's points at risk, read from opd/risk.py's
verdicts (kept per unit by the page cache), outside the dashboards' cached fragments, whose
scopes (the score, the progress) do not move when a narrative or a file's new version does."""

from django import template

from opd import risk

register = template.Library()


@register.simple_tag
def risk_summary(period):
    """Points at risk and the answers per level of `period`, None without a period."""
    return risk.summary(period) if period is not None else None
