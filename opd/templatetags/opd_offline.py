"""The question's stamp on the answer form: the device's queue sends it back with a save made
without a connection, and the server refuses it if the question changed meanwhile."""

from django import template

from opd.offline import question_stamp as _question_stamp

register = template.Library()


@register.filter
def question_stamp(question) -> str:
    return _question_stamp(question)
