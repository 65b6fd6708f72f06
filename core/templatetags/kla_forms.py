"""{{ form|crispy_kept }}: {{ form|crispy }}, kept rendered in the process for an unbound form.

The answer page, the commonest, shows four crispy forms; rendering their fields through
crispy's templates took a quarter of the page's CPU, for HTML that changes only with what the
form holds. An unbound form's HTML is made of its class, prefix and ids, the language, and per
field its kind, label, help text, flags, widget (its attributes, choices, format) and value:
the key is made of exactly those, read as plain values. A form holding anything that cannot be
read so (an object, a function in a widget) is rendered every time, as is a bound form (its
errors and the values typed). tests/test_kept_forms.py changes each part and checks the HTML
is rendered anew.
"""

import datetime
from decimal import Decimal

from crispy_forms.templatetags.crispy_forms_filters import as_crispy_form
from django import template
from django.utils.functional import Promise
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

from core import page_cache

register = template.Library()

_PLAIN = (str, int, float, bool, type(None), Decimal, datetime.date, datetime.time)


class _Unkeyable(Exception):
    """Something the form's HTML may depend on that is not a plain value."""


def _plain(value):
    if isinstance(value, Promise):  # a lazy translation
        return str(value)
    if isinstance(value, _PLAIN):
        return value
    if isinstance(value, dict):
        return tuple(sorted((str(k), _plain(v)) for k, v in value.items()))
    if isinstance(value, (list, tuple)):
        return tuple(_plain(item) for item in value)
    raise _Unkeyable(type(value).__name__)


def form_key(form) -> tuple | None:
    """Everything an unbound form's HTML is made of, as plain values; None when something is
    not plain (the form is then rendered every time)."""
    if form.is_bound:
        return None
    try:
        fields = tuple(
            (
                name,
                type(field).__qualname__,
                type(field.widget).__module__ + "." + type(field.widget).__qualname__,
                _plain(field.label),
                _plain(field.help_text),
                field.required,
                field.disabled,
                field.show_hidden_initial,
                field.localize,
                _plain(getattr(field, "choices", None)),
                _plain(vars(field.widget)),
                _plain(form[name].value()),
            )
            for name, field in form.fields.items()
        )
        return (
            type(form).__module__ + "." + type(form).__qualname__,
            _plain(form.prefix),
            _plain(form.auto_id),
            _plain(form.label_suffix),
            form.use_required_attribute,
            get_language(),
            fields,
        )
    except _Unkeyable:
        return None


@register.filter
def crispy_kept(form):
    key = form_key(form) if page_cache.enabled() else None
    if key is None:
        return as_crispy_form(form)
    key = ("crispy", key)
    html = page_cache.memo.get(key)
    if html is None:
        html = str(as_crispy_form(form))
        page_cache.memo.set(key, html)
    return mark_safe(html)  # noqa: S308 - crispy's own output, escaped there
