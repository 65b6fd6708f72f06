"""Reminders before the deadline: who is reminded, about what, when, and in how many queries.

The 2026 period's window closes on 31 March (tests/factories.py); entry into the ministry's
application is on 15 April, so extensions may run until 14 April.
"""

import datetime
from decimal import Decimal

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from opd import services
from opd.models import Answer, Assignment, Unit
from opd.notifications import reminders_send
from tests import factories

pytestmark = pytest.mark.django_db
D = datetime.date
BASE = "https://kla.example.go.id"


@pytest.fixture(autouse=True)
def _base_url(settings):
    settings.KLA_BASE_URL = BASE


@pytest.fixture
def two_questions(period, question, lead_unit):
    """`question` (led by Dinkes, supported by Dinsos) and a second one led by Dinkes."""
    second = factories.QuestionFactory(indicator=question.indicator, code="2")
    factories.AssignmentFactory(question=second, unit=lead_unit, role=Assignment.Role.LEAD)
    return question, second


def _answer(question, unit, status):
    return Answer.objects.create(
        question=question,
        unit=unit,
        status=status,
        claimed_points=Decimal("1"),
        verified_points=Decimal("1") if status == Answer.Status.APPROVED else None,
    )


def test_reminder_lists_the_units_outstanding_questions(
    period, two_questions, lead_unit, opd_user, support_user
):
    first, second = two_questions
    _answer(first, lead_unit, Answer.Status.SUBMITTED)
    report = reminders_send(period=period, days=7, today=D(2026, 3, 28))
    assert (report.units_mailed, report.questions_listed) == (1, 1)
    assert len(mail.outbox) == 1  # Dinsos only supports: never reminded
    message = mail.outbox[0]
    assert message.to == [opd_user.email]
    assert message.subject == "KLA: sisa 3 hari untuk mengirim jawaban"  # Indonesian
    body = message.body
    assert "1 pertanyaan unit Anda belum dikirim. Batas waktunya 31-03-2026:" in body
    assert second.text in body and first.text not in body
    assert f"{BASE}{reverse('opd:answer', args=[second.pk, lead_unit.pk])}" in body
    assert f"{BASE}{reverse('opd:workspace')}" in body
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html" and second.text in html and first.text not in html


@pytest.mark.parametrize("status", [None, Answer.Status.DRAFT, Answer.Status.REVISION_REQUESTED])
def test_missing_draft_and_sent_back_answers_are_outstanding(
    period, question, lead_unit, opd_user, status
):
    if status:
        _answer(question, lead_unit, status)
    assert reminders_send(period=period, days=7, today=D(2026, 3, 30)).questions_listed == 1


def test_unit_with_everything_handed_in_gets_nothing(period, two_questions, lead_unit, opd_user):
    first, second = two_questions
    _answer(first, lead_unit, Answer.Status.SUBMITTED)
    _answer(second, lead_unit, Answer.Status.APPROVED)
    report = reminders_send(period=period, days=7, today=D(2026, 3, 28))
    assert (report.units_mailed, report.questions_listed) == (0, 0)
    assert mail.outbox == []


@pytest.mark.parametrize(
    ("today", "mailed"),
    [
        (D(2026, 2, 1), 0),  # window far from closing
        (D(2026, 3, 23), 0),  # 8 days left
        (D(2026, 3, 24), 1),  # 7 days left
        (D(2026, 3, 31), 1),  # the last day
        (D(2026, 4, 1), 0),  # closed
        (D(2026, 5, 1), 0),
    ],
)
def test_reminders_only_in_the_last_days_before_the_deadline(
    period, two_questions, opd_user, today, mailed
):
    assert reminders_send(period=period, days=7, today=today).units_mailed == mailed
    assert len(mail.outbox) == mailed


def test_last_day_has_its_own_subject(period, two_questions, opd_user):
    reminders_send(period=period, days=7, today=D(2026, 3, 31))
    subject = mail.outbox[0].subject
    assert "0 hari" not in subject and "0 day" not in subject and subject.startswith("KLA:")


def test_extension_moves_the_deadline(
    period,
    two_questions,
    lead_unit,
    other_unit,
    secretariat_user,
    opd_user,
    other_opd_user,
    monkeypatch,
):
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: D(2026, 3, 28))
    q = factories.QuestionFactory(indicator=two_questions[0].indicator)
    factories.AssignmentFactory(question=q, unit=other_unit, role=Assignment.Role.LEAD)
    services.extension_grant(
        period=period, unit=lead_unit, until=D(2026, 4, 6), reason="", user=secretariat_user
    )
    # 28 March: Disdik's window closes in 3 days; Dinkes has 9 days left, beyond the 7.
    report = reminders_send(period=period, days=7, today=D(2026, 3, 28))
    assert report.units_mailed == 1 and mail.outbox[0].to == [other_opd_user.email]
    mail.outbox.clear()
    # 2 April: the window has closed for Disdik; Dinkes is reminded of its extension's end.
    report = reminders_send(period=period, days=7, today=D(2026, 4, 2))
    assert (report.units_mailed, report.questions_listed) == (1, 2)
    assert mail.outbox[0].to == [opd_user.email]
    assert "06-04-2026" in mail.outbox[0].body
    assert mail.outbox[0].subject == "KLA: sisa 4 hari untuk mengirim jawaban"


def test_every_kecamatan_question_reminds_each_kecamatan_of_its_own_answer(period):
    q = factories.QuestionFactory(indicator__group__period=period, every_kecamatan=True)
    # The coordinating agency follows the question but does not answer as a kecamatan.
    coordinator = factories.UnitFactory(name="Dinas P3AP2KB", short_name="DP3", kind="dinas")
    factories.AssignmentFactory(question=q, unit=coordinator, role=Assignment.Role.COORDINATOR)
    factories.UserFactory(username="dp3", units=[coordinator])
    kecamatan = []
    for i, name in enumerate(["Betara", "Merlung", "Tungkal Ilir"]):
        unit = factories.UnitFactory(
            name=f"Kecamatan {name}", short_name=f"Kec. {name}", kind=Unit.Kind.KECAMATAN
        )
        factories.AssignmentFactory(question=q, unit=unit, role=Assignment.Role.PER_UNIT)
        factories.UserFactory(username=f"camat{i}", units=[unit])
        kecamatan.append(unit)
    _answer(q, kecamatan[0], Answer.Status.SUBMITTED)
    _answer(q, kecamatan[1], Answer.Status.DRAFT)
    report = reminders_send(period=period, days=7, today=D(2026, 3, 30))
    assert (report.units_mailed, report.questions_listed) == (2, 2)
    assert sorted(m.to[0] for m in mail.outbox) == ["camat1@example.test", "camat2@example.test"]
    for message, unit in zip(mail.outbox, kecamatan[1:], strict=True):
        assert f"{BASE}{reverse('opd:answer', args=[q.pk, unit.pk])}" in message.body


def test_units_nobody_can_read_are_reported_not_mailed(period, two_questions, lead_unit):
    """Dinkes has no member with an email; an inactive unit is not reminded at all."""
    factories.UserFactory(username="tanpa-surel", email="", units=[lead_unit])
    gone = factories.UnitFactory(name="Dinas Lama", short_name="Lama")
    gone.is_active = False
    gone.save(update_fields=["is_active"])
    factories.AssignmentFactory(
        question=factories.QuestionFactory(indicator=two_questions[0].indicator), unit=gone
    )
    factories.UserFactory(username="lama", units=[gone])
    report = reminders_send(period=period, days=7, today=D(2026, 3, 30))
    assert report.units_mailed == 0 and report.units_without_recipients == ["Dinkes"]
    assert mail.outbox == []


def test_locked_period_is_never_reminded(period, two_questions, opd_user):
    period.status = period.Status.LOCKED
    period.save(update_fields=["status"])
    report = reminders_send(period=period, days=7, today=D(2026, 3, 30))
    assert report.skipped_reason == "locked" and mail.outbox == []


def test_dry_run_counts_without_sending(period, two_questions, opd_user):
    report = reminders_send(period=period, days=7, today=D(2026, 3, 30), dry_run=True)
    assert (report.units_mailed, report.questions_listed) == (1, 2)
    assert report.lines == ["Dinkes: 2 questions, 1 days left"]
    assert mail.outbox == []


def _district(period, n_units, questions_per_unit):
    indicator = factories.IndicatorFactory(group__period=period)
    for i in range(n_units):
        unit = factories.UnitFactory(name=f"Unit {i:02}", short_name=f"U{i:02}")
        factories.UserFactory(username=f"staf{i}", units=[unit])
        for _ in range(questions_per_unit):
            q = factories.QuestionFactory(indicator=indicator)
            factories.AssignmentFactory(question=q, unit=unit, role=Assignment.Role.LEAD)
        if i % 2:
            _answer(q, unit, Answer.Status.SUBMITTED)


@pytest.mark.parametrize(("n_units", "per_unit"), [(2, 2), (12, 5)])
def test_reminders_query_budget(period, n_units, per_unit, django_assert_num_queries, monkeypatch):
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: D(2026, 3, 30))
    _district(period, n_units, per_unit)
    services.extension_grant(
        period=period,
        unit=Unit.objects.get(short_name="U00"),
        until=D(2026, 4, 2),
        reason="",
        user=None,
    )
    # 1 assignments with question, indicator and unit, 2 answers handed in, 3 registered
    # documents lapsing before the entry, 4 extensions of the units with something
    # outstanding, 5 their members' addresses
    with django_assert_num_queries(5):
        report = reminders_send(period=period, days=7, today=D(2026, 3, 30))
    assert report.units_mailed == n_units == len(mail.outbox)
    assert report.questions_listed == n_units * per_unit - n_units // 2


def test_send_reminders_command(period, two_questions, opd_user, monkeypatch, capsys):
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: D(2026, 3, 27))
    call_command("send_reminders", "--days", "7", "--dry-run")
    out = capsys.readouterr().out
    assert "Dinkes: 2 questions, 4 days left" in out
    assert "Period 2026: would mail 1 units about 2 questions." in out
    assert mail.outbox == []
    call_command("send_reminders", "--period", "2026", "--days", "3")
    assert "mailed 0 units" in capsys.readouterr().out and mail.outbox == []
    call_command("send_reminders")
    assert "mailed 1 units about 2 questions" in capsys.readouterr().out
    assert len(mail.outbox) == 1
    with pytest.raises(CommandError, match="Period 2025 is not open"):
        call_command("send_reminders", "--period", "2025")
    period.status = "locked"
    period.save(update_fields=["status"])
    with pytest.raises(CommandError, match="No open period"):
        call_command("send_reminders")


def test_send_reminders_names_units_nobody_can_read(period, two_questions, monkeypatch, capsys):
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: D(2026, 3, 27))
    call_command("send_reminders")
    captured = capsys.readouterr()
    assert "mailed 0 units" in captured.out and "Dinkes" in captured.err


def test_a_document_lapsing_before_the_entry_is_in_the_reminder(
    period, two_questions, lead_unit, opd_user, monkeypatch
):
    """Even a unit whose answers are all in hears that its SK lapses before 15 April."""
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: D(2026, 3, 28))
    from django.core.files.uploadedfile import SimpleUploadedFile

    from opd import evidence
    from tests import samples

    first, second = two_questions
    answer = services.answer_open(question=first, unit=lead_unit)
    upload = SimpleUploadedFile("sk.pdf", samples.pdf_bytes("SK Gugus Tugas"), "application/pdf")
    stored = evidence.evidence_add_file(
        answer=answer, unit=lead_unit, user=opd_user, uploaded_file=upload
    )
    for title, until in (("SK Gugus Tugas", D(2026, 4, 1)), ("Perda KLA", None)):
        evidence.document_register(
            revision=stored,
            unit=lead_unit,
            user=opd_user,
            kind="sk",
            title=title,
            valid_until=until,
        )
    Answer.objects.filter(pk=answer.pk).update(status=Answer.Status.SUBMITTED)
    _answer(second, lead_unit, Answer.Status.APPROVED)
    report = reminders_send(period=period, days=7, today=D(2026, 3, 28))
    assert report.units_mailed == 1 and report.questions_listed == 0
    body = mail.outbox[0].body
    assert "SK: SK Gugus Tugas (01-04-2026)" in body and "Perda KLA" not in body
    assert "not yet submitted" not in body and "belum diajukan" not in body


def test_a_lapsing_document_is_warned_once_as_soon_as_it_is_seen(
    period, question, lead_unit, opd_user, monkeypatch
):
    """Weeks before the deadline (renewing an SK takes time), and only once."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from opd import evidence
    from opd.models import Document
    from opd.notifications import document_warnings_send
    from tests import samples

    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: D(2026, 2, 1))
    answer = services.answer_open(question=question, unit=lead_unit)
    upload = SimpleUploadedFile("sk.pdf", samples.pdf_bytes("SK Gugus Tugas"), "application/pdf")
    stored = evidence.evidence_add_file(
        answer=answer, unit=lead_unit, user=opd_user, uploaded_file=upload
    )
    for title, until in (("SK Gugus Tugas", D(2026, 4, 1)), ("RAD KLA", D(2030, 1, 1))):
        evidence.document_register(
            revision=stored,
            unit=lead_unit,
            user=opd_user,
            kind="sk",
            title=title,
            valid_until=until,
        )
    assert document_warnings_send(period=period, dry_run=True) == [
        "Dinkes: 1 documents lapsing, warned"
    ]
    assert mail.outbox == [] and not Document.objects.filter(expiry_warned_on__isnull=False)
    lines = document_warnings_send(period=period, today=D(2026, 2, 1))
    assert lines == ["Dinkes: 1 documents lapsing, warned"] and len(mail.outbox) == 1
    body = mail.outbox[0].body
    assert "SK Gugus Tugas" in body and "RAD KLA" not in body and "15-04-2026" in body
    assert f"{BASE}/opd/dokumen/" in body
    assert document_warnings_send(period=period, today=D(2026, 2, 2)) == []  # once
    assert len(mail.outbox) == 1
    call_command("send_reminders", "--days", "7")  # the daily run warns nobody twice
    assert len(mail.outbox) == 1


# --- Table rows are reminded to whoever fills them (opd.access.row_writer_unit_ids) ----------


def _table(period, rows, *, filled_by, coordinator):
    question = factories.QuestionFactory(
        indicator__group__period=period, every_kecamatan=True, rows_filled_by=filled_by
    )
    factories.AssignmentFactory(
        question=question, unit=coordinator, role=Assignment.Role.COORDINATOR
    )
    for unit in rows:
        factories.AssignmentFactory(question=question, unit=unit, role=Assignment.Role.PER_UNIT)
    return question


def _member(unit, name):
    return factories.UserFactory(username=name, email=f"{name}@example.go.id", units=[unit])


@pytest.fixture
def table_world(period):
    kec = [
        factories.UnitFactory(
            name=f"Kecamatan {n}", short_name=f"Kec. {n}", kind=Unit.Kind.KECAMATAN
        )
        for n in ("Betara", "Merlung")
    ]
    coordinator = factories.UnitFactory(name="Dinas PMD", short_name="DPMD")
    return {
        "kec": kec,
        "coordinator": coordinator,
        "camat": [_member(unit, f"camat{n}") for n, unit in enumerate(kec)],
        "dpmd": _member(coordinator, "dpmd"),
    }


def _mailed_to():
    return {address: m.body for m in mail.outbox for address in m.to}


def test_rows_the_coordinator_fills_remind_the_coordinator_only(period, table_world):
    kec, coordinator = table_world["kec"], table_world["coordinator"]
    question = _table(period, kec, filled_by="coordinator", coordinator=coordinator)
    report = reminders_send(period=period, days=7, today=D(2026, 3, 28))
    mailed = _mailed_to()
    assert set(mailed) == {"dpmd@example.go.id"}  # neither camat: they do not fill the rows
    assert (report.units_mailed, report.questions_listed) == (1, 2)
    body = mailed["dpmd@example.go.id"]
    for unit in kec:  # each row named with its kecamatan and its own address
        assert f"({unit.name})" in body
        assert f"{BASE}{reverse('opd:answer', args=[question.pk, unit.pk])}" in body


def test_rows_each_kecamatan_fills_remind_each_kecamatan(period, table_world):
    kec, coordinator = table_world["kec"], table_world["coordinator"]
    _table(period, kec, filled_by="units", coordinator=coordinator)
    reminders_send(period=period, days=7, today=D(2026, 3, 28))
    assert set(_mailed_to()) == {"camat0@example.go.id", "camat1@example.go.id"}


def test_desa_rows_remind_their_kecamatan(period, table_world):
    kec = table_world["kec"]
    desa = [
        factories.UnitFactory(
            name=f"Desa {n}", short_name=f"Ds. {n}", kind=Unit.Kind.DESA, parent=kec[0]
        )
        for n in ("Teluk Nilau", "Suak Samin")
    ]
    question = factories.QuestionFactory(indicator__group__period=period, every_desa=True)
    for unit in desa:
        factories.AssignmentFactory(question=question, unit=unit, role=Assignment.Role.PER_UNIT)
    _answer(question, desa[1], Answer.Status.SUBMITTED)
    report = reminders_send(period=period, days=7, today=D(2026, 3, 28))
    mailed = _mailed_to()
    assert set(mailed) == {"camat0@example.go.id"}  # desa have no accounts; Merlung has no desa
    assert f"({desa[0].name})" in mailed["camat0@example.go.id"]
    assert desa[1].name not in mailed["camat0@example.go.id"]  # handed in
    assert report.units_without_recipients == []  # the desa's row reached its kecamatan
