"""The formats of core.formats as template filters, built into every template (settings):
{{ score.verified|points }}, {{ band|bound }}, {{ share|percent:1 }}, {{ day|day }}."""

from django import template

from core import formats

register = template.Library()


@register.filter
def points(value, places=2):
    return formats.points(value, int(places))


@register.filter
def bound(value):
    return formats.bound(value)


@register.filter
def percent(value, places=0):
    return formats.percent(value, int(places))


@register.filter
def day(value):
    return formats.day(value)


@register.filter
def share(yes, of):
    """{{ table.n_yes|share:table.n_units }}: 10 dari 13 (76,9%)."""
    return formats.share(yes, of)
