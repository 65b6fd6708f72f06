"""Reminders before the deadline and the secretariat's daily digest."""

import datetime
from decimal import Decimal

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.utils import timezone

from opd import services
from opd.models import Answer, Assignment
from opd.notifications import digest_send, reminders_send
from tests import factories

pytestmark = pytest.mark.django_db
D = datetime.date


@pytest.fixture
def two_questions(period, question, lead_unit):
    second = factories.QuestionFactory(indicator=question.indicator, code="2")
    factories.AssignmentFactory(question=second, unit=lead_unit, role=Assignment.Role.LEAD)
    return question, second


def test_reminder_lists_unsubmitted_questions(
    period, two_questions, lead_unit, opd_user, support_user
):
    first, second = two_questions
    Answer.objects.create(
        question=first, unit=lead_unit, status="submitted", claimed_points=Decimal("1")
    )
    report = reminders_send(period=period, days=7, today=D(2026, 3, 26))
    assert (report.units_mailed, report.questions_listed) == (1, 1)
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [opd_user.email]
    body = mail.outbox[0].body
    assert second.text[:40] in body and first.text[:40] not in body
    assert "31-03-2026" in body and mail.outbox[0].alternatives  # Indonesian, plain and HTML
    assert "pertanyaan" in body


@pytest.mark.parametrize(
    ("today", "mailed"), [(D(2026, 3, 1), 0), (D(2026, 3, 24), 1), (D(2026, 4, 1), 0)]
)
def test_reminders_only_in_the_last_days_before_the_deadline(
    period, two_questions, opd_user, today, mailed
):
    assert reminders_send(period=period, days=7, today=today).units_mailed == mailed
    assert len(mail.outbox) == mailed


def test_extension_moves_the_reminder(period, two_questions, lead_unit, secretariat_user, opd_user):
    services.extension_grant(
        period=period, unit=lead_unit, until=D(2026, 4, 6), reason="", user=secretariat_user
    )
    assert reminders_send(period=period, days=7, today=D(2026, 4, 2)).units_mailed == 1


def test_unit_with_everything_submitted_gets_nothing(period, two_questions, lead_unit, opd_user):
    for q in two_questions:
        Answer.objects.create(
            question=q,
            unit=lead_unit,
            status="approved",
            claimed_points=Decimal("1"),
            verified_points=Decimal("1"),
        )
    assert reminders_send(period=period, days=7, today=D(2026, 3, 28)).units_mailed == 0
    assert mail.outbox == []


def test_every_kecamatan_question_reminds_each_kecamatan(period):
    q = factories.QuestionFactory(indicator__group__period=period, every_kecamatan=True)
    for i, name in enumerate(["Betara", "Merlung"]):
        unit = factories.UnitFactory(
            name=f"Kecamatan {name}", short_name=f"Kec. {name}", kind="kecamatan"
        )
        factories.AssignmentFactory(question=q, unit=unit, role="lead" if i == 0 else "support")
        factories.UserFactory(username=f"camat{i}", units=[unit])
    Answer.objects.create(
        question=q,
        unit=q.assignments.get(role="lead").unit,
        status="submitted",
        claimed_points=Decimal("1"),
    )
    report = reminders_send(period=period, days=7, today=D(2026, 3, 30))
    assert report.units_mailed == 1 and mail.outbox[0].to == ["camat1@example.test"]


def test_send_reminders_command(period, two_questions, opd_user, monkeypatch, capsys):
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: D(2026, 3, 27))
    call_command("send_reminders", "--days", "7", "--dry-run")
    assert "would mail 1 units about 2 questions" in capsys.readouterr().out
    assert mail.outbox == []
    period.status = "locked"
    period.save(update_fields=["status"])
    with pytest.raises(CommandError, match="No open period"):
        call_command("send_reminders")


def test_digest_lists_new_submissions(period, two_questions, lead_unit, secretariat_user):
    now = timezone.now()
    first, second = two_questions
    Answer.objects.create(
        question=first,
        unit=lead_unit,
        status="submitted",
        claimed_points=Decimal("3"),
        submitted_at=now - datetime.timedelta(hours=2),
    )
    Answer.objects.create(
        question=second,
        unit=lead_unit,
        status="submitted",
        claimed_points=Decimal("4"),
        submitted_at=now - datetime.timedelta(days=3),
    )
    assert digest_send(now=now) == 1
    assert mail.outbox[0].to == [secretariat_user.email]
    assert (
        lead_unit.name in mail.outbox[0].body and "2 jawaban" in mail.outbox[0].body
    )  # queue of 2
    mail.outbox.clear()
    assert digest_send(now=now + datetime.timedelta(days=2)) == 0
    assert mail.outbox == []
