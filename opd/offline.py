"""What the answer page's device queue and autosave need from the server, besides the save.

A unit's phone keeps what was typed without a connection (assets/js/offline.js) and sends it
later through services.answer_save, like the form does. Three things can have changed
meanwhile, and none may be overwritten silently: the answer (its version), the question
(its stamp, below), the unit's right to write it (access and the window, which the service
checks). This module words them for the page, so the person sees both sides and decides.
"""

import hashlib
import json

from django.db import transaction
from django.utils import timezone

from core import formats as fmt
from core.errors import DomainError
from indicators.models import Question
from opd import access, services
from opd.models import Answer


class QuestionChanged(DomainError):
    """The question was reworded (or its points or options changed) after the device queued
    its answer: the answer may no longer fit it."""


def question_stamp(question: Question) -> str:
    """A short fingerprint of what a unit reads before it answers: the text, the maximum,
    the evidence asked for and the options. The page carries it; the queue sends it back."""
    options = list(question.options.order_by("pk").values_list("pk", "label", "points"))
    parts = [question.text, str(question.max_points), question.evidence, options]
    raw = json.dumps(parts, default=str, ensure_ascii=False)
    return hashlib.sha256(raw.encode()).hexdigest()[:16]


def answer_values(answer: Answer | None) -> dict:
    """The server's side of a conflict, as the page shows it next to the device's."""
    if answer is None:
        return {"narrative": "", "data_values": "", "points": "", "option": "", "version": 0}
    return {
        "narrative": answer.narrative,
        "data_values": "\n".join(f"{k}: {v}" for k, v in answer.data_values.items()),
        "points": "" if answer.claimed_points is None else fmt.points(answer.claimed_points),
        "option": answer.option.label if answer.option_id else "",
        "version": answer.version,
        "status": answer.get_status_display(),
    }


def _has_content(answer: Answer) -> bool:
    return bool(
        answer.narrative
        or answer.data_values
        or answer.claimed_points is not None
        or answer.option_id
    )


def queued_answer_save(
    *,
    acc: access.AnswerAccess,
    user,
    cleaned: dict,
    expected_version: int | None,
    stamp: str,
    force: bool,
    ip: str | None,
) -> Answer:
    """Save what the device sends (autosave or its queue) through services.answer_save.

    `expected_version` 0 means the device saw no answer: if one with content exists now,
    someone else wrote it meanwhile, and that is a conflict like a newer version. `force`
    (the person chose "send anyway" after seeing the question's change) skips the stamp.
    """
    if stamp and not force and stamp != question_stamp(acc.question):
        raise QuestionChanged("question_changed", code="question_changed")
    with transaction.atomic():
        answer = acc.answer or services.answer_open(question=acc.question, unit=acc.unit)
        if expected_version == 0 and _has_content(answer):
            expected_version = -1  # the service words the conflict as for a newer version
        return services.answer_save(
            answer=answer,
            user=user,
            claimed_points=cleaned.get("claimed_points"),
            option=cleaned.get("option"),
            narrative=cleaned["narrative"],
            data_values=cleaned["data_values"],
            expected_version=expected_version or None,
            ip=ip,
        )


def saved_at(answer: Answer) -> str:
    """The time the page shows after an autosave, as people write it here (10.42)."""
    return timezone.localtime(answer.updated_at).strftime("%H.%M")
