"""Mail to units after a review decision, and the secretariat's daily digest.

Reminders before the deadline are in tests/test_reminders.py.
"""

import datetime
from decimal import Decimal

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from core.errors import DomainError
from opd import services
from opd.models import Answer, Assignment, Profile
from opd.notifications import digest_send
from tests import factories

pytestmark = pytest.mark.django_db
D = Decimal
UTC = datetime.UTC
BASE = "https://kla.example.go.id"


@pytest.fixture(autouse=True)
def _base_url(settings):
    settings.KLA_BASE_URL = BASE + "/"  # a trailing slash must not double the slash


def _today(monkeypatch, day):
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: day)


@pytest.fixture
def unit_members(lead_unit, other_unit, opd_user):
    """Who of the lead unit gets mail: active members with an email, nobody else."""
    factories.UserFactory(username="kabid", units=[lead_unit])
    inactive = factories.UserFactory(username="pensiun", units=[lead_unit])
    inactive.is_active = False
    inactive.save(update_fields=["is_active"])
    factories.UserFactory(username="tanpa-surel", email="", units=[lead_unit])
    factories.UserFactory(username="lain", units=[other_unit])
    return ["kabid@example.test", "opd@example.test"]


def _submitted(question, unit, claimed="8"):
    return Answer.objects.create(
        question=question,
        unit=unit,
        status=Answer.Status.SUBMITTED,
        claimed_points=D(claimed),
        submitted_at=timezone.now(),
    )


def _html(message) -> str:
    (html, mimetype), *_rest = message.alternatives
    assert mimetype == "text/html"
    return html


def test_revision_request_mails_the_unit_after_commit(
    period,
    question,
    lead_unit,
    unit_members,
    secretariat_user,
    monkeypatch,
    django_capture_on_commit_callbacks,
):
    _today(monkeypatch, datetime.date(2026, 3, 20))
    answer = _submitted(question, lead_unit)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        services.answer_request_revision(
            answer=answer, user=secretariat_user, note="Perbup belum ditandatangani <b>Bupati</b>"
        )
        assert mail.outbox == []  # nothing leaves before the commit
    assert len(callbacks) == 1 and len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == unit_members
    code = f"{question.indicator.code} / {question.code}"
    assert message.subject == f"KLA: revisi diminta untuk pertanyaan {code}"  # Indonesian
    link = f"{BASE}{reverse('opd:answer', args=[question.pk, lead_unit.pk])}"
    assert "Perbup belum ditandatangani <b>Bupati</b>" in message.body  # plain text: as typed
    assert question.text in message.body and link in message.body
    assert "kirim kembali sebelum 31-03-2026" in message.body  # the window's last day
    html = _html(message)
    assert "Perbup belum ditandatangani &lt;b&gt;Bupati&lt;/b&gt;" in html  # escaped
    assert f'href="{link}"' in html and "Kepada Dinas Kesehatan" in html


def test_revision_mail_gives_the_units_own_deadline(
    period,
    question,
    lead_unit,
    opd_user,
    secretariat_user,
    monkeypatch,
    django_capture_on_commit_callbacks,
):
    _today(monkeypatch, datetime.date(2026, 4, 2))
    services.extension_grant(
        period=period,
        unit=lead_unit,
        until=datetime.date(2026, 4, 6),
        reason="",
        user=secretariat_user,
    )
    answer = _submitted(question, lead_unit)
    with django_capture_on_commit_callbacks(execute=True):
        services.answer_request_revision(answer=answer, user=secretariat_user, note="Foto kurang")
    assert "06-04-2026" in mail.outbox[0].body and "31-03-2026" not in mail.outbox[0].body


def test_revision_mail_after_the_deadline_points_to_an_extension(
    period,
    question,
    lead_unit,
    opd_user,
    secretariat_user,
    monkeypatch,
    django_capture_on_commit_callbacks,
):
    _today(monkeypatch, datetime.date(2026, 4, 10))
    answer = _submitted(question, lead_unit)
    with django_capture_on_commit_callbacks(execute=True):
        services.answer_request_revision(answer=answer, user=secretariat_user, note="Foto kurang")
    body = mail.outbox[0].body
    assert "31-03-2026" in body and "kirim kembali sebelum" not in body
    assert "extension" in body or "perpanjangan" in body


def test_approval_with_fewer_points_mails_the_reason(
    period,
    question,
    lead_unit,
    unit_members,
    secretariat_user,
    django_capture_on_commit_callbacks,
):
    answer = _submitted(question, lead_unit, claimed="8")
    with django_capture_on_commit_callbacks(execute=True):
        services.answer_approve(
            answer=answer, user=secretariat_user, verified_points="6", reason="Foto tidak ada"
        )
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == unit_members
    code = f"{question.indicator.code} / {question.code}"
    assert message.subject == f"KLA: pertanyaan {code} disetujui dengan nilai lebih rendah"
    assert "6,00 dari 8,00" in message.body and "Foto tidak ada" in message.body
    link = f"{BASE}{reverse('opd:answer', args=[question.pk, lead_unit.pk])}"
    assert link in message.body
    html = _html(message)
    assert "Foto tidak ada" in html and f'href="{link}"' in html and "Alasan:" in html


def test_full_approval_and_failed_transitions_send_nothing(
    period, question, lead_unit, opd_user, secretariat_user, django_capture_on_commit_callbacks
):
    answer = _submitted(question, lead_unit, claimed="8")
    with django_capture_on_commit_callbacks(execute=True):
        services.answer_approve(answer=answer, user=secretariat_user, verified_points="8")
    with (
        pytest.raises(DomainError, match="no longer waiting"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        services.answer_request_revision(answer=answer, user=secretariat_user, note="x")
    assert mail.outbox == []


def test_unit_without_reachable_members_gets_no_mail(
    period, question, other_unit, secretariat_user, django_capture_on_commit_callbacks
):
    """Disdik has no member at all: the decision stands, no mail is attempted."""
    other_question = factories.QuestionFactory(indicator=question.indicator)
    factories.AssignmentFactory(question=other_question, unit=other_unit)
    answer = _submitted(other_question, other_unit)
    with django_capture_on_commit_callbacks(execute=True):
        services.answer_request_revision(answer=answer, user=secretariat_user, note="Kurang")
    assert Answer.objects.get(pk=answer.pk).status == Answer.Status.REVISION_REQUESTED
    assert mail.outbox == []


# The daily digest -----------------------------------------------------------------------


@pytest.fixture
def digest_world(period, question, lead_unit, other_unit, secretariat_user):
    """Answers around a digest run at 2026-03-02 09:00 UTC (16:00 in Jakarta)."""
    now = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    indicator = question.indicator
    q2 = factories.QuestionFactory(indicator=indicator, code="2")
    q3 = factories.QuestionFactory(indicator=indicator, code="3")
    q4 = factories.QuestionFactory(indicator=indicator, code="4")
    for q in (q2, q3, q4):
        factories.AssignmentFactory(question=q, unit=other_unit, role=Assignment.Role.LEAD)

    def answer(q, unit, status, hours_ago, claimed):
        return Answer.objects.create(
            question=q,
            unit=unit,
            status=status,
            claimed_points=D(claimed),
            submitted_at=now - datetime.timedelta(hours=hours_ago),
            verified_points=D(claimed) if status == Answer.Status.APPROVED else None,
        )

    answer(question, lead_unit, Answer.Status.SUBMITTED, 6, "3")  # 10:00 WIB: listed
    answer(q2, other_unit, Answer.Status.SUBMITTED, 1, "4.5")  # listed
    answer(q3, other_unit, Answer.Status.SUBMITTED, 30, "2")  # yesterday's digest: queue only
    answer(q4, other_unit, Answer.Status.APPROVED, 2, "1")  # already reviewed: not listed
    # Who gets the digest: active secretariat users with an email, not the admin or the Bupati.
    factories.UserFactory(username="sekretariat2", role=Profile.Role.SECRETARIAT)
    gone = factories.UserFactory(username="mantan", role=Profile.Role.SECRETARIAT)
    gone.is_active = False
    gone.save(update_fields=["is_active"])
    factories.UserFactory(username="admin", role=Profile.Role.ADMIN)
    factories.UserFactory(username="bupati", role=Profile.Role.EXECUTIVE)
    return now


def test_digest_lists_new_submissions_by_unit(digest_world, question, lead_unit, other_unit):
    assert digest_send(now=digest_world) == 2
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["sekretariat2@example.test", "sekretariat@example.test"]
    assert message.subject == "KLA: 2 kiriman baru untuk ditinjau"
    body = message.body
    # Grouped by unit in name order: Dinas Kesehatan, then Dinas Pendidikan.
    assert body.index(lead_unit.name) < body.index(other_unit.name)
    assert f"{question.indicator.code} / {question.code}: 3,00" in body
    assert "02-03-2026 10:00 WIB" in body  # submitted at 03:00 UTC, shown in Jakarta time
    assert f"{question.indicator.code} / 3:" not in body  # submitted 30 hours ago
    assert f"{question.indicator.code} / 4:" not in body  # approved
    assert "Antrean tinjauan berisi 3 jawaban." in body  # the whole queue
    assert "2 jawaban dikirim sejak kemarin." in body
    assert f"{BASE}{reverse('opd:review-queue')}" in body
    html = _html(message)
    assert f'href="{BASE}{reverse("opd:answer", args=[question.pk, lead_unit.pk])}"' in html


def test_digest_without_new_submissions_sends_nothing(digest_world):
    assert digest_send(now=digest_world + datetime.timedelta(hours=24)) == 0
    assert mail.outbox == []


def test_digest_ignores_submissions_after_its_now(digest_world):
    """A digest for a past moment (a re-run, a test) lists only what existed then."""
    assert digest_send(now=digest_world - datetime.timedelta(hours=3)) == 1


def test_digest_window_can_be_widened(digest_world):
    assert digest_send(now=digest_world, since_hours=48) == 3
    assert "3 jawaban" in mail.outbox[0].body and "sejak kemarin" not in mail.outbox[0].body


@pytest.mark.parametrize("extra", [0, 20])
def test_digest_query_budget(digest_world, other_unit, extra, django_assert_num_queries):
    indicator = Answer.objects.first().question.indicator
    for i in range(extra):
        unit = factories.UnitFactory(name=f"Kecamatan {i}", short_name=f"Kec{i}")
        q = factories.QuestionFactory(indicator=indicator)
        Answer.objects.create(
            question=q,
            unit=unit,
            status=Answer.Status.SUBMITTED,
            claimed_points=D("1"),
            submitted_at=digest_world - datetime.timedelta(minutes=i + 1),
        )
    # 1 the new submissions with question, indicator and unit, 2 the secretariat's addresses,
    # 3 the size of the queue
    with django_assert_num_queries(3):
        assert digest_send(now=digest_world) == 2 + extra
    assert mail.outbox[0].body.count(f"{BASE}/opd/jawaban/") == 2 + extra


def test_send_digest_command(digest_world, monkeypatch, capsys):
    monkeypatch.setattr(timezone, "now", lambda: digest_world)
    call_command("send_digest")
    assert "Digest: 2 new submissions." in capsys.readouterr().out
    call_command("send_digest", "--since", "1")
    assert "Digest: nothing new." in capsys.readouterr().out
    assert len(mail.outbox) == 1
    with pytest.raises(CommandError):
        call_command("send_digest", "--since", "0")
