"""Reviewers claim answers so that two of them do not review the same answer at once.

Pages are read as users see them: in Indonesian."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from opd import services
from opd.models import Answer, Assignment
from opd.services import ClaimedByOther, IllegalTransition
from tests import factories

pytestmark = pytest.mark.django_db


def _waiting(period, unit, n=1, *, hours_ago=10):
    """`n` answers of `unit` waiting for review, the first one the oldest."""
    answers = []
    for i in range(n):
        q = factories.QuestionFactory(indicator__group__period=period, code=f"W{i}")
        factories.AssignmentFactory(question=q, unit=unit, role=Assignment.Role.LEAD)
        answers.append(
            Answer.objects.create(
                question=q,
                unit=unit,
                status=Answer.Status.SUBMITTED,
                claimed_points=Decimal("2.00"),
                submitted_at=timezone.now() - datetime.timedelta(hours=hours_ago - i),
            )
        )
    return answers


def _url(name, answer):
    return reverse(name, args=[answer.question_id, answer.unit_id])


# --- Service ---------------------------------------------------------------------------------


def test_a_claim_keeps_other_reviewers_away_for_fifteen_minutes(
    period, lead_unit, secretariat_user, colleague
):
    (answer,) = _waiting(period, lead_unit)
    start = timezone.now()
    claimed = services.answer_claim(answer=answer, user=colleague, now=start)
    assert claimed.claim_holder(now=start) == colleague
    assert claimed.version == answer.version  # a claim is not a change of the answer

    with pytest.raises(ClaimedByOther) as refused:
        services.answer_claim(
            answer=answer, user=secretariat_user, now=start + datetime.timedelta(minutes=14)
        )
    assert "Sari" in refused.value.message and "WIB" in refused.value.message

    later = start + datetime.timedelta(minutes=15)
    assert Answer.objects.get(pk=answer.pk).claim_holder(now=later) is None
    services.answer_claim(answer=answer, user=secretariat_user, now=later)
    assert Answer.objects.get(pk=answer.pk).claim_holder(now=later) == secretariat_user


def test_claiming_again_extends_ones_own_claim(period, lead_unit, colleague):
    (answer,) = _waiting(period, lead_unit)
    start = timezone.now()
    services.answer_claim(answer=answer, user=colleague, now=start)
    services.answer_claim(answer=answer, user=colleague, now=start + datetime.timedelta(minutes=10))
    answer.refresh_from_db()
    assert answer.claim_holder(now=start + datetime.timedelta(minutes=20)) == colleague


def test_only_the_holder_releases_a_claim(period, lead_unit, secretariat_user, colleague):
    (answer,) = _waiting(period, lead_unit)
    services.answer_claim(answer=answer, user=colleague)
    with pytest.raises(IllegalTransition):
        services.answer_release(answer=answer, user=secretariat_user)
    assert Answer.objects.get(pk=answer.pk).claim_holder() == colleague
    services.answer_release(answer=answer, user=colleague)
    assert Answer.objects.get(pk=answer.pk).claim_holder() is None


@pytest.mark.parametrize("decide", ["approve", "revision"])
def test_a_decision_clears_the_claim(period, lead_unit, secretariat_user, decide):
    (answer,) = _waiting(period, lead_unit)
    services.answer_claim(answer=answer, user=secretariat_user)
    if decide == "approve":
        services.answer_approve(answer=answer, user=secretariat_user)
    else:
        services.answer_request_revision(answer=answer, user=secretariat_user, note="Kurang SK")
    answer.refresh_from_db()
    assert (answer.review_claimed_by, answer.review_claimed_at) == (None, None)


def test_only_an_answer_waiting_for_review_can_be_claimed(period, lead_unit, secretariat_user):
    (answer,) = _waiting(period, lead_unit)
    services.answer_approve(answer=answer, user=secretariat_user)
    with pytest.raises(IllegalTransition):
        services.answer_claim(answer=answer, user=secretariat_user)


def test_a_lapsed_claim_on_an_approved_answer_names_nobody(period, lead_unit, colleague):
    (answer,) = _waiting(period, lead_unit)
    answer.review_claimed_by, answer.review_claimed_at = colleague, timezone.now()
    answer.status, answer.verified_points = Answer.Status.APPROVED, Decimal("2.00")
    assert answer.claim_holder() is None


# --- Pages -----------------------------------------------------------------------------------


def test_answer_page_offers_the_claim_then_shows_it(
    client_for, period, lead_unit, secretariat_user, colleague
):
    (answer,) = _waiting(period, lead_unit)
    client = client_for(secretariat_user)
    page = client.get(_url("opd:answer", answer)).content.decode()
    assert _url("opd:answer-claim", answer) in page

    response = client.post(_url("opd:answer-claim", answer), follow=True)
    html = response.content.decode()
    assert "Anda sedang meninjau jawaban ini" in html and _url("opd:answer-release", answer) in html
    assert Answer.objects.get(pk=answer.pk).claim_holder() == secretariat_user

    other = client_for(colleague).get(_url("opd:answer", answer)).content.decode()
    assert "sedang meninjau jawaban ini sejak pukul" in other
    assert _url("opd:answer-claim", answer) not in other


def test_taking_someone_elses_claim_is_refused_with_a_message(
    client_for, period, lead_unit, secretariat_user, colleague
):
    (answer,) = _waiting(period, lead_unit)
    services.answer_claim(answer=answer, user=colleague)
    response = client_for(secretariat_user).post(_url("opd:answer-claim", answer), follow=True)
    assert "Sari sedang meninjau jawaban ini sejak pukul" in response.content.decode()
    assert Answer.objects.get(pk=answer.pk).claim_holder() == colleague


def test_stop_reviewing_releases(client_for, period, lead_unit, secretariat_user):
    (answer,) = _waiting(period, lead_unit)
    services.answer_claim(answer=answer, user=secretariat_user)
    response = client_for(secretariat_user).post(_url("opd:answer-release", answer))
    assert response.status_code == 302
    assert Answer.objects.get(pk=answer.pk).claim_holder() is None


def test_after_a_decision_the_next_unclaimed_answer_is_claimed_for_the_reviewer(
    client_for, period, lead_unit, secretariat_user, colleague
):
    first, taken, free = _waiting(period, lead_unit, 3)
    services.answer_claim(answer=taken, user=colleague)
    response = client_for(secretariat_user).post(
        _url("opd:answer-approve", first), {"verified_points": "2.00", "version": first.version}
    )
    assert response["Location"] == _url("opd:answer", free)  # the colleague's one is skipped
    assert Answer.objects.get(pk=free.pk).claim_holder() == secretariat_user
    assert Answer.objects.get(pk=taken.pk).claim_holder() == colleague


def test_when_every_waiting_answer_is_taken_the_reviewer_returns_to_the_queue(
    client_for, period, lead_unit, secretariat_user, colleague
):
    first, taken = _waiting(period, lead_unit, 2)
    services.answer_claim(answer=taken, user=colleague)
    response = client_for(secretariat_user).post(
        _url("opd:answer-approve", first), {"verified_points": "2.00", "version": first.version}
    )
    assert response["Location"] == reverse("opd:review-queue")


@pytest.mark.parametrize("n", [3, 12])
def test_queue_marks_claimed_rows_at_a_constant_query_count(
    client_for, period, lead_unit, secretariat_user, colleague, n, django_assert_num_queries
):
    answers = _waiting(period, lead_unit, n)
    for answer in answers[::2]:
        services.answer_claim(answer=answer, user=colleague)
    client = client_for(secretariat_user)
    # 1 session, 2 user with profile, 3 periods, 4 count for the paginator, 5 the page of
    # answers with their evidence count, 6-8 the period's questions (with indicators), the
    # units and the options they show, 9 their submitters and claim holders (by primary key:
    # joined, they cost PostgreSQL 5 ms of planning), 10-12 choices of the group, indicator
    # and unit filters, 13-15 the verification risk of the listed answers (opd/risk.py, from
    # their own facts): the day documents must hold, their evidence, last year's period
    with django_assert_num_queries(15):
        html = client.get(reverse("opd:review-queue")).content.decode()
    assert html.count('data-claimed="1"') == len(answers[::2])
    assert html.count("Sari sedang meninjau") == len(answers[::2])


def test_the_load_scripts_reviewers_read_the_queue_as_it_is(
    client_for, period, lead_unit, secretariat_user, colleague, monkeypatch
):
    """scripts/load.py's reviewers skip rows someone is reviewing: its pattern must match."""
    import importlib.util
    import sys
    from pathlib import Path

    from django.conf import settings

    spec = importlib.util.spec_from_file_location(
        "load_script", Path(settings.BASE_DIR, "scripts", "load.py")
    )
    load = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, load)  # its dataclasses look themselves up
    spec.loader.exec_module(load)
    taken, free = _waiting(period, lead_unit, 2)
    services.answer_claim(answer=taken, user=colleague)
    html = client_for(secretariat_user).get(reverse("opd:review-queue")).content.decode()
    assert load.QUEUE_ROW.findall(html) == [
        (' data-claimed="1"', _url("opd:answer", taken)),
        ("", _url("opd:answer", free)),
    ]
