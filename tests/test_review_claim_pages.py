"""Who sees the review claim on the answer page, in which state, and how a claim reaches the
cached review queue (tests/test_review_claims.py covers the services and the flow).

Pages are read as users see them: in Indonesian."""

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from indicators.models import Period
from opd import services
from opd.models import Answer

pytestmark = pytest.mark.django_db


def _answer(question, unit, status=Answer.Status.SUBMITTED) -> Answer:
    return Answer.objects.create(
        question=question,
        unit=unit,
        status=status,
        claimed_points=Decimal("2.00"),
        submitted_at=timezone.now(),
        verified_points=Decimal("2.00") if status == Answer.Status.APPROVED else None,
    )


def _url(name, answer) -> str:
    return reverse(name, args=[answer.question_id, answer.unit_id])


# Personas who may open the answer page at all; of them only reviewers are offered the claim.
OFFERED = {"opd": False, "support": False, "executive": False, "secretariat": True, "admin": True}


@pytest.mark.parametrize(("persona", "offered"), OFFERED.items())
def test_only_reviewers_are_offered_the_claim(
    client_for, personas, question, lead_unit, persona, offered
):
    answer = _answer(question, lead_unit)
    response = client_for(personas[persona]).get(_url("opd:answer", answer))
    assert response.status_code == 200
    assert (_url("opd:answer-claim", answer) in response.content.decode()) is offered


@pytest.mark.parametrize(
    "status", [Answer.Status.DRAFT, Answer.Status.REVISION_REQUESTED, Answer.Status.APPROVED]
)
def test_an_answer_not_waiting_for_review_offers_no_claim(
    client_for, secretariat_user, question, lead_unit, status
):
    answer = _answer(question, lead_unit, status)
    html = client_for(secretariat_user).get(_url("opd:answer", answer)).content.decode()
    assert _url("opd:answer-claim", answer) not in html
    assert _url("opd:answer-release", answer) not in html


def test_a_locked_period_offers_no_claim(client_for, secretariat_user, period, question, lead_unit):
    answer = _answer(question, lead_unit)
    period.status = Period.Status.LOCKED
    period.save(update_fields=["status"])
    html = client_for(secretariat_user).get(_url("opd:answer", answer)).content.decode()
    assert _url("opd:answer-claim", answer) not in html


def test_a_colleagues_claim_warns_but_does_not_block_the_decision(
    client_for, secretariat_user, colleague, question, lead_unit
):
    answer = _answer(question, lead_unit)
    services.answer_claim(answer=answer, user=colleague)
    client = client_for(secretariat_user)
    html = client.get(_url("opd:answer", answer)).content.decode()
    assert "Sari sedang meninjau jawaban ini sejak pukul" in html
    assert _url("opd:answer-approve", answer) in html  # warned, not blocked

    response = client.post(
        _url("opd:answer-approve", answer), {"verified_points": "2.00", "version": answer.version}
    )
    assert response.status_code == 302
    answer.refresh_from_db()
    assert answer.status == Answer.Status.APPROVED
    assert (answer.review_claimed_by, answer.review_claimed_at) == (None, None)


# transactional_db: the claim commits for real, so the data version moves as it does in use.
def test_a_claim_shows_in_the_cached_queue_at_once_and_its_release_too(
    transactional_db, page_cache_on, client_for, secretariat_user, colleague, question, lead_unit
):
    answer = _answer(question, lead_unit)
    client = client_for(secretariat_user)
    before = client.get(reverse("opd:review-queue")).content.decode()
    assert 'data-claimed="1"' not in before

    services.answer_claim(answer=answer, user=colleague)
    claimed = client.get(reverse("opd:review-queue")).content.decode()
    assert 'data-claimed="1"' in claimed and "Sari sedang meninjau" in claimed

    services.answer_release(answer=answer, user=colleague)
    released = client.get(reverse("opd:review-queue")).content.decode()
    assert 'data-claimed="1"' not in released
