"""What needs me now comes first; the answer page is made for a phone."""

import datetime
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from opd import services
from opd.forms import AnswerForm, EvidenceLinkForm
from opd.models import Answer, Assignment
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _inside_window(monkeypatch):
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: datetime.date(2026, 2, 10))


def _questions(period, unit, n):
    indicator = factories.IndicatorFactory(group__period=period)
    questions = []
    for i in range(n):
        q = factories.QuestionFactory(
            indicator=indicator, code=str(i + 1), order=i + 1, text=f"Pertanyaan nomor {i + 1}"
        )
        factories.AssignmentFactory(question=q, unit=unit, role=Assignment.Role.LEAD)
        questions.append(q)
    return questions


def test_the_workspace_opens_with_what_needs_action(
    client_for, period, lead_unit, opd_user, secretariat_user
):
    q1, q2, q3, _q4 = _questions(period, lead_unit, 4)
    answer = services.answer_open(question=q3, unit=lead_unit)
    Answer.objects.filter(pk=answer.pk).update(status="submitted", claimed_points=Decimal("0"))
    services.answer_request_revision(
        answer=Answer.objects.get(pk=answer.pk), user=secretariat_user, note="Lampirkan SK Bupati"
    )
    done = services.answer_open(question=q2, unit=lead_unit)
    Answer.objects.filter(pk=done.pk).update(
        status="approved", claimed_points=Decimal("1"), verified_points=Decimal("1")
    )
    page = client_for(opd_user).get(reverse("opd:workspace")).content.decode()
    box = page[page.index('data-testid="needs-action"') :]
    box = box[: box.index("</section>")]
    assert "Lampirkan SK Bupati" in box  # the revision request, with the reviewer's note
    assert "2 pertanyaan belum dikirim" in box  # q1 and q4; q2 is approved, q3 is in revision
    assert "Pertanyaan nomor 1" in box and "Pertanyaan nomor 2" not in box
    assert box.index("Lampirkan SK") < box.index("Pertanyaan nomor 1")  # revisions first


def test_next_question_leads_on_after_submitting(client_for, period, lead_unit, opd_user):
    q1, q2, q3 = _questions(period, lead_unit, 3)
    submitted = services.answer_open(question=q2, unit=lead_unit)
    Answer.objects.filter(pk=submitted.pk).update(status="submitted")
    client = client_for(opd_user)
    page = client.get(reverse("opd:answer", args=[q1.pk, lead_unit.pk]))
    # q2 is handed in: the next question to work on is q3.
    assert page.context["next_question"] == q3
    assert reverse("opd:answer", args=[q3.pk, lead_unit.pk]) in page.content.decode()
    # From the last one it goes round to the first not handed in.
    assert (
        client.get(reverse("opd:answer", args=[q3.pk, lead_unit.pk])).context["next_question"] == q1
    )


def test_the_next_question_follows_a_new_assignment_with_the_page_cache_on(
    page_cache_committing, client_for, period, lead_unit, opd_user
):
    """The unit's questions in order are kept between views: an assignment added moves
    "all", and the next view offers the new question."""
    q1, q2 = _questions(period, lead_unit, 2)
    submitted = services.answer_open(question=q2, unit=lead_unit)
    Answer.objects.filter(pk=submitted.pk).update(status="submitted")
    client = client_for(opd_user)
    url = reverse("opd:answer", args=[q1.pk, lead_unit.pk])
    assert client.get(url).context["next_question"] is None  # q2 is in
    [q3] = _questions(period, lead_unit, 1)
    assert client.get(url).context["next_question"] == q3


def test_the_answer_page_fits_a_phone(client_for, period, lead_unit, opd_user):
    [question] = _questions(period, lead_unit, 1)
    for n in range(13):  # every kecamatan supports it: fourteen badges in all
        factories.AssignmentFactory(
            question=question,
            unit=factories.UnitFactory(short_name=f"Kec {n}"),
            role=Assignment.Role.SUPPORT,
        )
    services.answer_open(question=question, unit=lead_unit)  # a draft: it can be submitted
    page = client_for(opd_user).get(reverse("opd:answer", args=[question.pk, lead_unit.pk]))
    html = page.content.decode()
    [tag] = re.findall(r"<details[^>]*data-testid=\"unit-badges\"[^>]*>", html)
    assert " open" not in tag  # folded away: fourteen units
    assert "14 unit terlibat" in html
    assert "placeholder" not in str(AnswerForm(question=question)["data_values"])
    assert 'data-testid="link-details"' in html  # the link form is folded, marked optional
    assert "(opsional)" in html
    assert html.index('data-testid="send-step"') > html.index('id="evidence-heading"')


@pytest.mark.parametrize(("url", "valid"), [("", False), ("https://jdih.example/perbup", True)])
def test_the_link_is_optional_in_look_but_not_empty(url, valid):
    form = EvidenceLinkForm({"url": url, "title": ""})
    assert form.is_valid() is valid
    assert not form.fields["url"].required
