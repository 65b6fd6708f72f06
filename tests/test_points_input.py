"""Points as people type them: "6,5" and "6.5" are both 6.50, in either language."""

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from opd.forms import AnswerForm
from opd.models import Answer
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("language", ["id", "en"])
@pytest.mark.parametrize(
    ("typed", "points"),
    [
        ("6,5", Decimal("6.5")),
        ("6.5", Decimal("6.5")),
        (" 6,50 ", Decimal("6.5")),
        ("7", Decimal("7")),
        ("0,25", Decimal("0.25")),
        ("1.000,5", None),
        ("6,555", None),
        ("enam", None),
        ("-1", None),
    ],
)
def test_the_answer_form_reads_both_decimal_marks(period, language, typed, points):
    question = factories.QuestionFactory(indicator__group__period=period, max_points=Decimal("10"))
    with translation.override(language):
        form = AnswerForm(
            {"claimed_points": typed, "narrative": "", "data_values": ""}, question=question
        )
        assert form.is_valid() is (points is not None), form.errors
        if points is not None:
            assert form.cleaned_data["claimed_points"] == points


def test_a_comma_saves_through_the_answer_page_and_shows_the_indonesian_way(
    client_for, question, lead_unit, opd_user, monkeypatch
):
    monkeypatch.setattr(
        timezone, "localdate", lambda *a, **k: question.indicator.group.period.window_opens
    )
    client = client_for(opd_user)
    url = reverse("opd:answer-save", args=[question.pk, lead_unit.pk])
    response = client.post(url, {"claimed_points": "6,5", "narrative": "Perbup 2025", "version": 0})
    assert response.status_code == 302
    assert Answer.objects.get().claimed_points == Decimal("6.50")
    page = client.get(reverse("opd:answer", args=[question.pk, lead_unit.pk])).content.decode()
    assert 'value="6,50"' in page and 'inputmode="decimal"' in page


def test_the_maximum_in_the_help_text_is_written_the_page_s_way(period):
    question = factories.QuestionFactory(indicator__group__period=period, max_points=Decimal("10"))
    with translation.override("id"):
        assert "0 sampai 10,00" in str(AnswerForm(question=question)["claimed_points"].help_text)
    with translation.override("en"):
        assert "0 to 10.00" in str(AnswerForm(question=question)["claimed_points"].help_text)
