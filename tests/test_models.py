"""Data rules held by the models and the database."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from indicators.models import Period, RankBand
from opd.models import Answer, Assignment, AuditEvent, EvidenceRevision, Unit
from tests import factories

pytestmark = pytest.mark.django_db


def _integrity(make):
    with pytest.raises(IntegrityError), transaction.atomic():
        make()


def test_a_question_has_one_lead(question, other_unit):
    _integrity(lambda: Assignment.objects.create(question=question, unit=other_unit, role="lead"))
    _integrity(
        lambda: Assignment.objects.create(
            question=question, unit=question.assignments.first().unit, role="support"
        )
    )


def test_period_window_order_and_bands(period):
    _integrity(
        lambda: Period.objects.create(
            year=2031,
            window_opens=datetime.date(2031, 4, 1),
            window_closes=datetime.date(2031, 3, 1),
        )
    )
    _integrity(
        lambda: RankBand.objects.create(period=period, name="Madya", lower_bound=Decimal("650"))
    )
    _integrity(
        lambda: RankBand.objects.create(period=period, name="Lain", lower_bound=Decimal("1200"))
    )
    period.target_rank = "Emas"
    with pytest.raises(ValidationError):
        period.full_clean()


def test_answer_rules(question, lead_unit):
    answer = Answer.objects.create(question=question, unit=lead_unit)
    _integrity(lambda: Answer.objects.create(question=question, unit=lead_unit))
    _integrity(
        lambda: Answer.objects.filter(pk=answer.pk).update(status="approved")
    )  # needs verified points
    _integrity(lambda: Answer.objects.filter(pk=answer.pk).update(claimed_points=Decimal("-1")))
    answer.claimed_points = Decimal("10.01")
    with pytest.raises(ValidationError):
        answer.full_clean()


def test_one_secretariat_unit():
    factories.UnitFactory(name="DP3AP2KB", short_name="DP3AP2KB", is_secretariat=True)
    _integrity(lambda: Unit.objects.create(name="Lain", short_name="Lain", is_secretariat=True))


def test_question_text_required(period):
    _integrity(lambda: factories.QuestionFactory(indicator__group__period=period, text=""))


def test_everything_has_a_readable_str(question, lead_unit, opd_user):
    answer = Answer.objects.create(question=question, unit=lead_unit)
    event = AuditEvent.objects.create(action="comment.add", actor=opd_user)
    for obj in (
        question,
        question.indicator,
        question.indicator.group,
        question.indicator.group.period,
        lead_unit,
        answer,
        event,
        opd_user.profile,
        question.assignments.first(),
    ):
        assert str(obj) and "object (" not in str(obj)
    assert EvidenceRevision.PREVIEWABLE_TYPES


def test_the_garbage_collector_runs_young_collections_seldom():
    """core.apps: a score of a large district makes tens of thousands of short-lived tuples;
    with Python's default of a young collection every 700, the collector took up to half of
    it (make bench)."""
    import gc

    from core.apps import GC_YOUNG_THRESHOLD

    assert gc.get_threshold()[0] == GC_YOUNG_THRESHOLD >= 10_000
