"""The keys of the rows kept rendered (core.page_cache.rendered_rows) name everything the rows
show: each row is built from real data, rendered, then every value it is made of is changed
in turn; whenever the HTML changes, the key must change too, or a page would show the row as it
was. Values of models whose every change raises "all" are exempt (every row's key holds it);
the values of the others (answers, evidence: scoped, core/page_cache.py) and the rows' own
figures are not."""

import dataclasses
import datetime
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django import forms
from django.conf import settings
from django.db import models
from django.template.loader import render_to_string
from django.utils import timezone

from core import page_cache
from kla import selectors as dash
from kla import views as kla_views
from opd import risk, selectors
from opd.deadlines import unit_deadlines
from opd.forms import QueueFilterForm
from opd.models import Answer, Evidence
from opd.views import review as review_views
from opd.views import workspace as workspace_views
from tests import factories

D = Decimal
# An answer belongs to its question and unit for good, and an evidence row to its answer: no
# service moves them (and an update() moving one raises "all"). The row's key names it by pk.
FIXED = {Answer: {"question_id", "unit_id"}, Evidence: {"answer_id"}}


@pytest.fixture
def answers(period, question, lead_unit, opd_user, secretariat_user):
    """Two answers of the lead unit: one submitted with evidence and a claim on its review, one
    in draft with a note; and a question with no answer yet."""
    now = timezone.now()
    submitted = Answer.objects.create(
        question=question,
        unit=lead_unit,
        status=Answer.Status.SUBMITTED,
        claimed_points=D("5.00"),
        submitted_at=now,
        submitted_by=opd_user,
        review_claimed_by=secretariat_user,
        review_claimed_at=now,
        narrative="Ada Perbup",
    )
    Evidence.objects.create(
        answer=submitted, unit=lead_unit, kind=Evidence.Kind.LINK, url="https://jdih.example/1"
    )
    q2 = factories.QuestionFactory(indicator=question.indicator, code="Q-2")
    factories.AssignmentFactory(question=q2, unit=lead_unit, role="lead")
    draft = Answer.objects.create(
        question=q2,
        unit=lead_unit,
        claimed_points=D("2.00"),
        verified_points=D("1.00"),
        review_note="Lengkapi SK",
        status=Answer.Status.REVISION_REQUESTED,
    )
    q3 = factories.QuestionFactory(indicator=question.indicator, code="Q-3")
    factories.AssignmentFactory(question=q3, unit=lead_unit, role="lead")
    return submitted, draft


def _unit_rows(period, answers):
    units = dash.unit_completion(period=period)
    deadlines = dict(unit_deadlines(period=period, units=[u.unit for u in units]))
    return [{"u": u, "period": period, "deadline": deadlines[u.unit]} for u in units if u.assigned]


def _workspace_cards(period, answers):
    rows = selectors.workspace_rows(period=period, unit_ids=[answers[0].unit_id])
    return [{"indicator": rows[0].question.indicator, "items": rows, "shown": rows}]


def _queue_rows(period, answers):
    queue = list(selectors.review_queue(period=period, status=""))
    found = selectors.with_listed(queue, period=period)
    verdicts = risk.risks(period)
    for answer in found:
        answer.reviewer = answer.claim_holder()
        answer.risk = verdicts[answer.pk]
    return [{"answer": answer} for answer in found]


def _queue_filters(period, answers):
    form = QueueFilterForm(
        {
            "status": Answer.Status.SUBMITTED,
            "group": "",
            "indicator": "",
            "unit": "",
            "checked": "",
            "risk": "",
            "sort": "",
        },
        **selectors.review_filter_choices(period=period),
    )
    assert form.is_valid(), form.errors
    return [{"form": form, "period": period}]


# Every template kept through rendered_rows: (template, the view's row builder, test rows).
ROWS = [
    (kla_views.UNIT_ROW, kla_views.unit_row, _unit_rows),
    (workspace_views.WORKSPACE_CARD, workspace_views.workspace_card, _workspace_cards),
    (review_views.QUEUE_ROW, review_views.queue_row, _queue_rows),
    (review_views.QUEUE_FILTER, review_views.queue_filter, _queue_filters),
]


def test_every_rendered_rows_use_is_checked_here():
    """A new use of rendered_rows must join ROWS: the code names its templates through the
    views' constants, each of them checked below."""
    calls = []
    for app in ("core", "indicators", "opd", "kla"):
        for path in sorted((Path(settings.BASE_DIR) / app).rglob("*.py")):
            calls += re.findall(r"rendered_rows\(\s*(\w+)\s*,", path.read_text())
    views = {**vars(kla_views), **vars(workspace_views), **vars(review_views)}
    assert sorted(views[name] for name in calls if name != "template_name") == sorted(
        template for template, _build, _rows in ROWS
    )


# --- Changing every value a row is built from ---------------------------------------------------


def _raises_all(model) -> bool:
    """Every change of this model raises "all" (no narrower scopes): its values are in every
    row's key through the number of "all"."""
    return model not in page_cache._SCOPED


def _leaves(value, seen: set):
    """(holder, name, field) of every value the row is built from that may change without
    raising "all": the rows' own figures, and the fields (and annotations) of scoped models."""
    if id(value) in seen:
        return
    seen.add(id(value))
    if isinstance(value, dict):
        for name, item in value.items():
            yield from _leaves(item, seen) if _composite(item) else [(value, name, None)]
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _leaves(item, seen)
    elif dataclasses.is_dataclass(value):
        for field in dataclasses.fields(value):
            item = getattr(value, field.name)
            yield from _leaves(item, seen) if _composite(item) else [(value, field.name, None)]
    elif isinstance(value, forms.Form):
        for name in value.fields:
            yield (value.data, name, None)
    elif isinstance(value, models.Model) and not _raises_all(type(value)):
        fields = {f.attname: f for f in value._meta.concrete_fields if not f.primary_key}
        fixed = FIXED.get(type(value), set())
        for name in set(fields) - fixed:
            yield (value, name, fields[name])
        for name in vars(value):  # annotations and values set by the view
            if not name.startswith("_") and name not in fields and name not in fixed:
                yield (value, name, None)


def _composite(item) -> bool:
    return isinstance(item, dict | list | tuple | forms.Form | models.Model) or (
        dataclasses.is_dataclass(item) and not isinstance(item, type)
    )


def _others(value, field) -> list:
    """Other values of the same kind."""
    if field is not None and field.is_relation:
        others = list(
            field.related_model._base_manager.exclude(pk=value).values_list("pk", flat=True)[:1]
        )
        return others + ([None] if field.null and value is not None else [])
    if field is not None and field.choices:
        return [choice for choice, _label in field.flatchoices if choice != value]
    if isinstance(value, models.Model):
        return [None, *type(value)._base_manager.exclude(pk=value.pk)[:1]]
    if isinstance(value, bool):
        return [not value]
    if isinstance(value, int | Decimal):
        return [value + 1, value + D("1.25") if isinstance(value, Decimal) else value + 7]
    if isinstance(value, str):
        return [value + " diubah", ""] if value else ["diubah"]
    if isinstance(value, datetime.date):
        return [value + datetime.timedelta(days=1), value + datetime.timedelta(days=400)]
    if isinstance(value, dict):
        return [{**value, "diubah": "1"}]
    if value is None and field is not None:
        by_type = {
            models.DecimalField: D("3.50"),
            models.DateTimeField: timezone.now(),
            models.DateField: timezone.localdate(),
            models.TextField: "diubah",
            models.CharField: "diubah",
            models.IntegerField: 3,
        }
        return [v for kind, v in by_type.items() if isinstance(field, kind)][:1]
    return []


def _read(holder, name):
    return holder[name] if isinstance(holder, dict) else getattr(holder, name)


def _write(holder, name, value) -> None:
    if isinstance(holder, dict):
        holder[name] = value
    else:
        setattr(holder, name, value)


@pytest.mark.parametrize(("template", "build", "rows"), ROWS, ids=[r[0] for r in ROWS])
def test_a_rows_key_changes_whenever_its_html_does(period, answers, template, build, rows):
    checked = changed = 0
    for data in rows(period, answers):
        context, key = build(**data)
        html = render_to_string(template, context)
        for holder, name, field in list(_leaves(data, set())):
            original = _read(holder, name)
            for other in _others(original, field):
                _write(holder, name, other)
                new_context, new_key = build(**data)
                new_html = render_to_string(template, new_context)
                _write(holder, name, original)
                checked += 1
                if new_html != html:
                    changed += 1
                    assert new_key != key, f"{template}: {name} = {other!r} shows, not in key"
        # Back as it was: the same HTML and key.
        assert build(**data)[1] == key and render_to_string(template, build(**data)[0]) == html
    # The check really changed what the rows show.
    assert changed >= 2, (checked, changed)
