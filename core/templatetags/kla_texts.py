"""{% constant_include "name.html" %}: a partial of fixed texts, kept rendered per language.

The offline and upload scripts read their texts from the page (a <template> of translated
spans): forty {% translate %} tags on every page of a unit's member, rendered again for each
request although they change only with the language. A partial included so may hold only text,
comments and {% translate %} of a fixed text: anything else (a variable, a filter, another tag)
is refused when it is rendered, so a kept copy can never show one request's values to another.
"""

from django import template
from django.template.base import TextNode
from django.template.defaulttags import CommentNode, LoadNode
from django.template.loader import get_template
from django.templatetags.i18n import TranslateNode
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

from core import page_cache

register = template.Library()


def _fixed(node) -> bool:
    if isinstance(node, (TextNode, CommentNode, LoadNode)):
        return True
    if isinstance(node, TranslateNode):
        text = node.filter_expression
        return (
            text.var.literal is not None  # a quoted text, not a variable
            and not text.filters
            and node.asvar is None
            # A fixed context is kept as its text, a variable as a Variable.
            and (node.message_context is None or isinstance(node.message_context.var, str))
        )
    return False


def check_fixed(nodelist, name: str) -> None:
    """TemplateSyntaxError unless every node is text, a comment or a fixed translation."""
    for node in nodelist:
        if not _fixed(node):
            raise template.TemplateSyntaxError(
                f"{name} holds {type(node).__name__}: constant_include keeps only text, "
                "comments and {% translate %} of a fixed text"
            )


def render_fixed(name: str) -> str:
    """The partial `name` in the active language, after check_fixed."""
    kept = get_template(name)
    check_fixed(kept.template.nodelist, name)
    return kept.render({})


@register.simple_tag
def constant_include(name: str) -> str:
    if not page_cache.enabled():
        return mark_safe(render_fixed(name))  # noqa: S308 - a template's own output
    key = ("constant-include", name, get_language())
    html = page_cache.memo.get(key)
    if html is None:
        html = render_fixed(name)
        page_cache.memo.set(key, html)
    return mark_safe(html)  # noqa: S308 - a template's own output
