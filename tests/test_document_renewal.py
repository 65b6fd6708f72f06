"""Renewing a registered document: the new version serves every question the old one served,
the old one stays in the history, and a failure half-way changes nothing. Validity is checked
through the field verification when its date is known."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from core.errors import DomainError
from indicators.models import OfficialResult, Period
from opd import evidence, notifications, selectors, services
from opd.models import Answer, AuditEvent, Document, Evidence
from tests import factories, samples

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _inside_window(monkeypatch):
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: datetime.date(2026, 2, 10))


def _upload(answer, unit, user, name, text):
    upload = SimpleUploadedFile(name, samples.pdf_bytes(text), "application/pdf")
    return evidence.evidence_add_file(answer=answer, unit=unit, user=user, uploaded_file=upload)


@pytest.fixture
def served(period, question, lead_unit, opd_user):
    """An SK registered from the first question and attached to three more."""
    first = services.answer_open(question=question, unit=lead_unit)
    stored = _upload(first, lead_unit, opd_user, "sk-2023.pdf", "SK Gugus Tugas 2023")
    sk = evidence.document_register(
        revision=stored,
        unit=lead_unit,
        user=opd_user,
        kind="sk",
        title="SK Gugus Tugas KLA",
        number="12 Tahun 2023",
        valid_until=datetime.date(2026, 3, 1),
    )
    answers = [first]
    for n in range(3):
        q = factories.QuestionFactory(indicator=question.indicator, text=f"Pertanyaan {n}")
        factories.AssignmentFactory(question=q, unit=lead_unit, role="lead")
        answer = services.answer_open(question=q, unit=lead_unit)
        evidence.evidence_attach_document(answer=answer, document=sk, unit=lead_unit, user=opd_user)
        answers.append(answer)
    return sk, answers


def _new_version(answer, lead_unit, opd_user):
    return _upload(
        Answer.objects.get(pk=answer.pk), lead_unit, opd_user, "sk-2026.pdf", "SK Gugus Tugas 2026"
    )


def test_every_question_follows_the_renewal(served, lead_unit, opd_user):
    sk, answers = served
    # The new SK is uploaded on one of the questions it serves (the answer page's upload).
    revision = _new_version(answers[2], lead_unit, opd_user)
    new = evidence.document_renew(
        document=sk,
        revision=revision,
        user=opd_user,
        title="SK Gugus Tugas KLA",
        number="3 Tahun 2026",
        valid_until=datetime.date(2028, 12, 31),
    )
    sk.refresh_from_db()
    assert sk.replaced_by == new and sk.replaced_at is not None
    assert new.kind == "sk" and new.unit == lead_unit
    for answer in answers:
        live = Evidence.objects.filter(answer=answer, removed_at__isnull=True)
        # Each question shows the document once, the new version, as its latest file.
        assert [e.document_id for e in live] == [new.pk], answer
        latest = live.get().revisions.order_by("-uploaded_at", "-pk").first()
        assert latest.sha256 == revision.sha256
    assert not Evidence.objects.filter(document=sk, removed_at__isnull=True).exists()
    # The old file stays in each evidence's history.
    assert Evidence.objects.filter(revisions__sha256=sk.revision.sha256).count() == 4
    event = AuditEvent.objects.get(action=AuditEvent.Action.DOCUMENT_RENEW)
    assert event.data["old"] == sk.pk and event.data["new"] == new.pk
    assert len(event.data["evidence_moved"]) == 3 and len(event.data["evidence_merged"]) == 1
    # The library lists the new one, the old one in its history, and attaches only the new.
    [entry] = selectors.document_library(
        unit_ids=None, deadline=None, today=datetime.date(2026, 2, 10)
    )
    assert entry.document == new and entry.history == [sk] and len(entry.uses) == 4
    assert list(selectors.documents_to_attach(unit=lead_unit)) == [new]
    with pytest.raises(DomainError):
        evidence.evidence_attach_document(
            answer=answers[0], document=sk, unit=lead_unit, user=opd_user
        )


def test_a_renewal_that_fails_half_way_changes_nothing(served, lead_unit, opd_user, monkeypatch):
    sk, answers = served
    revision = _new_version(answers[0], lead_unit, opd_user)
    real = evidence.revision_reuse
    calls = []

    def fail_on_the_second(**kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("storage went away")
        return real(**kwargs)

    monkeypatch.setattr(evidence, "revision_reuse", fail_on_the_second)
    documents_before = Document.objects.count()
    with pytest.raises(RuntimeError):
        evidence.document_renew(document=sk, revision=revision, user=opd_user, title="SK baru")
    sk.refresh_from_db()
    assert sk.replaced_by is None and Document.objects.count() == documents_before
    for answer in answers[1:]:
        live = Evidence.objects.get(answer=answer, removed_at__isnull=True)
        assert live.document_id == sk.pk and live.revisions.count() == 1
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.DOCUMENT_RENEW).exists()


def test_renewal_is_refused_when_it_cannot_be(served, lead_unit, opd_user, other_opd_user):
    sk, answers = served
    revision = _new_version(answers[0], lead_unit, opd_user)
    with pytest.raises(DomainError) as same:
        evidence.document_renew(document=sk, revision=sk.revision, user=opd_user, title="SK")
    assert same.value.code == "same_file"
    with pytest.raises(DomainError):  # not a member of the unit that keeps it
        evidence.document_renew(document=sk, revision=revision, user=other_opd_user, title="SK")
    evidence.document_renew(document=sk, revision=revision, user=opd_user, title="SK")
    with pytest.raises(DomainError) as again:
        evidence.document_renew(document=sk, revision=revision, user=opd_user, title="SK")
    assert again.value.code == "renewed"


def test_a_locked_years_answers_keep_what_was_verified(served, lead_unit, opd_user, period):
    sk, answers = served
    later = factories.PeriodFactory(
        year=period.year + 1,
        status=Period.Status.OPEN,
        window_opens=datetime.date(2026, 2, 1),  # next year's window already open
    )
    q = factories.QuestionFactory(indicator__group__period=later)
    factories.AssignmentFactory(question=q, unit=lead_unit, role="lead")
    answer = services.answer_open(question=q, unit=lead_unit)
    revision = _new_version(answer, lead_unit, opd_user)
    Period.objects.filter(pk=period.pk).update(status=Period.Status.LOCKED)
    evidence.document_renew(document=sk, revision=revision, user=opd_user, title="SK")
    assert Evidence.objects.filter(document=sk, answer__in=answers).count() == 4


def test_renew_through_the_register_page(client_for, served, lead_unit, opd_user):
    sk, answers = served
    revision = _new_version(answers[1], lead_unit, opd_user)
    client = client_for(opd_user)
    url = reverse("opd:document-register", args=[revision.pk])
    page = client.get(url + f"?renews={sk.pk}").content.decode()
    assert 'name="renews"' in page and "SK Gugus Tugas KLA" in page
    response = client.post(
        url,
        {"kind": "sk", "title": "SK Gugus Tugas KLA", "number": "3 Tahun 2026", "renews": sk.pk},
        follow=True,
    )
    html = response.content.decode()
    assert 'data-testid="document-history"' in html
    assert Document.objects.get(pk=sk.pk).replaced_by.number == "3 Tahun 2026"


@pytest.mark.parametrize(
    ("entry", "field", "needed"),
    [
        # The field verification after the entry: documents must last until it.
        (datetime.date(2026, 4, 15), datetime.date(2026, 6, 20), datetime.date(2026, 6, 20)),
        # Not known yet: the entry.
        (datetime.date(2026, 4, 15), None, datetime.date(2026, 4, 15)),
        # A date before the entry is a typo, not a verification: the entry.
        (datetime.date(2026, 4, 15), datetime.date(2026, 3, 1), datetime.date(2026, 4, 15)),
        # No entry date: the field verification, else the window's close.
        (None, datetime.date(2026, 6, 20), datetime.date(2026, 6, 20)),
        (None, None, datetime.date(2026, 3, 31)),
    ],
)
def test_documents_are_needed_until(period, entry, field, needed):
    Period.objects.filter(pk=period.pk).update(entry_date=entry)
    if field is not None:
        OfficialResult.objects.create(period=period, field_verification_on=field)
    assert Period.objects.get(pk=period.pk).documents_needed_until == needed


def test_expiry_warnings_follow_the_field_verification(
    served, lead_unit, opd_user, period, mailoutbox
):
    sk, _answers = served
    # Valid until 1 March: lapses before the entry (15 April) already; a renewal until 1 May
    # passes the entry but not a field verification on 20 June.
    revision = _new_version(_answers[0], lead_unit, opd_user)
    new = evidence.document_renew(
        document=sk,
        revision=revision,
        user=opd_user,
        title="SK",
        valid_until=datetime.date(2026, 5, 1),
    )
    period = Period.objects.get(pk=period.pk)
    assert notifications.document_warnings_send(period=period) == []  # the old one is history
    OfficialResult.objects.create(period=period, field_verification_on=datetime.date(2026, 6, 20))
    period = Period.objects.get(pk=period.pk)
    lines = notifications.document_warnings_send(period=period)
    assert len(lines) == 1 and "warned" in lines[0]
    assert Document.objects.get(pk=new.pk).expiry_warned_on is not None
    assert "20-06-2026" in mailoutbox[-1].body
