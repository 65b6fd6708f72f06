"""Which question of last year is this year's question.

A minimal version: the same text after case folding, punctuation stripped and spaces
collapsed, in the period of the year before. (The full version adds confirmed pairs; the
name and signature stay.)
"""

import re
import string

from indicators.models import Period, Question

_PUNCTUATION = re.compile(f"[{re.escape(string.punctuation)}“”‘’]+")


def text_key(text: str) -> str:
    return " ".join(_PUNCTUATION.sub(" ", text or "").casefold().split())


def previous_question_ids(period: Period) -> dict[int, int]:
    """This year's question id -> last year's, for the questions found in the year before.
    Two queries; empty when there is no period of year-1."""
    last = {}
    for pk, text in (
        Question.objects.filter(indicator__group__period__year=period.year - 1)
        .order_by("pk")
        .values_list("pk", "text")
    ):
        last.setdefault(text_key(text), pk)
    if not last:
        return {}
    found = {}
    for pk, text in (
        Question.objects.filter(indicator__group__period=period)
        .order_by()
        .values_list("pk", "text")
    ):
        previous = last.get(text_key(text))
        if previous is not None:
            found[pk] = previous
    return found
