"""The document library: a document registered once and attached to many questions as the
same stored file; its validity warns before the ministry's entry; the recap lists it under
every question it serves."""

import datetime
from io import BytesIO, StringIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from core.errors import DomainError
from kla.reports.xlsx import rekap_workbook
from opd import evidence, services
from opd.models import AuditEvent, Document, Evidence, EvidenceRevision, Profile
from tests import factories, samples


@pytest.fixture(autouse=True)
def _inside_window(monkeypatch):
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: datetime.date(2026, 2, 10))


@pytest.fixture
def second_question(period, lead_unit):
    q = factories.QuestionFactory(indicator__group__period=period, text="Apakah ada RAD KLA?")
    factories.AssignmentFactory(question=q, unit=lead_unit, role="lead")
    return q


@pytest.fixture
def stored(question, lead_unit, opd_user):
    """A Perda uploaded once, as evidence of the first question."""
    answer = services.answer_open(question=question, unit=lead_unit)
    upload = SimpleUploadedFile("perda-kla.pdf", samples.pdf_bytes("Perda KLA"), "application/pdf")
    return evidence.evidence_add_file(
        answer=answer, unit=lead_unit, user=opd_user, uploaded_file=upload, title="Perda KLA"
    )


def _register(stored, unit, user, **extra):
    values = {"kind": "perda", "title": "Perda KLA", "number": "5 Tahun 2019"} | extra
    return evidence.document_register(revision=stored, unit=unit, user=user, **values)


def test_attach_reuses_the_stored_file(stored, lead_unit, opd_user, second_question):
    document = _register(stored, lead_unit, opd_user)
    answer = services.answer_open(question=second_question, unit=lead_unit)
    item = evidence.evidence_attach_document(
        answer=answer, document=document, unit=lead_unit, user=opd_user
    )
    copy = item.revisions.get()
    assert copy.file.name == stored.file.name and copy.sha256 == stored.sha256
    assert item.document == document and item.title == "Perda 5 Tahun 2019: Perda KLA"
    assert EvidenceRevision.objects.values("file").distinct().count() == 1  # stored once
    assert AuditEvent.objects.filter(action=AuditEvent.Action.DOCUMENT_ATTACH).count() == 1
    # Attaching it twice to one answer is refused: the same bytes are already there.
    with pytest.raises(evidence.DuplicateEvidence):
        evidence.evidence_attach_document(
            answer=answer, document=document, unit=lead_unit, user=opd_user
        )
    # Every stored file is still known: no orphan for verify_evidence to remove.
    out = StringIO()
    call_command("verify_evidence", stdout=out)
    assert "orphaned 0" in out.getvalue(), out.getvalue()


def test_another_units_document_is_refused_but_the_secretariats_serve_all(
    stored, lead_unit, opd_user, other_unit, other_opd_user, secretariat_user, period
):
    document = _register(stored, lead_unit, opd_user)
    q = factories.QuestionFactory(indicator__group__period=period)
    factories.AssignmentFactory(question=q, unit=other_unit, role="lead")
    answer = services.answer_open(question=q, unit=other_unit)
    with pytest.raises(DomainError) as refused:
        evidence.evidence_attach_document(
            answer=answer, document=document, unit=other_unit, user=other_opd_user
        )
    assert refused.value.code == "not_owner"
    secretariat_unit = secretariat_user.profile.units.get()
    shared = _register(stored, secretariat_unit, secretariat_user, kind="sk", title="SK Gugus")
    evidence.evidence_attach_document(
        answer=answer, document=shared, unit=other_unit, user=other_opd_user
    )
    assert Evidence.objects.filter(answer=answer, document=shared).exists()


def test_only_members_register_for_their_unit(stored, lead_unit, other_opd_user):
    with pytest.raises(DomainError):
        _register(stored, lead_unit, other_opd_user)
    with pytest.raises(DomainError):
        _register(
            stored,
            lead_unit,
            other_opd_user,
            issued_on=datetime.date(2020, 1, 1),
            valid_until=datetime.date(2019, 1, 1),
        )
    assert not Document.objects.exists()


def test_register_and_attach_through_the_pages(
    client_for, stored, opd_user, question, second_question, lead_unit
):
    client = client_for(opd_user)
    page = client.get(reverse("opd:answer", args=[question.pk, lead_unit.pk]))
    assert reverse("opd:document-register", args=[stored.pk]) in page.content.decode()
    response = client.post(
        reverse("opd:document-register", args=[stored.pk]),
        {
            "kind": "perda",
            "title": "Perda KLA",
            "number": "5 Tahun 2019",
            "issued_on": "2019-05-02",
            "valid_until": "",
        },
        follow=True,
    )
    assert "Perda 5 Tahun 2019: Perda KLA" in response.content.decode()
    document = Document.objects.get()
    assert document.unit == lead_unit and document.registered_by == opd_user
    answer_url = reverse("opd:answer", args=[second_question.pk, lead_unit.pk])
    assert 'data-testid="attach-document"' in client.get(answer_url).content.decode()
    client.post(
        reverse("opd:document-attach", args=[second_question.pk, lead_unit.pk]),
        {"document": document.pk},
    )
    assert Evidence.objects.filter(answer__question=second_question, document=document).exists()
    library = client.get(reverse("opd:documents")).content.decode()
    assert "Mendukung 2 pertanyaan" in library


def test_expiry_is_warned_in_the_library_and_the_workspace(
    client_for, stored, opd_user, lead_unit, period
):
    # The period's entry into the ministry's application is 15 April 2026.
    _register(
        stored,
        lead_unit,
        opd_user,
        kind="sk",
        title="SK Gugus Tugas",
        valid_until=datetime.date(2026, 3, 1),
    )
    _register(
        stored,
        lead_unit,
        opd_user,
        kind="rad",
        title="RAD KLA",
        valid_until=datetime.date(2026, 1, 31),
    )
    _register(stored, lead_unit, opd_user, kind="perda", title="Perda KLA")
    client = client_for(opd_user)
    library = client.get(reverse("opd:documents")).content.decode()
    assert library.count('data-testid="document-expired"') == 1  # RAD: before 10 February
    assert library.count('data-testid="document-expiring"') == 1  # SK: before 15 April
    workspace = client.get(reverse("opd:workspace")).content.decode()
    assert 'data-testid="documents-expiring"' in workspace
    assert "SK Gugus Tugas" in workspace and "RAD KLA" in workspace
    assert "Perda KLA (" not in workspace


def test_the_recap_lists_a_document_under_every_question_it_serves(
    stored, lead_unit, opd_user, second_question, period
):
    document = _register(stored, lead_unit, opd_user, valid_until=datetime.date(2029, 12, 31))
    answer = services.answer_open(question=second_question, unit=lead_unit)
    evidence.evidence_attach_document(
        answer=answer, document=document, unit=lead_unit, user=opd_user
    )
    buffer = BytesIO()
    rekap_workbook(period=period).save(buffer)
    wb = load_workbook(BytesIO(buffer.getvalue()))
    listed = [
        c.value
        for sheet in wb.worksheets[1:]
        for c in sheet["O"]
        if c.value and "Perda" in str(c.value)
    ]
    assert listed == ["Perda 5 Tahun 2019: Perda KLA (berlaku s.d. 31-12-2029)"] * 2


def test_the_executive_reads_the_library_but_registers_nothing(client_for, stored):
    executive = factories.UserFactory(username="sekda", role=Profile.Role.EXECUTIVE)
    client = client_for(executive)
    assert client.get(reverse("opd:documents")).status_code == 200
    assert client.get(reverse("opd:document-register", args=[stored.pk])).status_code == 403
