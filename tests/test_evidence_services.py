"""Evidence services: who may change evidence, when, and what a download sends back."""

import datetime
import hashlib
import re
from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from core.errors import DomainError
from opd import evidence as ev
from opd import services
from opd.models import Answer, Assignment, AuditEvent, Evidence, EvidenceRevision, Extension
from tests import factories, samples

pytestmark = pytest.mark.django_db

FEB = datetime.date(2026, 2, 10)


@pytest.fixture(autouse=True)
def _inside_window(monkeypatch):
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: FEB)


def _on(monkeypatch, day):
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: day)


@pytest.fixture
def answer(question, lead_unit):
    return services.answer_open(question=question, unit=lead_unit)


def _pdf(name="perbup.pdf", text="Perbup KLA"):
    return SimpleUploadedFile(name, samples.pdf_bytes(text))


def _files():
    root = Path(default_storage.location) / "evidence"
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def _state():
    return (
        Evidence.objects.count(),
        EvidenceRevision.objects.count(),
        AuditEvent.objects.count(),
        _files(),
    )


# --- Who -------------------------------------------------------------------------------------


def test_supporting_unit_attaches_files_and_links_to_the_leads_answer(
    answer, support_unit, support_user
):
    revision = ev.evidence_add_file(
        answer=answer, unit=support_unit, user=support_user, uploaded_file=_pdf(), title=" SK "
    )
    link = ev.evidence_add_link(
        answer=answer, unit=support_unit, user=support_user, url=" https://jdih.example/sk "
    )
    assert revision.evidence.unit == support_unit and revision.evidence.title == "SK"
    assert revision.evidence.answer == answer and revision.uploaded_by == support_user
    assert (link.unit, link.url, link.kind) == (support_unit, "https://jdih.example/sk", "link")
    upload = AuditEvent.objects.get(action="evidence.upload")
    assert (upload.unit, upload.answer, upload.actor) == (support_unit, answer, support_user)
    assert upload.data["sha256"] == revision.sha256 and upload.data["replaces"] is None
    assert AuditEvent.objects.filter(action="evidence.link", unit=support_unit).count() == 1


def test_unit_not_assigned_is_refused_and_nothing_changes(answer, other_unit, other_opd_user):
    before = _state()
    for attempt in (
        lambda: ev.evidence_add_file(
            answer=answer, unit=other_unit, user=other_opd_user, uploaded_file=_pdf()
        ),
        lambda: ev.evidence_add_link(
            answer=answer, unit=other_unit, user=other_opd_user, url="https://x.example/"
        ),
    ):
        with pytest.raises(DomainError) as error:
            attempt()
        assert error.value.code == "not_assigned"
    assert _state() == before


def test_user_must_be_a_member_of_the_acting_unit(answer, lead_unit, support_user):
    with pytest.raises(DomainError) as error:
        ev.evidence_add_file(answer=answer, unit=lead_unit, user=support_user, uploaded_file=_pdf())
    assert error.value.code == "not_member"
    assert _files() == []


def test_a_kecamatan_cannot_attach_to_another_kecamatans_answer(period):
    question = factories.QuestionFactory(indicator__group__period=period, every_kecamatan=True)
    first, second = (
        factories.UnitFactory(name=f"Kecamatan {n}", short_name=f"Kec {n}", kind="kecamatan")
        for n in ("Tungkal Ilir", "Betara")
    )
    for unit in (first, second):
        factories.AssignmentFactory(question=question, unit=unit, role=Assignment.Role.PER_UNIT)
    user = factories.UserFactory(username="camat", units=[second])
    theirs = services.answer_open(question=question, unit=first)
    with pytest.raises(DomainError) as error:
        ev.evidence_add_file(answer=theirs, unit=second, user=user, uploaded_file=_pdf())
    assert error.value.code == "not_assigned"
    own = services.answer_open(question=question, unit=second)
    revision = ev.evidence_add_file(answer=own, unit=second, user=user, uploaded_file=_pdf())
    assert revision.evidence.answer == own


def test_supporter_changes_only_its_own_evidence_the_lead_changes_all(
    answer, lead_unit, support_unit, opd_user, support_user
):
    leads = ev.evidence_add_file(answer=answer, unit=lead_unit, user=opd_user, uploaded_file=_pdf())
    supporters = ev.evidence_add_file(
        answer=answer, unit=support_unit, user=support_user, uploaded_file=_pdf("sk.pdf", "SK")
    )
    before = _state()
    with pytest.raises(DomainError) as error:
        ev.evidence_replace_file(
            evidence=leads.evidence,
            unit=support_unit,
            user=support_user,
            uploaded_file=_pdf("v2.pdf", "v2"),
        )
    assert error.value.code == "not_owner"
    with pytest.raises(DomainError) as error:
        ev.evidence_remove(evidence=leads.evidence, unit=support_unit, user=support_user)
    assert error.value.code == "not_owner"
    assert _state() == before
    ev.evidence_replace_file(
        evidence=supporters.evidence,
        unit=support_unit,
        user=support_user,
        uploaded_file=_pdf("sk2.pdf", "sk2"),
    )
    ev.evidence_remove(evidence=supporters.evidence, unit=lead_unit, user=opd_user)
    supporters.evidence.refresh_from_db()
    assert supporters.evidence.removed_at is not None


# --- When ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "code"),
    [(datetime.date(2026, 4, 1), "closed"), (datetime.date(2026, 1, 14), "not_open")],
)
def test_outside_the_window_is_refused(answer, lead_unit, opd_user, monkeypatch, day, code):
    _on(monkeypatch, day)
    before = _state()
    with pytest.raises(DomainError) as error:
        ev.evidence_add_file(answer=answer, unit=lead_unit, user=opd_user, uploaded_file=_pdf())
    assert error.value.code == code
    with pytest.raises(DomainError):
        ev.evidence_add_link(answer=answer, unit=lead_unit, user=opd_user, url="https://x.test/")
    assert _state() == before


def test_an_extension_of_the_attaching_unit_counts(
    answer, period, lead_unit, support_unit, support_user, monkeypatch
):
    _on(monkeypatch, datetime.date(2026, 4, 3))
    with pytest.raises(DomainError):
        ev.evidence_add_file(
            answer=answer, unit=support_unit, user=support_user, uploaded_file=_pdf()
        )
    # The lead's extension does not help the supporter; the supporter's own does.
    Extension.objects.create(period=period, unit=lead_unit, until=datetime.date(2026, 4, 5))
    with pytest.raises(DomainError):
        ev.evidence_add_file(
            answer=answer, unit=support_unit, user=support_user, uploaded_file=_pdf()
        )
    Extension.objects.create(period=period, unit=support_unit, until=datetime.date(2026, 4, 5))
    ev.evidence_add_file(answer=answer, unit=support_unit, user=support_user, uploaded_file=_pdf())
    assert EvidenceRevision.objects.count() == 1


def test_locked_period_is_refused(answer, period, lead_unit, opd_user):
    first = ev.evidence_add_file(answer=answer, unit=lead_unit, user=opd_user, uploaded_file=_pdf())
    period.status = period.Status.LOCKED
    period.save(update_fields=["status"])
    before = _state()
    attempts = {
        "add": lambda: ev.evidence_add_file(
            answer=answer, unit=lead_unit, user=opd_user, uploaded_file=_pdf()
        ),
        "replace": lambda: ev.evidence_replace_file(
            evidence=first.evidence, unit=lead_unit, user=opd_user, uploaded_file=_pdf()
        ),
        "remove": lambda: ev.evidence_remove(
            evidence=first.evidence, unit=lead_unit, user=opd_user
        ),
        "link": lambda: ev.evidence_add_link(
            answer=answer, unit=lead_unit, user=opd_user, url="https://x.test/"
        ),
    }
    codes = {}
    for name, attempt in attempts.items():
        with pytest.raises(DomainError) as error:
            attempt()
        codes[name] = error.value.code
    assert codes == dict.fromkeys(attempts, "locked")
    assert _state() == before


@pytest.mark.parametrize("status", ["submitted", "approved"])
def test_submitted_or_approved_answer_keeps_its_evidence(
    answer, lead_unit, support_unit, opd_user, support_user, status
):
    first = ev.evidence_add_file(answer=answer, unit=lead_unit, user=opd_user, uploaded_file=_pdf())
    Answer.objects.filter(pk=answer.pk).update(status=status, verified_points=1)
    before = _state()
    for attempt in (
        lambda: ev.evidence_add_file(
            answer=answer, unit=support_unit, user=support_user, uploaded_file=_pdf()
        ),
        lambda: ev.evidence_replace_file(
            evidence=first.evidence, unit=lead_unit, user=opd_user, uploaded_file=_pdf()
        ),
        lambda: ev.evidence_remove(evidence=first.evidence, unit=lead_unit, user=opd_user),
    ):
        with pytest.raises(DomainError) as error:
            attempt()
        assert error.value.code == "not_editable"
        assert status in str(error.value.message)
    assert _state() == before


def test_revision_requested_answer_takes_evidence_again(answer, lead_unit, opd_user):
    Answer.objects.filter(pk=answer.pk).update(status="revision_requested")
    revision = ev.evidence_add_file(
        answer=answer, unit=lead_unit, user=opd_user, uploaded_file=_pdf()
    )
    assert revision.pk is not None


def test_rules_are_checked_before_the_file_is_written(
    answer, other_unit, other_opd_user, monkeypatch
):
    """A refused rule costs no disk write: store_upload is never reached."""
    calls = []
    monkeypatch.setattr(ev, "store_upload", lambda **kwargs: calls.append(kwargs))
    with pytest.raises(DomainError):
        ev.evidence_add_file(
            answer=answer, unit=other_unit, user=other_opd_user, uploaded_file=_pdf()
        )
    assert calls == []


def test_the_file_is_written_with_no_transaction_open(
    client_for, question, lead_unit, opd_user, monkeypatch
):
    """Through the answer page, for an answer not written yet: the 20 MB write and its fsyncs
    hold neither the answer's row lock nor SQLite's write lock; the draft is created with the
    file's record, and a refused file leaves no empty answer behind."""
    from django.db import connection

    # The test itself runs inside a transaction: count only the blocks opened beyond it.
    baseline, real_store, seen = len(connection.atomic_blocks), ev.store_upload, []

    def store(**kwargs):
        seen.append(len(connection.atomic_blocks) > baseline)
        return real_store(**kwargs)

    monkeypatch.setattr(ev, "store_upload", store)
    url = reverse("opd:evidence-upload", args=[question.pk, lead_unit.pk])
    client = client_for(opd_user)
    client.post(url, {"file": SimpleUploadedFile("x.exe", b"MZ\x90\x00program"), "title": ""})
    assert seen == [False] and not Answer.objects.exists()  # refused: no empty draft
    client.post(url, {"file": _pdf(), "title": "Perbup"})
    assert seen == [False, False]
    answer = Answer.objects.get()
    assert answer.status == Answer.Status.DRAFT and answer.evidence.count() == 1


# --- Replace, remove, links ------------------------------------------------------------------


def test_replace_adds_a_revision_and_the_old_one_stays_downloadable(answer, lead_unit, opd_user):
    first = ev.evidence_add_file(
        answer=answer, unit=lead_unit, user=opd_user, uploaded_file=_pdf("v1.pdf", "v1")
    )
    second = ev.evidence_replace_file(
        evidence=first.evidence, unit=lead_unit, user=opd_user, uploaded_file=_pdf("v2.pdf", "v2")
    )
    assert second.evidence_id == first.evidence_id
    assert list(first.evidence.revisions.values_list("pk", flat=True)) == [second.pk, first.pk]
    old = ev.evidence_download_response(revision=first, user=opd_user)
    assert b"".join(old.streaming_content) == samples.pdf_bytes("v1")
    event = AuditEvent.objects.filter(action="evidence.upload").order_by("-pk").first()
    assert event.data["replaces"] == first.pk and event.data["revision"] == second.pk


def test_removed_evidence_and_links_cannot_be_replaced(answer, lead_unit, opd_user):
    revision = ev.evidence_add_file(
        answer=answer, unit=lead_unit, user=opd_user, uploaded_file=_pdf()
    )
    ev.evidence_remove(evidence=revision.evidence, unit=lead_unit, user=opd_user)
    link = ev.evidence_add_link(
        answer=answer, unit=lead_unit, user=opd_user, url="https://jdih.example/perbup"
    )
    before = _state()
    with pytest.raises(DomainError) as error:
        ev.evidence_replace_file(
            evidence=revision.evidence, unit=lead_unit, user=opd_user, uploaded_file=_pdf()
        )
    assert error.value.code == "removed"
    with pytest.raises(DomainError) as error:
        ev.evidence_replace_file(evidence=link, unit=lead_unit, user=opd_user, uploaded_file=_pdf())
    assert error.value.code == "not_file"
    with pytest.raises(DomainError) as error:
        ev.evidence_remove(evidence=revision.evidence, unit=lead_unit, user=opd_user)
    assert error.value.code == "removed"
    assert _state() == before
    assert default_storage.exists(revision.file.name)  # removal is soft: the file stays


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "ftp://jdih.example/x",
        "file:///etc/passwd",
        "jdih",
        "",
        "https://",
        "http://exa mple.com/",
        "data:text/html,<script>",
        "https://x.example/" + "a" * 1000,
    ],
)
def test_links_must_be_web_addresses(answer, lead_unit, opd_user, url):
    with pytest.raises(DomainError) as error:
        ev.evidence_add_link(answer=answer, unit=lead_unit, user=opd_user, url=url)
    assert error.value.code == "bad_url"
    assert not Evidence.objects.exists()


# --- Serving ---------------------------------------------------------------------------------


def test_download_headers_name_and_audit(answer, lead_unit, opd_user, secretariat_user):
    name = 'Perbup KLA 2026 – Tanjung Jabung Barat (ttd) "final"; ü.pdf'
    revision = ev.evidence_add_file(
        answer=answer, unit=lead_unit, user=opd_user, uploaded_file=_pdf(name)
    )
    response = ev.evidence_download_response(
        revision=revision, user=secretariat_user, ip="10.0.0.9"
    )
    disposition = response["Content-Disposition"]
    assert disposition.startswith('attachment; filename="Perbup KLA 2026 _ Tanjung Jabung Barat')
    assert disposition.endswith(
        "filename*=UTF-8''Perbup%20KLA%202026%20%E2%80%93%20Tanjung%20Jabung%20Barat%20%28ttd%29"
        "%20%22final%22%3B%20%C3%BC.pdf"
    )
    assert '"final"' not in disposition.split("filename*")[0]  # quotes cannot break out
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert response["Cache-Control"] == "private, no-store"
    body = b"".join(response.streaming_content)
    assert hashlib.sha256(body).hexdigest() == revision.sha256
    event = AuditEvent.objects.get(action="evidence.download")
    assert (event.actor, event.ip_address, event.answer, event.data["revision"]) == (
        secretariat_user,
        "10.0.0.9",
        answer,
        revision.pk,
    )


def test_download_name_without_any_ascii_letter_has_a_fallback(answer, lead_unit, opd_user):
    revision = ev.evidence_add_file(
        answer=answer, unit=lead_unit, user=opd_user, uploaded_file=_pdf("بيان.pdf")
    )
    disposition = ev.evidence_download_response(revision=revision, user=opd_user)[
        "Content-Disposition"
    ]
    assert disposition == (
        "attachment; filename=\"bukti.pdf\"; filename*=UTF-8''%D8%A8%D9%8A%D8%A7%D9%86.pdf"
    )


def test_x_accel_redirect_hands_the_file_to_nginx(answer, lead_unit, opd_user, settings):
    settings.KLA_X_ACCEL_REDIRECT_PREFIX = "/_evidence/"
    revision = ev.evidence_add_file(
        answer=answer, unit=lead_unit, user=opd_user, uploaded_file=_pdf()
    )
    response = ev.evidence_download_response(revision=revision, user=opd_user)
    assert response["X-Accel-Redirect"] == "/_evidence/" + revision.file.name
    assert response.content == b""
    assert response["Content-Disposition"].startswith('attachment; filename="perbup.pdf"')
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]
    assert AuditEvent.objects.filter(action="evidence.download").count() == 1


def test_reviewer_previews_pdf_in_an_unsandboxed_frame_that_the_response_confines(
    client_for, answer, lead_unit, opd_user, secretariat_user
):
    """Chromium's PDF viewer renders nothing in a sandboxed iframe, so the PDF frame has no
    sandbox attribute; the preview response carries its own restrictive policy instead."""
    pdf = ev.evidence_add_file(answer=answer, unit=lead_unit, user=opd_user, uploaded_file=_pdf())
    png = ev.evidence_add_file(
        answer=answer,
        unit=lead_unit,
        user=opd_user,
        uploaded_file=SimpleUploadedFile("foto.png", samples.png_bytes()),
    )
    client = client_for(secretariat_user)
    page = client.get(reverse("opd:answer", args=[answer.question_id, answer.unit_id]))
    html = page.content.decode()
    pdf_preview = reverse("opd:revision-preview", args=[pdf.pk])
    png_preview = reverse("opd:revision-preview", args=[png.pk])
    (frame,) = re.findall(r"<iframe\b[^>]*>", html)
    assert f'src="{pdf_preview}"' in frame and "sandbox" not in frame
    assert re.search(rf'<img\b[^>]*src="{re.escape(png_preview)}"', html)  # images stay <img>
    assert png_preview not in frame

    served = client.get(pdf_preview)
    assert served.status_code == 200 and served["Content-Type"] == "application/pdf"
    assert served["Content-Disposition"].startswith('inline; filename="perbup.pdf"')
    assert served["X-Content-Type-Options"] == "nosniff"
    policy = served["Content-Security-Policy"]
    assert policy.startswith("default-src 'none'") and "script-src" not in policy
    assert "sandbox" not in policy  # the viewer would be blank again
    # Only the preview may be framed, and only by our own pages.
    assert "frame-ancestors 'self'" in policy and served["X-Frame-Options"] == "SAMEORIGIN"
    with default_storage.open(pdf.file.name) as stored:
        assert b"".join(served.streaming_content) == stored.read()
    image = client.get(png_preview)
    assert "sandbox" in image["Content-Security-Policy"]
    download = client.get(reverse("opd:revision-download", args=[pdf.pk]))
    assert download["Content-Disposition"].startswith("attachment;")
    assert download["X-Content-Type-Options"] == "nosniff"
    assert download["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert download["X-Frame-Options"] == "DENY"
    for response in (served, image, download):
        response.close()


def test_missing_file_is_404_and_not_audited(answer, lead_unit, opd_user):
    revision = ev.evidence_add_file(
        answer=answer, unit=lead_unit, user=opd_user, uploaded_file=_pdf()
    )
    default_storage.delete(revision.file.name)
    with pytest.raises(Http404):
        ev.evidence_download_response(revision=revision, user=opd_user)
    assert not AuditEvent.objects.filter(action="evidence.download").exists()


def test_inline_preview_policies(answer, lead_unit, opd_user):
    pdf = ev.evidence_add_file(answer=answer, unit=lead_unit, user=opd_user, uploaded_file=_pdf())
    png = ev.evidence_add_file(
        answer=answer,
        unit=lead_unit,
        user=opd_user,
        uploaded_file=SimpleUploadedFile("foto.png", samples.png_bytes()),
    )
    for revision, expected in ((pdf, "application/pdf"), (png, "image/png")):
        response = ev.evidence_inline_response(revision=revision, user=opd_user)
        assert response["Content-Type"] == expected
        assert response["Content-Disposition"].startswith("inline; ")
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Content-Security-Policy"].startswith("default-src 'none'")
        assert (
            b"".join(response.streaming_content) == default_storage.open(revision.file.name).read()
        )
    assert (
        "sandbox"
        in ev.evidence_inline_response(revision=png, user=opd_user)["Content-Security-Policy"]
    )
    # A row whose type was tampered with is never served as what it claims.
    EvidenceRevision.objects.filter(pk=png.pk).update(content_type="text/html")
    png.refresh_from_db()
    with pytest.raises(Http404):
        ev.evidence_inline_response(revision=png, user=opd_user)
    assert ev.evidence_download_response(revision=png, user=opd_user)["Content-Type"] == (
        "application/octet-stream"
    )


# --- No duplicates ---------------------------------------------------------------------------


def test_the_same_bytes_again_make_no_second_revision(
    answer, lead_unit, support_unit, opd_user, support_user
):
    first = ev.evidence_add_file(answer=answer, unit=lead_unit, user=opd_user, uploaded_file=_pdf())
    before = _state()
    # Sent again (a second click, a retry after a lost connection), under another name, by a
    # supporting unit: the answer already shows these bytes.
    for unit, user, name in [
        (lead_unit, opd_user, "perbup.pdf"),
        (support_unit, support_user, "perbup (1).pdf"),
    ]:
        with pytest.raises(ev.DuplicateEvidence) as error:
            ev.evidence_add_file(answer=answer, unit=unit, user=user, uploaded_file=_pdf(name))
        assert error.value.code == "duplicate"
        assert error.value.existing == first
        assert "already attached" in error.value.message
    assert _state() == before  # no row, no audit line, no file left behind
    # Replacing a file by the same bytes is no new version either.
    with pytest.raises(ev.DuplicateEvidence):
        ev.evidence_replace_file(
            evidence=first.evidence, unit=lead_unit, user=opd_user, uploaded_file=_pdf("v2.pdf")
        )
    assert _state() == before


def test_the_same_bytes_may_come_back_once_removed_or_replaced(
    answer, lead_unit, opd_user, question, other_unit
):
    first = ev.evidence_add_file(answer=answer, unit=lead_unit, user=opd_user, uploaded_file=_pdf())
    ev.evidence_replace_file(
        evidence=first.evidence, unit=lead_unit, user=opd_user, uploaded_file=_pdf("v2.pdf", "v2")
    )
    # Only the history holds the first bytes now: attaching them again is a deliberate choice.
    again = ev.evidence_add_file(answer=answer, unit=lead_unit, user=opd_user, uploaded_file=_pdf())
    ev.evidence_remove(evidence=again.evidence, unit=lead_unit, user=opd_user)
    ev.evidence_add_file(answer=answer, unit=lead_unit, user=opd_user, uploaded_file=_pdf())
    assert EvidenceRevision.objects.filter(sha256=first.sha256).count() == 3


def test_an_image_with_too_many_pixels_gets_no_preview_but_the_reason(
    answer, client_for, secretariat_user, lead_unit, opd_user
):
    """An image stored before uploads were held to KLA_IMAGE_MAX_MEGAPIXELS: the reviewer's
    browser would decode 81 megapixels, so the answer page says why there is no preview and
    the preview address answers 404; the download stays."""
    from tests.test_report_bundle import add_file

    big = add_file(
        answer, name="peta.png", content=samples.png_declaring(9000, 9000), content_type="image/png"
    )
    small = ev.evidence_add_file(
        answer=answer,
        unit=lead_unit,
        user=opd_user,
        uploaded_file=SimpleUploadedFile("foto.png", samples.png_bytes()),
    )
    client = client_for(secretariat_user)
    # Pillow warns past its guard (opd/uploads/images.py answers it as "too many pixels").
    with pytest.warns(Image.DecompressionBombWarning):
        page = client.get(reverse("opd:answer", args=[answer.question_id, answer.unit_id]))
    html = page.content.decode()
    big_preview = reverse("opd:revision-preview", args=[big.pk])
    small_preview = reverse("opd:revision-preview", args=[small.pk])
    assert big_preview not in html and small_preview in html
    (withheld,) = re.findall(r'data-testid="preview-withheld">([^<]*)<', html)
    assert "lebih dari 50 megapiksel" in withheld  # the page speaks Indonesian
    with pytest.warns(Image.DecompressionBombWarning):
        assert client.get(big_preview).status_code == 404
    assert client.get(small_preview).status_code == 200
    assert client.get(reverse("opd:revision-download", args=[big.pk])).status_code == 200
