"""Two reviewers act on one answer at the same moment: one wins, the other is told, nothing lost.

Runs on PostgreSQL (real row locks); SQLite serialises writers and proves nothing here.
"""

import datetime
import threading
from decimal import Decimal

import pytest
from django.db import connection, connections
from django.utils import timezone

from core.errors import DomainError
from opd import services
from opd.models import Answer, AuditEvent

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _inside_window(monkeypatch):
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: datetime.date(2026, 2, 10))


def _race(actions):
    """Run the callables at once (a barrier releases them together); collect outcomes."""
    barrier = threading.Barrier(len(actions))
    outcomes = [None] * len(actions)

    def run(i, action):
        try:
            barrier.wait(timeout=10)
            action()
            outcomes[i] = "ok"
        except DomainError as error:
            outcomes[i] = error
        except Exception as error:  # noqa: BLE001 - surfaced by the assertions below
            outcomes[i] = ("crashed", repr(error))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, a)) for i, a in enumerate(actions)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    return outcomes


def test_two_reviewers_at_once(question, lead_unit, secretariat_user, admin_user):
    assert connection.vendor == "postgresql"
    answer = services.answer_open(question=question, unit=lead_unit)
    answer.status, answer.claimed_points = Answer.Status.SUBMITTED, Decimal("8")
    answer.save()
    version = answer.version

    outcomes = _race(
        [
            lambda: services.answer_approve(
                answer=Answer.objects.get(pk=answer.pk),
                user=secretariat_user,
                verified_points="6",
                reason="Foto kurang",
                expected_version=version,
            ),
            lambda: services.answer_request_revision(
                answer=Answer.objects.get(pk=answer.pk),
                user=admin_user,
                note="Lampirkan SK",
                expected_version=version,
            ),
        ]
    )

    assert sorted(o == "ok" for o in outcomes) == [False, True], outcomes
    loser = next(o for o in outcomes if o != "ok")
    assert loser.code == "not_submitted"  # told that the other review already happened
    answer.refresh_from_db()
    assert answer.version == version + 1
    reviews = AuditEvent.objects.filter(
        answer=answer, action__in=["answer.approve", "answer.request_revision"]
    )
    assert reviews.count() == 1  # exactly one review happened and is on record
    if answer.status == Answer.Status.APPROVED:
        assert answer.verified_points == Decimal("6.00") and answer.review_note == "Foto kurang"
    else:
        assert answer.status == Answer.Status.REVISION_REQUESTED
        assert answer.review_note == "Lampirkan SK" and answer.verified_points is None


def test_many_simultaneous_submits_count_once(question, lead_unit, opd_user):
    answer = services.answer_open(question=question, unit=lead_unit)
    services.answer_save(answer=answer, user=opd_user, claimed_points="0", narrative="")
    outcomes = _race(
        [lambda: services.answer_submit(answer=Answer.objects.get(pk=answer.pk), user=opd_user)] * 4
    )
    assert outcomes.count("ok") == 1
    assert AuditEvent.objects.filter(answer=answer, action="answer.submit").count() == 1
