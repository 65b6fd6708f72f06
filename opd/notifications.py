"""Mail to units and to the secretariat. Called after the commit of the change it reports.

Mail is written in Indonesian (the task force's language) whatever the sender's UI language,
with times in the district's time zone (settings.TIME_ZONE, Asia/Jakarta) and absolute links
built on settings.KLA_BASE_URL (core/links.py).

Cron (docs/deploy.md): `send_reminders` and `send_digest` run once a day each.
"""

import datetime
import logging
from dataclasses import dataclass, field
from itertools import groupby

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from core.links import site_url
from opd import access
from opd.models import Answer, Assignment, Document, Profile

log = logging.getLogger(__name__)
MAIL_LANGUAGE = "id"


def absolute_url(name: str, *args) -> str:
    """The full address of a page, for links in mail: on KLA_BASE_URL (core/links.py)."""
    return site_url() + reverse(name, args=args)


def _unit_recipients(unit) -> list[str]:
    users = get_user_model().objects.filter(profile__units=unit, is_active=True).exclude(email="")
    return sorted({u.email for u in users})


def send_mail_template(*, template: str, context: dict, recipients: list[str]) -> int:
    """Render templates/emails/<template>.{subject.txt,txt,html} in Indonesian and send."""
    if not recipients:
        return 0
    with translation.override(MAIL_LANGUAGE), timezone.override(settings.TIME_ZONE):
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


def _answer_context(answer: Answer) -> dict:
    return {
        "answer": answer,
        "question": answer.question,
        "answer_url": absolute_url("opd:answer", answer.question_id, answer.unit_id),
    }


def revision_requested(*, answer_id: int) -> int:
    """Tell the answering unit what the secretariat wants changed, and until when."""
    from opd.deadlines import unit_deadline

    answer = _answer(answer_id)
    deadline = unit_deadline(period=answer.question.indicator.group.period, unit=answer.unit)
    return send_mail_template(
        template="revision_requested",
        context={
            **_answer_context(answer),
            "deadline": deadline,
            "deadline_passed": deadline < timezone.localdate(),
        },
        recipients=_unit_recipients(answer.unit),
    )


def coordinator_returned(*, answer_id: int) -> int:
    """Tell the answering unit what its cluster's coordinator wants changed, and until when."""
    from opd.deadlines import unit_deadline

    answer = Answer.objects.select_related(
        "question__indicator__group__period", "unit", "reviewed_by", "returned_by_coordinator"
    ).get(pk=answer_id)
    deadline = unit_deadline(period=answer.question.indicator.group.period, unit=answer.unit)
    return send_mail_template(
        template="coordinator_returned",
        context={
            **_answer_context(answer),
            "coordinator": answer.returned_by_coordinator,
            "deadline": deadline,
            "deadline_passed": deadline < timezone.localdate(),
        },
        recipients=_unit_recipients(answer.unit),
    )


def provincial_returned(*, return_id: int) -> int:
    """Tell each answering unit of a returned question what the province asks, and until when."""
    from opd.models import ProvincialReturn

    provincial_return = ProvincialReturn.objects.select_related(
        "question__indicator__group__period"
    ).get(pk=return_id)
    question = provincial_return.question
    sent = 0
    for assignment in (
        Assignment.objects.answering().filter(question=question).select_related("unit")
    ):
        sent += send_mail_template(
            template="provincial_return",
            context={
                "provincial_return": provincial_return,
                "question": question,
                "unit": assignment.unit,
                "answer_url": absolute_url("opd:answer", question.pk, assignment.unit_id),
            },
            recipients=_unit_recipients(assignment.unit),
        )
    return sent


def approved_with_fewer_points(*, answer_id: int) -> int:
    """Tell the answering unit that fewer points were verified than it claimed, and why."""
    answer = _answer(answer_id)
    return send_mail_template(
        template="approved_fewer_points",
        context=_answer_context(answer),
        recipients=_unit_recipients(answer.unit),
    )


def _secretariat_recipients() -> list[str]:
    users = (
        get_user_model()
        .objects.filter(profile__role=Profile.Role.SECRETARIAT, is_active=True)
        .exclude(email="")
    )
    return sorted({u.email for u in users})


def digest_send(*, now=None, since_hours: int = 24) -> int:
    """One mail to the secretariat listing the answers submitted in the last `since_hours`.

    Lists the answers waiting for review whose submission falls in (now - since_hours, now],
    grouped by unit, with the size of the whole queue. Returns the number of answers listed;
    sends nothing when there are none. Run once a day with the default window, each
    submission is listed in exactly one digest; a second run on the same day repeats it.
    """
    now = now or timezone.now()
    since = now - datetime.timedelta(hours=since_hours)
    answers = list(
        Answer.objects.filter(
            status=Answer.Status.SUBMITTED, submitted_at__gt=since, submitted_at__lte=now
        )
        .select_related("question__indicator", "unit")
        .order_by("unit__name", "submitted_at", "pk")
    )
    if not answers:
        return 0
    recipients = _secretariat_recipients()
    if not recipients:
        log.warning("Digest: %s new submissions, no secretariat user with email.", len(answers))
        return len(answers)
    queue = Answer.objects.filter(status=Answer.Status.SUBMITTED).count()
    by_unit = [
        (unit, [(a, absolute_url("opd:answer", a.question_id, a.unit_id)) for a in rows])
        for unit, rows in groupby(answers, key=lambda a: a.unit)
    ]
    send_mail_template(
        template="digest",
        context={
            "by_unit": by_unit,
            "count": len(answers),
            "queue": queue,
            "since": since,
            "since_hours": since_hours,
            "queue_url": absolute_url("opd:review-queue"),
        },
        recipients=recipients,
    )
    return len(answers)


def _member_addresses(unit_ids: list[int]) -> dict[int, set[str]]:
    """Unit id -> the email addresses of its active members. One query for all the units."""
    members: dict[int, set[str]] = {}
    for unit_id, email in (
        get_user_model()
        .objects.filter(profile__units__in=unit_ids, is_active=True)
        .exclude(email="")
        .values_list("profile__units", "email")
    ):
        members.setdefault(unit_id, set()).add(email)
    return members


@dataclass
class ReminderReport:
    units_mailed: int = 0
    questions_listed: int = 0
    skipped_reason: str = ""
    units_without_recipients: list[str] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)


def reminders_send(*, period, days: int, today=None, dry_run: bool = False) -> ReminderReport:
    """Mail each unit its unanswered or unsubmitted questions when its deadline is near.

    A unit's deadline is the window's end or its extension; units whose deadline is more than
    `days` away, or already past, get nothing. An answer is outstanding while it is missing, a
    draft, or sent back for revision, and is listed to the units that write it: the lead, or
    for a table's row the row's unit, its kecamatan for a desa, or the coordinator where the
    coordinator fills the rows. Units with nothing outstanding, or without
    an active member with an email, get no mail (the latter are listed in the report).
    The mail also lists the unit's registered documents that lapse before the ministry's
    entry, and a unit with such a document is reminded even when its answers are all in.
    Five queries whatever the number of units and questions.
    """
    from opd.deadlines import unit_deadlines

    today = today or timezone.localdate()
    report = ReminderReport()
    if period.is_locked:
        report.skipped_reason = "locked"
        return report
    # Query 1: every assignment of the period (coordinators too: they may fill the rows), with
    # its question and unit.
    assignments = list(
        Assignment.objects.filter(question__indicator__group__period=period)
        .select_related("question__indicator", "unit__parent")
        .order_by("question__indicator__order", "question__order", "question__pk", "unit__name")
    )
    # Query 2: the (question, unit) pairs already handed in.
    done = set(
        Answer.objects.filter(
            question__indicator__group__period=period,
            status__in=Answer.HANDED_IN,
        ).values_list("question_id", "unit_id")
    )
    # Each outstanding answer is listed to the units that write it (access.answer_writers): a
    # coordinator-filled table row to the coordinator, a desa row to its kecamatan as well.
    known = {a.unit_id: a.unit for a in assignments}
    known |= {a.unit.parent_id: a.unit.parent for a in assignments if a.unit.parent_id}
    writers = access.answer_writers(assignments)
    outstanding: dict[int, list] = {}
    units = {}
    for a in assignments:
        pair = (a.question_id, a.unit_id)
        if pair not in writers or pair in done or not a.unit.is_active:
            continue
        for writer_id in sorted(writers[pair]):
            writer = known[writer_id]
            if not writer.is_active:
                continue
            row = a.unit if writer_id != a.unit_id else None
            outstanding.setdefault(writer_id, []).append((a.question, a.unit, row))
            units[writer_id] = writer
    # Query 3: registered documents that lapse before the entry into the ministry's application.
    expiring: dict[int, list] = {}
    for document in (
        Document.objects.lapsing(period).filter(unit__is_active=True).select_related("unit")
    ):
        expiring.setdefault(document.unit_id, []).append(document)
        units[document.unit_id] = document.unit
        outstanding.setdefault(document.unit_id, [])
    # Query 4: extensions of those units.
    deadlines = {u.pk: d for u, d in unit_deadlines(period=period, units=list(units.values()))}
    due = {
        unit_id: (deadlines[unit_id] - today).days
        for unit_id in outstanding
        if 0 <= (deadlines[unit_id] - today).days <= days
    }
    if not due:
        return report
    # Query 5: the active members with an email of the units to remind.
    members = _member_addresses(list(due))
    # A desa without accounts is no gap while its kecamatan is mailed the same rows.
    reached = {
        (q.pk, answering.pk)
        for unit_id in due
        if members.get(unit_id)
        for q, answering, _row in outstanding[unit_id]
    }
    for unit_id in sorted(due, key=lambda pk: units[pk].name):
        questions = outstanding[unit_id]
        unit, left = units[unit_id], due[unit_id]
        recipients = sorted(members.get(unit_id, ()))
        if not recipients:
            unreached = [
                q for q, answering, _row in questions if (q.pk, answering.pk) not in reached
            ]
            if not unreached and not expiring.get(unit_id):
                continue
            report.units_without_recipients.append(unit.short_name)
            report.lines.append(f"{unit.short_name}: {len(questions)} questions, nobody to mail")
            continue
        report.units_mailed += 1
        report.questions_listed += len(questions)
        lapsing = expiring.get(unit_id, [])
        lapsing_note = f", {len(lapsing)} documents lapsing" if lapsing else ""
        report.lines.append(
            f"{unit.short_name}: {len(questions)} questions{lapsing_note}, {left} days left"
        )
        if not dry_run:
            send_mail_template(
                template="reminder",
                context={
                    "unit": unit,
                    "questions": [
                        (q, absolute_url("opd:answer", q.pk, answering.pk), row)
                        for q, answering, row in questions
                    ],
                    "count": len(questions),
                    "expiring": lapsing,
                    "deadline": deadlines[unit_id],
                    "days_left": left,
                    "period": period,
                    "workspace_url": absolute_url("opd:workspace"),
                },
                recipients=recipients,
            )
    return report


def document_warnings_send(*, period, today=None, dry_run: bool = False) -> list[str]:
    """Mail each unit, once, its registered documents that lapse before they are last
    checked (Period.documents_needed_until: the field verification when its date is known,
    else the entry into the ministry's application), as soon as the daily run sees them:
    renewing an SK or a Perbup
    takes weeks, so the warning cannot wait for the last reminders. Each document is marked
    warned. Two queries, and one update per unit mailed. Returns a line per unit."""
    today = today or timezone.localdate()
    lapsing: dict[int, list[Document]] = {}
    for document in (
        Document.objects.lapsing(period)
        .filter(unit__is_active=True, expiry_warned_on__isnull=True)
        .select_related("unit")
    ):
        lapsing.setdefault(document.unit_id, []).append(document)
    if not lapsing:
        return []
    # The field verification when known, else the entry: read only when there is mail to send.
    deadline = period.documents_needed_until
    members = _member_addresses(list(lapsing))
    lines = []
    for unit_id, documents in lapsing.items():
        unit, recipients = documents[0].unit, sorted(members.get(unit_id, ()))
        if not recipients:
            lines.append(f"{unit.short_name}: {len(documents)} documents lapsing, nobody to mail")
            continue
        lines.append(f"{unit.short_name}: {len(documents)} documents lapsing, warned")
        if dry_run:
            continue
        send_mail_template(
            template="document_expiry",
            context={
                "unit": unit,
                "documents": documents,
                "deadline": deadline,
                "period": period,
                "library_url": absolute_url("opd:documents"),
            },
            recipients=recipients,
        )
        Document.objects.filter(pk__in=[d.pk for d in documents]).update(expiry_warned_on=today)
    return lines
