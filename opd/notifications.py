"""Mail to units and to the secretariat. Called after the commit of the change it reports.

Mail is written in Indonesian (the task force's language) whatever the sender's UI language.
"""

import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import translation

from opd.models import Answer

log = logging.getLogger(__name__)
MAIL_LANGUAGE = "id"


def _unit_recipients(unit) -> list[str]:
    users = get_user_model().objects.filter(profile__units=unit, is_active=True).exclude(email="")
    return sorted({u.email for u in users})


def send_mail_template(*, template: str, context: dict, recipients: list[str]) -> int:
    """Render templates/emails/<template>.{subject.txt,txt,html} in Indonesian and send."""
    if not recipients:
        return 0
    with translation.override(MAIL_LANGUAGE):
        context = {"district_name": settings.KLA_DISTRICT_NAME, **context}
        subject = render_to_string(f"emails/{template}.subject.txt", context).strip()
        text = render_to_string(f"emails/{template}.txt", context)
        html = render_to_string(f"emails/{template}.html", context)
    message = EmailMultiAlternatives(subject=" ".join(subject.split()), body=text, to=recipients)
    message.attach_alternative(html, "text/html")
    return message.send()


def _answer(answer_id: int) -> Answer:
    return Answer.objects.select_related(
        "question__indicator__group__period", "unit", "reviewed_by"
    ).get(pk=answer_id)


def revision_requested(*, answer_id: int) -> int:
    answer = _answer(answer_id)
    return send_mail_template(
        template="revision_requested",
        context={"answer": answer, "question": answer.question},
        recipients=_unit_recipients(answer.unit),
    )


def approved_with_fewer_points(*, answer_id: int) -> int:
    answer = _answer(answer_id)
    return send_mail_template(
        template="approved_fewer_points",
        context={"answer": answer, "question": answer.question},
        recipients=_unit_recipients(answer.unit),
    )
