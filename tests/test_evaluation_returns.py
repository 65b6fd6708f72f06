"""The province's returns: a return reopens its question for the answering unit only, even in
a locked period; every move is a service, audited, and mailed to the unit's people."""

import datetime
from decimal import Decimal

import pytest
from django.core import mail
from django.urls import reverse

from core.errors import DomainError
from indicators.models import Period
from opd import evidence as ev
from opd import services
from opd.deadlines import WindowClosed
from opd.models import Answer, Assignment, AuditEvent, ProvincialReturn
from tests import factories

pytestmark = pytest.mark.django_db
DEADLINE = datetime.date(2026, 5, 10)


@pytest.fixture
def locked(period, question, lead_unit, opd_user):
    """The period locked with the lead's approved answer to `question` and to another one."""
    other = factories.QuestionFactory(indicator=question.indicator)
    factories.AssignmentFactory(question=other, unit=lead_unit, role=Assignment.Role.LEAD)
    answers = {}
    for q in (question, other):
        answers[q.pk] = Answer.objects.create(
            question=q,
            unit=lead_unit,
            status=Answer.Status.APPROVED,
            claimed_points=Decimal("8"),
            verified_points=Decimal("6"),
        )
    Period.objects.filter(pk=period.pk).update(status=Period.Status.LOCKED)
    period.refresh_from_db()
    return {"answer": answers[question.pk], "other": answers[other.pk], "other_question": other}


def _record(question, user, note="Perda belum ditandatangani"):
    return services.provincial_return_record(
        question=question, user=user, note=note, deadline=DEADLINE
    )


def test_a_return_reopens_the_answer_in_a_locked_period_for_its_unit_only(
    locked,
    question,
    opd_user,
    support_user,
    support_unit,
    lead_unit,
    secretariat_user,
    django_capture_on_commit_callbacks,
):
    answer, other = locked["answer"], locked["other"]
    with django_capture_on_commit_callbacks(execute=True):
        _record(question, secretariat_user)
    answer.refresh_from_db()
    assert answer.status == Answer.Status.REVISION_REQUESTED
    assert answer.review_note == "Perda belum ditandatangani"
    # The answering unit corrects its answer and submits it, the period locked as it is.
    services.answer_save(
        answer=answer, user=opd_user, claimed_points="7", narrative="Perda sudah ditandatangani"
    )
    ev.evidence_add_link(answer=answer, unit=lead_unit, user=opd_user, url="https://jdih.test/1")
    services.answer_submit(answer=Answer.objects.get(pk=answer.pk), user=opd_user)
    # Nothing else became writable: another question of the same unit stays locked ...
    Answer.objects.filter(pk=other.pk).update(status=Answer.Status.REVISION_REQUESTED)
    with pytest.raises(WindowClosed):
        services.answer_save(answer=other, user=opd_user, claimed_points="1", narrative="x")
    # ... and a supporting unit of the returned question does not answer it.
    with pytest.raises(WindowClosed):
        ev.evidence_add_link(
            answer=answer, unit=support_unit, user=support_user, url="https://jdih.test/2"
        )
    # Mail to the unit's people, with the province's note and deadline.
    assert [m.to for m in mail.outbox] == [[opd_user.email]]
    assert "Perda belum ditandatangani" in mail.outbox[0].body


def test_closing_the_return_gives_the_approval_back_and_locks_the_question_again(
    locked, question, opd_user, secretariat_user
):
    answer = locked["answer"]
    provincial_return = _record(question, secretariat_user)
    services.provincial_return_reply(
        provincial_return=provincial_return, user=opd_user, reply="Perda terlampir"
    )
    provincial_return.refresh_from_db()
    assert provincial_return.status == ProvincialReturn.Status.ANSWERED
    services.provincial_return_close(provincial_return=provincial_return, user=secretariat_user)
    answer.refresh_from_db()
    assert answer.status == Answer.Status.APPROVED and answer.verified_points == Decimal("6")
    with pytest.raises(WindowClosed):
        services.answer_save(answer=answer, user=opd_user, claimed_points="1", narrative="x")
    with pytest.raises(DomainError):
        services.provincial_return_close(provincial_return=provincial_return, user=secretariat_user)


def test_every_move_is_audited(locked, question, opd_user, secretariat_user):
    provincial_return = _record(question, secretariat_user)
    services.provincial_return_reply(
        provincial_return=provincial_return, user=secretariat_user, reply="Sudah"
    )
    services.provincial_return_close(provincial_return=provincial_return, user=secretariat_user)
    actions = list(
        AuditEvent.objects.filter(action__startswith="return.")
        .order_by("pk")
        .values_list("action", "actor__username")
    )
    assert actions == [
        (AuditEvent.Action.RETURN_RECORD, "sekretariat"),
        (AuditEvent.Action.RETURN_REPLY, "sekretariat"),
        (AuditEvent.Action.RETURN_CLOSE, "sekretariat"),
    ]


@pytest.mark.parametrize(
    "note,deadline,code",
    [("", DEADLINE, "no_note"), ("  ", DEADLINE, "no_note"), ("x", None, "no_deadline")],
)
def test_a_return_needs_a_note_and_a_deadline(question, secretariat_user, note, deadline, code):
    with pytest.raises(DomainError) as error:
        services.provincial_return_record(
            question=question, user=secretariat_user, note=note, deadline=deadline
        )
    assert error.value.code == code
    assert not ProvincialReturn.objects.exists()


def test_a_question_is_returned_once_at_a_time(question, secretariat_user):
    _record(question, secretariat_user)
    with pytest.raises(DomainError):
        _record(question, secretariat_user)
    assert ProvincialReturn.objects.count() == 1


@pytest.mark.parametrize("who", ["other_opd", "support", "executive"])
def test_only_the_secretariat_or_the_answering_unit_replies(
    question, secretariat_user, personas, who
):
    provincial_return = _record(question, secretariat_user)
    with pytest.raises(DomainError):
        services.provincial_return_reply(
            provincial_return=provincial_return, user=personas[who], reply="Sudah"
        )
    provincial_return.refresh_from_db()
    assert provincial_return.reply == ""


def test_the_unit_sees_the_return_and_replies_on_its_answer_page(
    locked, question, lead_unit, opd_user, secretariat_user, client_for
):
    _record(question, secretariat_user)
    client = client_for(opd_user)
    url = reverse("opd:answer", args=[question.pk, lead_unit.pk])
    html = client.get(url).content.decode()
    assert 'data-testid="provincial-return"' in html and "Perda belum ditandatangani" in html
    assert 'name="narrative"' in html  # the form is open in the locked period
    workspace = client.get(
        reverse("opd:workspace") + f"?year={question.indicator.group.period.year}"
    )
    assert 'data-testid="workspace-returns"' in workspace.content.decode()
    provincial_return = ProvincialReturn.objects.get()
    response = client.post(
        reverse("kla:return-reply", args=[provincial_return.pk]),
        {"reply": "Perda terlampir", "next": url},
    )
    assert response.status_code == 302 and response["Location"] == url
    provincial_return.refresh_from_db()
    assert provincial_return.reply == "Perda terlampir"


def test_the_secretariat_records_and_closes_on_the_evaluation_page(
    locked, question, secretariat_user, client_for, django_assert_max_num_queries
):
    client = client_for(secretariat_user)
    year = question.indicator.group.period.year
    response = client.post(
        reverse("kla:return-record", args=[year]),
        {"question": question.pk, "note": "Foto kurang", "deadline": "2026-05-10"},
    )
    assert response.status_code == 302
    provincial_return = ProvincialReturn.objects.get()
    # 1 session, 2 user with profile, 3 period with its bands, 4 official result, 5 returns
    # with their questions and people, 6 questions for the form; a page of returns costs the
    # same
    with django_assert_max_num_queries(7):
        html = client.get(reverse("kla:evaluation", args=[year])).content.decode()
    assert "Foto kurang" in html
    client.post(reverse("kla:return-close", args=[provincial_return.pk]))
    provincial_return.refresh_from_db()
    assert provincial_return.status == ProvincialReturn.Status.CLOSED


def test_field_verification_is_recorded_on_the_official_result(
    period, secretariat_user, client_for
):
    client = client_for(secretariat_user)
    response = client.post(
        reverse("kla:field-verification", args=[period.year]),
        {"on": "2026-05-09", "team": "Tim KemenPPPA", "findings": "Ruang bermain belum ada"},
    )
    assert response.status_code == 302
    period.official.refresh_from_db()
    assert period.official.field_verification_on == datetime.date(2026, 5, 9)
    assert period.official.field_verification_team == "Tim KemenPPPA"
    assert period.official.stage == "field"
    assert AuditEvent.objects.filter(action=AuditEvent.Action.PERIOD_CHANGE).exists()
