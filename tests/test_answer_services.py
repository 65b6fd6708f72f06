"""The answer's life: every transition, every refusal, the audit trail and the mail."""

import datetime
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone

from core.errors import DomainError
from opd import services
from opd.deadlines import WindowClosed
from opd.models import Answer, AuditEvent, Evidence, Extension
from tests import factories

pytestmark = pytest.mark.django_db

D = Decimal


@pytest.fixture(autouse=True)
def _inside_window(period, monkeypatch):
    """Freeze 'today' inside the 2026 window unless a test moves it."""
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: datetime.date(2026, 2, 10))


def _answer(question, unit, **fields):
    answer = services.answer_open(question=question, unit=unit)
    for key, value in fields.items():
        setattr(answer, key, value)
    answer.save()
    return answer


def _with_link(answer, unit, user):
    Evidence.objects.create(
        answer=answer,
        unit=unit,
        kind=Evidence.Kind.LINK,
        url="https://jdih.example/perbup",
        created_by=user,
    )


def test_draft_save_then_submit(question, lead_unit, opd_user):
    answer = services.answer_open(question=question, unit=lead_unit)
    services.answer_save(answer=answer, user=opd_user, claimed_points="7.5", narrative="Ada Perbup")
    _with_link(answer, lead_unit, opd_user)
    answer = services.answer_submit(answer=answer, user=opd_user)
    assert answer.status == Answer.Status.SUBMITTED
    assert answer.claimed_points == D("7.50")
    assert answer.submitted_by == opd_user
    actions = list(AuditEvent.objects.order_by("pk").values_list("action", flat=True))
    assert actions == ["answer.save", "answer.points", "answer.submit"]


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("-1", "negative"),
        ("10.01", "over_max"),
        ("abc", "nan"),
        ("1.234", "precision"),
        ("NaN", "nan"),
        ("Infinity", "nan"),
    ],
)
def test_bad_points_are_refused_and_nothing_changes(question, lead_unit, opd_user, raw, code):
    answer = services.answer_open(question=question, unit=lead_unit)
    with pytest.raises(DomainError) as error:
        services.answer_save(answer=answer, user=opd_user, claimed_points=raw, narrative="x")
    assert error.value.code == code
    answer.refresh_from_db()
    assert answer.claimed_points is None and answer.narrative == "" and answer.version == 1
    assert not AuditEvent.objects.exists()


def test_comma_decimal_is_accepted(question, lead_unit, opd_user):
    answer = services.answer_open(question=question, unit=lead_unit)
    answer = services.answer_save(answer=answer, user=opd_user, claimed_points="2,25", narrative="")
    assert answer.claimed_points == D("2.25")


def test_submit_needs_points_and_evidence(question, lead_unit, opd_user):
    answer = services.answer_open(question=question, unit=lead_unit)
    with pytest.raises(DomainError) as error:
        services.answer_submit(answer=answer, user=opd_user)
    assert error.value.code == "no_points"
    services.answer_save(answer=answer, user=opd_user, claimed_points="3", narrative="")
    with pytest.raises(DomainError) as error:
        services.answer_submit(answer=answer, user=opd_user)
    assert error.value.code == "no_evidence"
    # Zero points claimed need no evidence: the unit says honestly it has nothing.
    services.answer_save(answer=answer, user=opd_user, claimed_points="0", narrative="")
    assert services.answer_submit(answer=answer, user=opd_user).status == "submitted"


def test_only_members_of_the_answering_unit_save_or_submit(question, lead_unit, support_user):
    answer = services.answer_open(question=question, unit=lead_unit)
    with pytest.raises(DomainError) as error:
        services.answer_save(answer=answer, user=support_user, claimed_points="1", narrative="")
    assert error.value.code == "not_member"


def test_supporting_unit_does_not_get_its_own_answer(question, support_unit):
    with pytest.raises(DomainError):
        services.answer_open(question=question, unit=support_unit)
    assert not Answer.objects.exists()


def test_full_review_cycle_with_mail(
    question, lead_unit, opd_user, secretariat_user, django_capture_on_commit_callbacks
):
    answer = _answer(question, lead_unit, claimed_points=D("8"), status="submitted")
    with django_capture_on_commit_callbacks(execute=True):
        answer = services.answer_request_revision(
            answer=answer, user=secretariat_user, note="Perbup belum ditandatangani"
        )
    assert answer.status == "revision_requested"
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [opd_user.email]
    assert "Perbup belum ditandatangani" in mail.outbox[0].body

    _with_link(answer, lead_unit, opd_user)
    answer = services.answer_submit(answer=answer, user=opd_user)
    with django_capture_on_commit_callbacks(execute=True):
        answer = services.answer_approve(
            answer=answer, user=secretariat_user, verified_points="6", reason="Foto tidak ada"
        )
    assert answer.status == "approved"
    assert answer.verified_points == D("6.00") and answer.review_note == "Foto tidak ada"
    assert len(mail.outbox) == 2 and "6,00 dari 8,00" in mail.outbox[1].body  # Indonesian mail
    assert mail.outbox[1].alternatives[0][1] == "text/html"


def test_approve_defaults_to_claimed_points_and_sends_no_mail(
    question, lead_unit, secretariat_user, django_capture_on_commit_callbacks
):
    answer = _answer(question, lead_unit, claimed_points=D("8"), status="submitted")
    with django_capture_on_commit_callbacks(execute=True):
        answer = services.answer_approve(answer=answer, user=secretariat_user)
    assert answer.verified_points == D("8.00")
    assert mail.outbox == []


def test_lowering_points_needs_a_reason(question, lead_unit, secretariat_user):
    answer = _answer(question, lead_unit, claimed_points=D("8"), status="submitted")
    with pytest.raises(DomainError) as error:
        services.answer_approve(answer=answer, user=secretariat_user, verified_points="5")
    assert error.value.code == "no_reason"
    answer.refresh_from_db()
    assert answer.status == "submitted" and answer.verified_points is None


def test_revision_needs_a_note(question, lead_unit, secretariat_user):
    answer = _answer(question, lead_unit, claimed_points=D("8"), status="submitted")
    with pytest.raises(DomainError) as error:
        services.answer_request_revision(answer=answer, user=secretariat_user, note="  ")
    assert error.value.code == "no_note"


@pytest.mark.parametrize("status", ["draft", "revision_requested", "approved"])
def test_only_submitted_answers_are_reviewed(question, lead_unit, secretariat_user, status):
    answer = _answer(
        question,
        lead_unit,
        claimed_points=D("8"),
        status=status,
        verified_points=D("8") if status == "approved" else None,
    )
    with pytest.raises(DomainError) as error:
        services.answer_approve(answer=answer, user=secretariat_user)
    assert error.value.code == "not_submitted"


def test_second_reviewer_is_told_what_happened(question, lead_unit, secretariat_user, admin_user):
    answer = _answer(question, lead_unit, claimed_points=D("8"), status="submitted")
    stale_copy = Answer.objects.get(pk=answer.pk)
    services.answer_approve(answer=answer, user=secretariat_user, expected_version=answer.version)
    with pytest.raises(DomainError) as error:
        services.answer_request_revision(
            answer=stale_copy, user=admin_user, note="kurang", expected_version=stale_copy.version
        )
    assert error.value.code == "not_submitted"
    assert secretariat_user.first_name in error.value.message
    stale_copy.refresh_from_db()
    assert stale_copy.status == "approved" and stale_copy.verified_points == D("8.00")


def test_stale_form_is_refused(question, lead_unit, opd_user):
    answer = services.answer_open(question=question, unit=lead_unit)
    services.answer_save(answer=answer, user=opd_user, claimed_points="1", narrative="first")
    with pytest.raises(DomainError) as error:
        services.answer_save(
            answer=answer,
            user=opd_user,
            claimed_points="2",
            narrative="old tab",
            expected_version=1,
        )
    assert error.value.code == "stale"
    answer.refresh_from_db()
    assert answer.narrative == "first"


def test_reopen_withdraws_verified_points(question, lead_unit, secretariat_user):
    answer = _answer(question, lead_unit, claimed_points=D("8"), status="submitted")
    services.answer_approve(answer=answer, user=secretariat_user)
    answer = services.answer_reopen(answer=answer, user=secretariat_user, reason="Dokumen palsu")
    assert answer.status == "submitted" and answer.verified_points is None


def test_window_closed_blocks_units_but_extension_reopens(
    question, lead_unit, opd_user, secretariat_user, period, monkeypatch
):
    answer = services.answer_open(question=question, unit=lead_unit)
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: datetime.date(2026, 4, 2))
    with pytest.raises(WindowClosed) as error:
        services.answer_save(answer=answer, user=opd_user, claimed_points="1", narrative="")
    assert "31-03-2026" in error.value.message
    services.extension_grant(
        period=period,
        unit=lead_unit,
        until=datetime.date(2026, 4, 3),
        reason="Jaringan putus",
        user=secretariat_user,
    )
    services.answer_save(answer=answer, user=opd_user, claimed_points="1", narrative="")
    assert Extension.objects.get().granted_by == secretariat_user


def test_locked_period_is_read_only_for_everyone(question, lead_unit, opd_user, secretariat_user):
    answer = _answer(question, lead_unit, claimed_points=D("8"), status="submitted")
    period = question.indicator.group.period
    period.status = "locked"
    period.save(update_fields=["status"])
    with pytest.raises(DomainError):
        services.answer_approve(answer=answer, user=secretariat_user)
    with pytest.raises(DomainError):
        services.comment_add(answer=answer, user=opd_user, body="halo")
    answer.status = "draft"
    answer.save(update_fields=["status"])
    with pytest.raises(DomainError):
        services.answer_save(answer=answer, user=opd_user, claimed_points="1", narrative="")


@pytest.mark.parametrize(
    ("until", "code"),
    [(datetime.date(2026, 3, 31), "too_early"), (datetime.date(2026, 4, 15), "too_late")],
)
def test_extension_dates_are_checked(period, lead_unit, secretariat_user, until, code):
    with pytest.raises(DomainError) as error:
        services.extension_grant(
            period=period, unit=lead_unit, until=until, reason="", user=secretariat_user
        )
    assert error.value.code == code


def test_every_kecamatan_question_has_an_answer_per_unit(period, opd_user):
    q = factories.QuestionFactory(indicator__group__period=period, every_kecamatan=True)
    k1 = factories.UnitFactory(name="Kecamatan Betara", short_name="Kec. Betara", kind="kecamatan")
    k2 = factories.UnitFactory(
        name="Kecamatan Merlung", short_name="Kec. Merlung", kind="kecamatan"
    )
    factories.AssignmentFactory(question=q, unit=k1, role="per_unit")
    factories.AssignmentFactory(question=q, unit=k2, role="per_unit")
    assert services.answer_open(question=q, unit=k1) != services.answer_open(question=q, unit=k2)
    assert Answer.objects.filter(question=q).count() == 2


def test_comment_thread_is_audited(question, lead_unit, opd_user):
    answer = services.answer_open(question=question, unit=lead_unit)
    services.comment_add(answer=answer, user=opd_user, body="Mohon arahan")
    with pytest.raises(DomainError):
        services.comment_add(answer=answer, user=opd_user, body="   ")
    assert AuditEvent.objects.filter(action="comment.add").count() == 1


def test_audit_trail_cannot_be_edited(question, lead_unit, opd_user):
    answer = services.answer_open(question=question, unit=lead_unit)
    services.comment_add(answer=answer, user=opd_user, body="x", ip="10.0.0.5")
    event = AuditEvent.objects.get()
    assert event.ip_address == "10.0.0.5" and event.actor == opd_user
    event.summary = "changed"
    with pytest.raises(ValueError, match="append-only"):
        event.save()
    with pytest.raises(ValueError, match="append-only"):
        event.delete()
