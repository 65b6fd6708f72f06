"""{{ form|crispy_kept }} (core/templatetags/kla_forms.py): an unbound form's crispy HTML kept
in the process under everything it is made of. Each part changed renders anew (a key that
missed one would serve another answer's values); a bound form and a form holding an object
are never kept."""

from decimal import Decimal

import pytest
from crispy_forms.templatetags.crispy_forms_filters import as_crispy_form
from django import forms
from django.utils import translation

from core.templatetags.kla_forms import crispy_kept, form_key
from opd.forms import (
    AnswerForm,
    ApproveForm,
    CommentForm,
    EvidenceLinkForm,
    EvidenceUploadForm,
    RevisionForm,
)
from opd.models import Answer
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def kept(page_cache_on):
    """The page cache on (the forms are kept in its memo)."""


def _answer_pages_forms(question, answer):
    """The forms of the answer page, as its view builds them."""
    return [
        AnswerForm(question=question, initial=AnswerForm.initial_for(answer)),
        ApproveForm(question=question, initial={"version": answer.version}),
        RevisionForm(initial={"version": answer.version}),
        EvidenceUploadForm(),
        EvidenceLinkForm(),
        CommentForm(),
    ]


def test_each_form_of_the_answer_page_renders_as_crispy_does(kept, question, lead_unit):
    answer = Answer.objects.create(
        question=question, unit=lead_unit, claimed_points=Decimal("5.50"), narrative="Ada SK"
    )
    options = factories.QuestionFactory(indicator=question.indicator)
    options.options.create(label="Perda", points=Decimal("10.00"), order=1)
    for q in (question, options):
        for form in _answer_pages_forms(q, answer):
            assert form_key(form) is not None, type(form).__name__
            plain = str(as_crispy_form(form))
            assert str(crispy_kept(form)) == plain  # rendered
            assert str(crispy_kept(form)) == plain  # kept


def test_every_value_a_form_shows_is_in_its_key(kept, question, lead_unit):
    """Each field's value, label, help text, widget attributes and choices, and the language:
    changed one at a time, the kept HTML is the new form's, never the old one's."""
    answer = Answer.objects.create(question=question, unit=lead_unit, narrative="Ada SK")

    def form():
        return AnswerForm(question=question, initial=AnswerForm.initial_for(answer))

    first = str(crispy_kept(form()))
    for name, value in {
        "claimed_points": Decimal("7.25"),
        "narrative": "Perbup 2026",
        "data_values": "2025: 87%",
        "version": 4,
    }.items():
        changed = form()
        changed.initial[name] = value
        assert str(crispy_kept(changed)) == str(as_crispy_form(changed)) != first, name
    for change in (
        lambda f: setattr(f.fields["narrative"], "label", "Narasi lain"),
        lambda f: setattr(f.fields["narrative"], "help_text", "Tulis singkat"),
        lambda f: f.fields["narrative"].widget.attrs.update(rows=9),
        lambda f: setattr(f.fields["narrative"], "required", True),
        lambda f: setattr(f.fields["narrative"], "disabled", True),
    ):
        changed = form()
        change(changed)
        assert str(crispy_kept(changed)) == str(as_crispy_form(changed)) != first
    question.max_points = Decimal("20.00")  # the points field's bound and help text
    assert str(crispy_kept(form())) != first
    with translation.override("en"):
        assert str(crispy_kept(form())) == str(as_crispy_form(form())) != first


def test_choices_are_in_the_key(kept, question):
    first = question.options.create(label="Perda", points=Decimal("10.00"), order=1)
    html = str(crispy_kept(AnswerForm(question=question, initial={"option": first.pk})))
    question.options.create(label="Perbup", points=Decimal("5.00"), order=2)
    again = AnswerForm(question=question, initial={"option": first.pk})
    assert "Perbup" in str(crispy_kept(again)) and "Perbup" not in html


def test_a_bound_form_is_rendered_every_time(kept):
    bound = CommentForm({"body": ""})
    assert form_key(bound) is None
    assert "is required" in str(crispy_kept(bound)) or "wajib" in str(crispy_kept(bound))


def test_a_form_holding_an_object_is_rendered_every_time(kept):
    class Odd(forms.Form):
        name = forms.CharField(widget=forms.TextInput(attrs={"data-x": object()}))

    assert form_key(Odd()) is None
    assert 'name="name"' in str(crispy_kept(Odd()))
