"""The question's stamp on the answer form: the device's queue sends it back with a save made
without a connection, and the server refuses it if the question changed meanwhile."""

from django import template

from core import page_cache
from opd.offline import question_stamp as _question_stamp

register = template.Library()


@register.filter
def question_stamp(question) -> str:
    """Kept until the instrument changes ("all"): the answer page, the commonest, need not read
    the question's options for it at every view. The queue's save compares afresh."""
    return page_cache.remember(
        "question-stamp", parts=[question.pk], compute=lambda: _question_stamp(question)
    )
