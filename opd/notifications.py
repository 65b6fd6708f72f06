"""Mail to units and to the secretariat. Called after the commit of the change it reports.

Mail is written in Indonesian (the task force's language) whatever the sender's UI language.
"""

import datetime
import logging
from dataclasses import dataclass, field
from itertools import groupby

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import timezone, translation

from opd.models import Answer, Assignment, Profile, answers_itself

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


def _secretariat_recipients() -> list[str]:
    users = (
        get_user_model()
        .objects.filter(profile__role__in=[Profile.Role.SECRETARIAT], is_active=True)
        .exclude(email="")
    )
    return sorted({u.email for u in users})


def digest_send(*, now=None, since_hours: int = 24) -> int:
    """One mail to the secretariat listing the answers submitted in the last `since_hours`.

    Returns the number of answers listed; sends nothing when there are none.
    """
    now = now or timezone.now()
    since = now - datetime.timedelta(hours=since_hours)
    answers = list(
        Answer.objects.filter(status=Answer.Status.SUBMITTED, submitted_at__gte=since)
        .select_related("question__indicator__group__period", "unit")
        .order_by("unit__name", "submitted_at")
    )
    if not answers:
        return 0
    queue = Answer.objects.filter(status=Answer.Status.SUBMITTED).count()
    by_unit = [(unit, list(rows)) for unit, rows in groupby(answers, key=lambda a: a.unit)]
    send_mail_template(
        template="digest",
        context={"by_unit": by_unit, "count": len(answers), "queue": queue, "since": since},
        recipients=_secretariat_recipients(),
    )
    return len(answers)


@dataclass
class ReminderReport:
    units_mailed: int = 0
    questions_listed: int = 0
    skipped_reason: str = ""
    lines: list[str] = field(default_factory=list)


def reminders_send(*, period, days: int, today=None, dry_run: bool = False) -> ReminderReport:
    """Mail each unit its unanswered or unsubmitted questions when its deadline is near.

    A unit's deadline is the window's end or its extension; units whose deadline is more than
    `days` away, or already past, get nothing. Four queries whatever the number of units.
    """
    from opd.deadlines import unit_deadlines

    today = today or timezone.localdate()
    report = ReminderReport()
    if period.is_locked:
        report.skipped_reason = "locked"
        return report
    assignments = list(
        Assignment.objects.filter(question__indicator__group__period=period)
        .select_related("question__indicator", "unit")
        .order_by("unit__name", "question__indicator__order", "question__order")
    )
    done = set(
        Answer.objects.filter(
            question__indicator__group__period=period,
            status__in=[Answer.Status.SUBMITTED, Answer.Status.APPROVED],
        ).values_list("question_id", "unit_id")
    )
    outstanding: dict[int, list] = {}
    units = {}
    for a in assignments:
        q = a.question
        answers_here = answers_itself(q, a.unit) if q.answered_per_unit else a.role == "lead"
        if answers_here and (q.pk, a.unit_id) not in done:
            outstanding.setdefault(a.unit_id, []).append(q)
            units[a.unit_id] = a.unit
    deadlines = dict(
        (u.pk, d) for u, d in unit_deadlines(period=period, units=list(units.values()))
    )
    members: dict[int, list[str]] = {}
    for unit_id, email in (
        get_user_model()
        .objects.filter(profile__units__in=list(units), is_active=True)
        .exclude(email="")
        .values_list("profile__units", "email")
    ):
        members.setdefault(unit_id, []).append(email)
    for unit_id, questions in outstanding.items():
        deadline = deadlines[unit_id]
        left = (deadline - today).days
        if left < 0 or left > days:
            continue
        report.units_mailed += 1
        report.questions_listed += len(questions)
        report.lines.append(f"{units[unit_id].short_name}: {len(questions)} questions, {left} days")
        if not dry_run:
            send_mail_template(
                template="reminder",
                context={"unit": units[unit_id], "questions": questions, "deadline": deadline,
                         "days_left": left, "period": period},
                recipients=sorted(set(members.get(unit_id, []))),
            )  # fmt: skip
    return report
