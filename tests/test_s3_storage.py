"""Evidence in an S3-compatible bucket (EVIDENCE_STORAGE=s3), against a real server that the
test run starts (moto's, tests/conftest.py): form uploads, small and spooled, downloads and
previews streamed from the bucket, and a bucket out of reach. Resumable uploads, backups,
verify_evidence, the bundle and the entry kit have their bucket tests beside their others."""

import datetime
import hashlib
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from opd import evidence as ev
from opd import services
from opd.models import AuditEvent, EvidenceRevision
from tests import samples
from tests.conftest import closed_port_url

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _inside_window(monkeypatch):
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: datetime.date(2026, 2, 10))


@pytest.fixture
def spool(settings, tmp_path) -> Path:
    directory = tmp_path / "upload-spool"
    directory.mkdir()
    settings.FILE_UPLOAD_TEMP_DIR = str(directory)
    return directory


def big_pdf(size: int) -> bytes:
    """A valid PDF past FILE_UPLOAD_MAX_MEMORY_SIZE: Django spools it to disk while reading."""
    base = samples.pdf_bytes("Perbup KLA")
    return base + b"%" + b"0" * (size - len(base) - 2) + b"\n"


def _upload(client, question, unit, name: str, content: bytes):
    url = reverse("opd:evidence-upload", args=[question.pk, unit.pk])
    return client.post(
        url,
        {"file": SimpleUploadedFile(name, content), "title": ""},
        follow=True,
        headers={"Accept-Language": "id"},
    )


@pytest.mark.parametrize("size", [30_000, 3 * 1024 * 1024], ids=["in-memory", "spooled"])
def test_a_form_upload_goes_to_the_bucket(
    client_for, opd_user, question, lead_unit, s3_bucket, spool, size
):
    content = big_pdf(size)
    response = _upload(client_for(opd_user), question, lead_unit, "perbup.pdf", content)
    assert response.status_code == 200
    revision = EvidenceRevision.objects.get()
    assert revision.sha256 == hashlib.sha256(content).hexdigest() and revision.size == size
    assert s3_bucket.objects() == [revision.file.name]
    assert s3_bucket.body(revision.file.name) == content
    assert list(spool.iterdir()) == [] and s3_bucket.uploads_in_progress() == []
    assert not Path(settings.MEDIA_ROOT, "evidence").exists()


def test_download_and_preview_stream_from_the_bucket_with_our_headers(
    client_for, opd_user, secretariat_user, question, lead_unit, s3_bucket, settings
):
    # nginx's X-Accel-Redirect serves a directory; with a bucket Django streams regardless.
    settings.KLA_X_ACCEL_REDIRECT_PREFIX = "/_evidence/"
    content = big_pdf(1_500_000)
    answer = services.answer_open(question=question, unit=lead_unit)
    revision = ev.evidence_add_file(
        answer=answer,
        unit=lead_unit,
        user=opd_user,
        uploaded_file=SimpleUploadedFile("Perbup KLA.pdf", content),
    )
    client = client_for(secretariat_user)
    download = client.get(reverse("opd:revision-download", args=[revision.pk]))
    assert download.status_code == 200 and download.streaming
    assert "X-Accel-Redirect" not in download
    assert b"".join(download.streaming_content) == content
    assert download["Content-Length"] == str(len(content))
    assert download["Content-Type"] == "application/pdf"
    assert download["Content-Disposition"].startswith("attachment;")
    assert "sandbox" in download["Content-Security-Policy"]
    assert download["X-Content-Type-Options"] == "nosniff"
    assert AuditEvent.objects.filter(action=AuditEvent.Action.EVIDENCE_DOWNLOAD).count() == 1
    preview = client.get(reverse("opd:revision-preview", args=[revision.pk]))
    assert preview.status_code == 200
    assert b"".join(preview.streaming_content) == content
    assert preview["Content-Disposition"].startswith("inline;")
    s3_bucket.client.delete_object(Bucket=s3_bucket.name, Key=revision.file.name)
    gone = client.get(reverse("opd:revision-download", args=[revision.pk]))
    assert gone.status_code == 404


@pytest.mark.parametrize("size", [30_000, 3 * 1024 * 1024], ids=["in-memory", "spooled"])
def test_an_unreachable_bucket_fails_the_form_upload_with_try_again_and_leaves_nothing(
    client_for, opd_user, question, lead_unit, s3_bucket, spool, size
):
    content = big_pdf(size)
    client = client_for(opd_user)
    s3_bucket.point_at(closed_port_url())
    response = _upload(client, question, lead_unit, "perbup.pdf", content)
    shown = [str(m) for m in response.context["messages"]]
    assert any("Penyimpanan berkas tidak dapat dihubungi; coba lagi." in m for m in shown), shown
    assert EvidenceRevision.objects.count() == 0 and list(spool.iterdir()) == []
    s3_bucket.point_at(s3_bucket.endpoint_url)
    assert s3_bucket.objects() == [] and s3_bucket.uploads_in_progress() == []
    # Once the bucket answers, the same file goes through.
    _upload(client, question, lead_unit, "perbup.pdf", content)
    revision = EvidenceRevision.objects.get()
    assert s3_bucket.body(revision.file.name) == content
