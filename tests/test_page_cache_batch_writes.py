"""The page cache's guardrails for writes that send no signal (core/page_cache.py): the watched
models' update(), bulk_create() and bulk_update() raise the version like a save, with the
scopes of the rows they touch where those are known; the apps register what is watched, and a
watched model whose manager could bypass it is refused."""

import datetime
from decimal import Decimal

import pytest
from django.apps import apps
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from core import page_cache
from core.models import DataVersion
from opd.models import (
    Answer,
    Assignment,
    Comment,
    Document,
    Evidence,
    EvidenceRevision,
    Profile,
    Unit,
)
from tests import factories

D = Decimal


@pytest.fixture
def draft(question, lead_unit):
    """The lead unit's draft answer; `question` is supported by `support_unit`."""
    return Answer.objects.create(question=question, unit=lead_unit, claimed_points=D("5.00"))


@pytest.fixture
def scopes(period, lead_unit, support_unit):
    p = period.pk
    pages = {
        f"period:{p}",
        f"unit:{lead_unit.pk}",
        f"unit:{support_unit.pk}",
        f"answers:{lead_unit.pk}",  # the lead unit gives the answer, the supporter sees it
    }
    figures = pages | {f"score:{p}", f"progress:{p}"}
    # A batch update cannot tell a change of points from one of state: it raises the review
    # queue's figures as well (a save compares the two and may leave them be).
    return {"pages": pages, "figures": figures, "batch": figures | {f"queue:{p}"}}


def _other_answer(draft) -> Answer:
    question = factories.QuestionFactory(indicator=draft.question.indicator)
    return Answer.objects.create(question=question, unit=draft.unit)


def _document(answer, **fields) -> Document:
    evidence = Evidence.objects.create(answer=answer, unit=answer.unit)
    revision = EvidenceRevision.objects.create(
        evidence=evidence,
        file="evidence/test/perda",
        original_name="perda.pdf",
        size=1,
        sha256="0" * 64,
        content_type="application/pdf",
    )
    return Document.objects.create(
        unit=answer.unit, kind=Document.Kind.PERDA, title="Perda KLA", revision=revision, **fields
    )


def _raised(change) -> set[str]:
    """The scopes whose numbers the committed change raised."""
    page_cache.versions()  # "all" exists before, so its raise is seen
    before = dict(DataVersion.objects.values_list("scope", "value"))
    change()
    after = dict(DataVersion.objects.values_list("scope", "value"))
    return {scope for scope, value in after.items() if before.get(scope) != value}


def test_update_raises_the_scopes_of_the_rows_it_changes(transactional_db, draft, scopes):
    raised = _raised(lambda: Answer.objects.filter(pk=draft.pk).update(claimed_points=D("7")))
    assert raised == scopes["batch"]
    draft.refresh_from_db()
    assert draft.claimed_points == D("7.00")


def test_update_of_a_model_shown_everywhere_raises_all(transactional_db, lead_unit):
    assert _raised(lambda: Unit.objects.filter(pk=lead_unit.pk).update(name="Dinkes Baru")) == {
        "all"
    }


def test_update_matching_nothing_raises_nothing(transactional_db, draft, lead_unit):
    assert _raised(lambda: Answer.objects.filter(pk=-1).update(claimed_points=D("1"))) == set()
    assert _raised(lambda: Unit.objects.filter(pk=-1).update(name="Tidak ada")) == set()


def test_update_moving_a_row_to_another_parent_raises_all(transactional_db, draft):
    evidence = Evidence.objects.create(
        answer=draft, unit=draft.unit, kind=Evidence.Kind.LINK, url="https://jdih.example/1"
    )
    other = _other_answer(draft)
    assert _raised(lambda: Evidence.objects.filter(pk=evidence.pk).update(answer=other)) == {"all"}


def test_update_of_many_rows_raises_all(transactional_db, draft, lead_unit, monkeypatch):
    _other_answer(draft)
    monkeypatch.setattr(page_cache, "MAX_ROWS", 1)
    assert _raised(lambda: Answer.objects.update(narrative="Semua")) == {"all"}
    assert set(Answer.objects.values_list("narrative", flat=True)) == {"Semua"}


def test_fields_no_page_shows_raise_nothing(transactional_db, opd_user, draft):
    """The notices' counter and a document's warning day are written by update()."""
    profiles = Profile.objects.filter(user=opd_user)
    assert _raised(lambda: profiles.update(unread_notices=3)) == set()
    assert _raised(lambda: profiles.update(position="Kepala Dinas")) == {"all"}
    document = _document(draft)
    today = timezone.localdate()
    assert (
        _raised(lambda: Document.objects.filter(pk=document.pk).update(expiry_warned_on=today))
        == set()
    )
    opd_user.last_login = timezone.now()
    assert _raised(lambda: opd_user.save(update_fields=["last_login"])) == set()


def test_bulk_create_raises_like_saves(transactional_db, draft, scopes, secretariat_user):
    comments = [Comment(answer=draft, author=secretariat_user, body=f"Catatan {i}") for i in "12"]
    assert _raised(lambda: Comment.objects.bulk_create(comments)) == scopes["pages"]
    assert Comment.objects.filter(answer=draft).count() == 2
    units = [
        Unit(name=f"Kecamatan {i}", short_name=f"Kec{i}", kind=Unit.Kind.KECAMATAN) for i in "12"
    ]
    assert _raised(lambda: Unit.objects.bulk_create(units)) == {"all"}


def test_bulk_update_raises_like_saves(transactional_db, draft, scopes, lead_unit):
    draft.claimed_points = D("8.00")
    assert (
        _raised(lambda: Answer.objects.bulk_update([draft], ["claimed_points"])) == scopes["batch"]
    )
    lead_unit.name = "Dinas Kesehatan Kabupaten"
    assert _raised(lambda: Unit.objects.bulk_update([lead_unit], ["name"])) == {"all"}


def test_a_querysets_delete_sends_the_signals(transactional_db, draft, scopes, secretariat_user):
    """Django deletes a queryset row by row, with post_delete, since the page cache listens
    to every model: no fast delete bypasses it."""
    Comment.objects.create(answer=draft, author=secretariat_user, body="Lengkapi")
    assert _raised(lambda: Comment.objects.filter(answer=draft).delete()) == scopes["pages"]


def test_the_custom_querysets_keep_their_methods_and_raise(
    transactional_db, draft, period, lead_unit
):
    answering = Assignment.objects.answering()
    assert isinstance(answering, page_cache.WatchedQuerySet)
    assert list(answering.values_list("unit", flat=True)) == [lead_unit.pk]
    assert _raised(
        lambda: answering.filter(unit=lead_unit).update(role=Assignment.Role.PER_UNIT)
    ) == {"all"}
    lapsing = _document(draft, valid_until=datetime.date(2000, 1, 1))
    _document(draft, valid_until=datetime.date(2999, 1, 1))
    assert isinstance(Document.objects.lapsing(period), page_cache.WatchedQuerySet)
    assert list(Document.objects.lapsing(period)) == [lapsing]
    assert _raised(lambda: Document.objects.lapsing(period).update(title="Perda lama")) == {"all"}


def test_every_watched_model_is_written_through_the_watched_queryset():
    watched = [m for m in apps.get_models() if page_cache._watched(m)]
    labels = {m._meta.label_lower for m in watched}
    assert {"opd.answer", "opd.unit", "indicators.question", "auth.user"} <= labels
    assert not labels & {"opd.auditevent", "opd.notice", "opd.resumableupload"}
    # The user's manager is Django's: only its saves and deletes are watched.
    unguarded = {m._meta.label_lower for m in watched if not page_cache._guarded(m)}
    assert unguarded == {"auth.user"}


def test_watching_an_app_whose_managers_bypass_it_is_refused():
    """kla's API tokens use Django's plain manager: watching kla would leave its update()
    unchecked, so it is refused, and nothing of it is registered."""
    with pytest.raises(ImproperlyConfigured, match="kla.ApiToken"):
        page_cache.watch("kla")
    with pytest.raises(ImproperlyConfigured, match="no model"):
        page_cache.watch("opd", ignore={"auditevents"})
    assert "kla" not in page_cache._watched_apps
