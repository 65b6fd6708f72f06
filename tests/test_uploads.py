"""The upload corpus: valid kinds stored byte-identical; hostile or malformed files refused."""

import datetime
import hashlib
import io
import os
import re
import signal
import subprocess
import sys
import tracemalloc
import zipfile
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone
from openpyxl import Workbook

from core.errors import DomainError
from opd import evidence as ev
from opd import services
from opd.models import Answer, AuditEvent, Evidence, EvidenceRevision
from tests import samples

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _inside_window(monkeypatch):
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: datetime.date(2026, 2, 10))


@pytest.fixture
def answer(question, lead_unit):
    return services.answer_open(question=question, unit=lead_unit)


def _files():
    root = Path(default_storage.location) / "evidence"
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def _zip(entries: dict[str, bytes], first: str | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        if first:
            z.writestr(first, entries.pop(first))
        for name, data in entries.items():
            z.writestr(name, data)
    return buffer.getvalue()


def _jpeg(width: int = 32, height: int = 24) -> bytes:
    """A real JPEG photo (Pillow comes with WeasyPrint): an image whose header cannot be read
    is refused, for its size is unknown."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (200, 120, 40)).save(buffer, "JPEG", quality=80)
    return buffer.getvalue()


def _xlsx() -> bytes:
    buffer = io.BytesIO()
    wb = Workbook()
    wb.active.append(["Data anak", 2026])
    wb.save(buffer)
    return buffer.getvalue()


VALID = {
    "perbup.pdf": (samples.pdf_bytes(), "application/pdf"),
    "foto.png": (samples.png_bytes(), "image/png"),
    "foto.JPG": (_jpeg(16, 12), "image/jpeg"),
    "Foto kegiatan Forum Anak — Tungkal Ilir.jpeg": (_jpeg(), "image/jpeg"),
    "matriks.xlsx": (_xlsx(), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "laporan.docx": (
        _zip({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w/>"}),
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ),
    "laporan.odt": (
        _zip(
            {"mimetype": b"application/vnd.oasis.opendocument.text", "content.xml": b"<x/>"},
            first="mimetype",
        ),
        "application/vnd.oasis.opendocument.text",
    ),
    "data.ods": (
        _zip(
            {"mimetype": b"application/vnd.oasis.opendocument.spreadsheet", "content.xml": b"<x/>"},
            first="mimetype",
        ),
        "application/vnd.oasis.opendocument.spreadsheet",
    ),
}


@pytest.mark.parametrize("name", sorted(VALID))
def test_valid_kinds_are_stored_and_served_back_identical(name, answer, lead_unit, opd_user):
    content, content_type = VALID[name]
    revision = ev.evidence_add_file(
        answer=answer,
        unit=lead_unit,
        user=opd_user,
        uploaded_file=SimpleUploadedFile(name, content),
        title="Bukti",
    )
    assert revision.sha256 == hashlib.sha256(content).hexdigest()
    assert (revision.size, revision.content_type, revision.original_name) == (
        len(content),
        content_type,
        name,
    )
    response = ev.evidence_download_response(revision=revision, user=opd_user)
    assert b"".join(response.streaming_content) == content
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"].startswith("attachment;")
    assert "sandbox" in response["Content-Security-Policy"]
    assert AuditEvent.objects.filter(action="evidence.download").count() == 1


PE = b"MZ\x90\x00" + b"\x00" * 100
HOSTILE = [
    ("program.pdf", PE, "executable"),
    ("elf.pdf", b"\x7fELF" + b"\x00" * 50, "executable"),
    ("script.pdf", b"#!/bin/sh\nrm -rf /\n", "executable"),
    ("page.pdf", b"  <!DOCTYPE html><html><script>alert(1)</script></html>", "html"),
    ("page.png", b"\xef\xbb\xbf<html><body>x</body></html>", "html"),
    (
        "gambar.svg",
        b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
        "svg",
    ),
    ("gambar.pdf", b'<?xml version="1.0"?><svg/>', "svg"),
    ("arsip.zip", _zip({"a.txt": b"x"}), "archive"),
    ("arsip.docx", _zip({"a.txt": b"x"}), "archive"),
    ("arsip.pdf", b"Rar!\x1a\x07\x00" + b"\x00" * 20, "archive"),
    (
        "macro.docx",
        _zip(
            {
                "[Content_Types].xml": b"<T/>",
                "word/document.xml": b"<w/>",
                "word/vbaProject.bin": b"\x00",
            }
        ),
        "macro",
    ),
    (
        "js.pdf",
        samples.pdf_bytes().replace(
            b"/Type /Catalog", b"/Type /Catalog /OpenAction << /S /JavaScript /JS (app.alert(1)) >>"
        ),
        "pdf_script",
    ),
    (
        "launch.pdf",
        samples.pdf_bytes().replace(
            b"/Type /Catalog", b"/Type /Catalog /AA << /O << /S /Launch >> >>"
        ),
        "pdf_action",
    ),
    ("foto.pdf", samples.png_bytes(), "mismatch"),
    ("perbup.png", samples.pdf_bytes(), "mismatch"),
    ("catatan.txt", b"just text", "unknown"),
    ("kosong.pdf", b"", "empty"),
    ("\x00\x01.pdf", samples.pdf_bytes(), "bad_name"),
    ("\ud800.pdf", samples.pdf_bytes(), "bad_name"),
    ("rusak.docx", b"PK\x03\x04" + b"\x00" * 30, "damaged"),
    ("indented.pdf", b"\n\t #!/usr/bin/env python\nimport os\n", "executable"),
    ("mac.pdf", b"\xcf\xfa\xed\xfe" + b"\x00" * 40, "executable"),
    ("utf16.pdf", "\ufeff<html><script>x</script></html>".encode("utf-16-le"), "html"),
    ("later.pdf", b"<!-- rapat -->\n<p>notulen</p>\n<SCRIPT src=x></SCRIPT>", "html"),
    ("gambar.png", b"<!-- logo -->\n<svg/>", "svg"),
    ("arsip.pdf", b"\x1f\x8b\x08\x00" + b"\x00" * 20, "archive"),
    ("arsip.jpg", b"7z\xbc\xaf\x27\x1c" + b"\x00" * 20, "archive"),
    (
        "arsip.tar.pdf",
        b"dokumen.pdf".ljust(257, b"\x00") + b"ustar\x0000" + b"\x00" * 300,
        "archive",
    ),
    ("kosong.docx", b"PK\x05\x06" + b"\x00" * 18, "archive"),
    ("lama.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "legacy_office"),
    (
        "laporan.pdf",
        _zip({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w/>"}),
        "mismatch",
    ),
    (
        "matriks.docx",
        _zip({"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<x/>"}),
        "mismatch",
    ),
    (
        "data.odt",
        _zip(
            {"mimetype": b"application/vnd.oasis.opendocument.spreadsheet", "content.xml": b"<x/>"},
            first="mimetype",
        ),
        "mismatch",
    ),
    (
        "makro.odt",
        _zip(
            {
                "mimetype": b"application/vnd.oasis.opendocument.text",
                "content.xml": b"<x/>",
                "Basic/Standard/Module1.xml": b"<script/>",
            },
            first="mimetype",
        ),
        "macro",
    ),
    (
        "escaped.pdf",
        samples.pdf_bytes().replace(
            b"/Type /Catalog", b"/Type /Catalog /OpenAction << /S /J#61vaScript /J#53 (x) >>"
        ),
        "pdf_script",
    ),
    (
        "lampiran.pdf",
        samples.pdf_bytes().replace(
            b"/Type /Catalog",
            b"/Type /Catalog /Names << /EmbeddedFiles << /Names [(a.exe) << /Type /Filespec /F (a.exe) /EF << /F 4 0 R >> >>] >> >>",
        ),
        "pdf_embedded",
    ),
    ("tanpa-ekstensi", samples.pdf_bytes(), "mismatch"),
    ("laporan\u202efdp.exe", samples.pdf_bytes(), "mismatch"),  # shows as "laporanexe.pdf"
    ("bell\x07.pdf", samples.pdf_bytes(), "bad_name"),
    (".pdf", samples.pdf_bytes(), "bad_name"),
]


@pytest.mark.parametrize(
    ("name", "content", "code"), HOSTILE, ids=[h[2] + ":" + h[0][:20] for h in HOSTILE]
)
def test_hostile_files_are_refused_and_nothing_changes(
    name, content, code, answer, lead_unit, opd_user
):
    Evidence.objects.create(answer=answer, unit=lead_unit, kind="link", url="https://x.test/a")
    before = (
        Evidence.objects.count(),
        EvidenceRevision.objects.count(),
        AuditEvent.objects.count(),
    )
    with pytest.raises(DomainError) as error:
        ev.evidence_add_file(
            answer=answer,
            unit=lead_unit,
            user=opd_user,
            uploaded_file=SimpleUploadedFile(name, content),
        )
    assert error.value.code == code, error.value.message
    assert str(error.value.message)  # a message the user can read
    assert (
        Evidence.objects.count(),
        EvidenceRevision.objects.count(),
        AuditEvent.objects.count(),
    ) == before
    assert _files() == []


def test_oversized_file_is_refused(answer, lead_unit, opd_user, settings):
    settings.EVIDENCE_MAX_UPLOAD_BYTES = 1024 * 1024
    big = samples.pdf_bytes() + b"%" + b"0" * (2 * 1024 * 1024)
    with pytest.raises(DomainError) as error:
        ev.evidence_add_file(
            answer=answer,
            unit=lead_unit,
            user=opd_user,
            uploaded_file=SimpleUploadedFile("besar.pdf", big),
        )
    assert error.value.code == "too_large" and "1 MB" in error.value.message
    assert _files() == []


def test_large_upload_is_streamed_not_held_in_memory(
    answer, lead_unit, opd_user, settings, tmp_path
):
    from django.core.files.uploadedfile import TemporaryUploadedFile

    settings.EVIDENCE_MAX_UPLOAD_BYTES = 64 * 1024 * 1024
    upload = TemporaryUploadedFile("besar.pdf", "application/pdf", 0, None)
    upload.write(samples.pdf_bytes())
    for _ in range(30):
        upload.write(b"%" + b"0" * (1024 * 1024 - 2) + b"\n")
    upload.size = upload.tell()
    tracemalloc.start()
    revision = ev.evidence_add_file(
        answer=answer, unit=lead_unit, user=opd_user, uploaded_file=upload
    )
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert revision.size > 30 * 1024 * 1024
    assert peak < 8 * 1024 * 1024, f"peak {peak} bytes for a {revision.size}-byte upload"


def test_failed_transaction_removes_the_stored_file(answer, lead_unit, opd_user, monkeypatch):
    def explode(**kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(ev, "_record_file", explode)
    with pytest.raises(RuntimeError):
        ev.evidence_add_file(
            answer=answer,
            unit=lead_unit,
            user=opd_user,
            uploaded_file=SimpleUploadedFile("a.pdf", samples.pdf_bytes()),
        )
    assert _files() == [] and not EvidenceRevision.objects.exists()


def test_rules_submitted_answer_window_and_unassigned_unit(
    answer, lead_unit, other_unit, support_unit, opd_user, support_user, monkeypatch
):
    pdf = lambda: SimpleUploadedFile("a.pdf", samples.pdf_bytes())  # noqa: E731
    # A supporting unit may attach to the lead's answer.
    ev.evidence_add_file(answer=answer, unit=support_unit, user=support_user, uploaded_file=pdf())
    with pytest.raises(DomainError) as error:
        ev.evidence_add_file(answer=answer, unit=other_unit, user=opd_user, uploaded_file=pdf())
    assert error.value.code == "not_assigned"
    Answer.objects.filter(pk=answer.pk).update(status="submitted")
    with pytest.raises(DomainError) as error:
        ev.evidence_add_file(answer=answer, unit=lead_unit, user=opd_user, uploaded_file=pdf())
    assert error.value.code == "not_editable"
    Answer.objects.filter(pk=answer.pk).update(status="draft")
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: datetime.date(2026, 4, 5))
    with pytest.raises(DomainError) as error:
        ev.evidence_add_file(answer=answer, unit=lead_unit, user=opd_user, uploaded_file=pdf())
    assert error.value.code == "closed"
    assert EvidenceRevision.objects.count() == 1 and len(_files()) == 1


def test_replace_keeps_history_and_remove_is_soft(answer, lead_unit, opd_user):
    first = ev.evidence_add_file(
        answer=answer,
        unit=lead_unit,
        user=opd_user,
        uploaded_file=SimpleUploadedFile("v1.pdf", samples.pdf_bytes("v1")),
    )
    second = ev.evidence_replace_file(
        evidence=first.evidence,
        unit=lead_unit,
        user=opd_user,
        uploaded_file=SimpleUploadedFile("v2.pdf", samples.pdf_bytes("v2")),
    )
    assert first.evidence.revisions.count() == 2 and first.sha256 != second.sha256
    assert b"".join(
        ev.evidence_download_response(revision=first, user=opd_user).streaming_content
    ) == samples.pdf_bytes("v1")
    ev.evidence_remove(evidence=first.evidence, unit=lead_unit, user=opd_user)
    first.evidence.refresh_from_db()
    assert first.evidence.removed_at is not None and EvidenceRevision.objects.count() == 2
    with pytest.raises(ValueError, match="immutable"):
        second.save()


def test_links_must_be_http(answer, lead_unit, opd_user):
    ev.evidence_add_link(
        answer=answer, unit=lead_unit, user=opd_user, url="https://jdih.example/perbup"
    )
    for bad in ["javascript:alert(1)", "ftp://x", "file:///etc/passwd", "jdih"]:
        with pytest.raises(DomainError):
            ev.evidence_add_link(answer=answer, unit=lead_unit, user=opd_user, url=bad)
    assert Evidence.objects.count() == 1


def test_inline_preview_only_for_pdf_and_images(answer, lead_unit, opd_user):
    from django.http import Http404

    png = ev.evidence_add_file(
        answer=answer,
        unit=lead_unit,
        user=opd_user,
        uploaded_file=SimpleUploadedFile("f.png", samples.png_bytes()),
    )
    response = ev.evidence_inline_response(revision=png, user=opd_user)
    assert (
        response["Content-Disposition"].startswith("inline;")
        and "sandbox" in response["Content-Security-Policy"]
    )
    xlsx = ev.evidence_add_file(
        answer=answer,
        unit=lead_unit,
        user=opd_user,
        uploaded_file=SimpleUploadedFile("m.xlsx", _xlsx()),
    )
    with pytest.raises(Http404):
        ev.evidence_inline_response(revision=xlsx, user=opd_user)


def test_verify_evidence_finds_missing_corrupted_and_orphans(answer, lead_unit, opd_user, capsys):
    keep, corrupt, lose = (
        ev.evidence_add_file(
            answer=answer,
            unit=lead_unit,
            user=opd_user,
            uploaded_file=SimpleUploadedFile(f"{n}.pdf", samples.pdf_bytes(n)),
        )
        for n in ("keep", "corrupt", "lose")
    )
    call_command("verify_evidence")
    assert "checked 3, ok 3, missing 0, corrupted 0, orphaned 0" in capsys.readouterr().out
    root = Path(settings.MEDIA_ROOT)
    (root / corrupt.file.name).write_bytes(b"%PDF-1.4 tampered")
    (root / lose.file.name).unlink()
    (root / "evidence" / ".upload-deadbeef").write_bytes(b"half a file")
    with pytest.raises(CommandError):
        call_command("verify_evidence")
    out = capsys.readouterr().out
    assert "missing 1, corrupted 1, orphaned 1" in out and "temporary file" in out
    with pytest.raises(CommandError):  # still missing and corrupted: fixing orphans is not enough
        call_command("verify_evidence", "--fix-orphans")
    assert not (root / "evidence" / ".upload-deadbeef").exists()
    assert (root / keep.file.name).exists()


# --- More of the corpus: what must pass, what must not, wherever it hides -------------------


def _with_update(base: bytes, number: int, body: bytes) -> bytes:
    """The PDF with an incremental update that redefines object `number`, as an editor saves
    a change: the new object, a cross-reference section for it, a trailer pointing back."""
    previous = int(base[base.rindex(b"startxref") + 9 :].split()[0])
    size = int(re.search(rb"/Size (\d+)", base).group(1))
    at = len(base)
    update = b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = at + len(update)
    update += b"xref\n%d 1\n%010d 00000 n \n" % (number, at)
    update += b"trailer\n<< /Size %d /Root 1 0 R /Prev %d >>\n" % (size, previous)
    return base + update + b"startxref\n%d\n%%%%EOF\n" % xref


def test_javascript_late_in_a_large_pdf_leaves_no_file(answer, lead_unit, opd_user):
    """Refused once the whole file is in the temporary file, which goes with the refusal."""
    base = samples.pdf_bytes() + (b"%" + b"0" * 1022 + b"\n") * 3000  # 3 MB of comments
    hostile = _with_update(
        base, 1, b"<< /Type /Catalog /Pages 2 0 R /OpenAction << /S /JavaScript /JS (x) >> >>"
    )
    with pytest.raises(DomainError) as error:
        ev.evidence_add_file(
            answer=answer,
            unit=lead_unit,
            user=opd_user,
            uploaded_file=SimpleUploadedFile("besar.pdf", hostile),
        )
    assert error.value.code == "pdf_script"
    assert _files() == [] and not Evidence.objects.exists()
    # The same file without the update is a plain PDF, accepted.
    ev.evidence_add_file(
        answer=answer,
        unit=lead_unit,
        user=opd_user,
        uploaded_file=SimpleUploadedFile("besar.pdf", base),
    )


def test_content_is_checked_on_the_whole_temporary_file_before_the_rename(
    answer, lead_unit, opd_user, monkeypatch
):
    from opd.uploads import storage

    content = samples.pdf_bytes()
    seen = []

    def check(path, kind):
        seen.append((path.name, path.read_bytes(), kind, _files()))
        raise storage.UploadRefused("refused for the test", code="test")

    monkeypatch.setattr(storage, "check_content", check)
    with pytest.raises(DomainError):
        ev.evidence_add_file(
            answer=answer,
            unit=lead_unit,
            user=opd_user,
            uploaded_file=SimpleUploadedFile("a.pdf", content),
        )
    ((name, checked, kind, present),) = seen
    assert name.startswith(storage.TEMP_PREFIX) and (checked, kind) == (content, "pdf")
    assert [p.name for p in present] == [name]  # only the temporary file, not yet renamed
    assert _files() == []


def test_refused_upload_leaves_nothing_in_a_bucket_or_the_spool(
    answer, lead_unit, opd_user, settings, tmp_path, s3_bucket
):
    """Storage without local paths: the check runs on a spool file, which goes too."""
    spool = tmp_path / "spool"
    spool.mkdir()
    settings.FILE_UPLOAD_TEMP_DIR = str(spool)
    hostile = samples.pdf_bytes().replace(
        b"/Type /Catalog", b"/Type /Catalog /OpenAction << /S /JavaScript /JS (x) >>"
    )
    with pytest.raises(DomainError) as error:
        ev.evidence_add_file(
            answer=answer,
            unit=lead_unit,
            user=opd_user,
            uploaded_file=SimpleUploadedFile("a.pdf", hostile),
        )
    assert error.value.code == "pdf_script"
    assert s3_bucket.objects() == [] and list(spool.iterdir()) == []
    revision = ev.evidence_add_file(
        answer=answer,
        unit=lead_unit,
        user=opd_user,
        uploaded_file=SimpleUploadedFile("b.pdf", samples.pdf_bytes()),
    )
    assert s3_bucket.objects() == [revision.file.name]
    assert s3_bucket.body(revision.file.name) == samples.pdf_bytes()
    assert list(spool.iterdir()) == []


def test_zip_bombs_are_refused_cheaply(answer, lead_unit, opd_user):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", b"<Types/>")
        with z.open("word/document.xml", "w") as part:
            for _ in range(201):
                part.write(bytes(1024 * 1024))
    bomb = buffer.getvalue()
    assert len(bomb) < 1024 * 1024  # 201 MB unpacked from a few hundred KB
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("[Content_Types].xml", b"<Types/>")
        for n in range(10_001):
            z.writestr(f"word/p{n}", b"")
    swarm = buffer.getvalue()
    for name, content in (("bom.docx", bomb), ("banyak.docx", swarm)):
        with pytest.raises(DomainError) as error:
            ev.evidence_add_file(
                answer=answer,
                unit=lead_unit,
                user=opd_user,
                uploaded_file=SimpleUploadedFile(name, content),
            )
        assert error.value.code == "zip_bomb"
    assert _files() == []


class _Upload:
    """An upload object as a caller other than Django's form may pass it (name untouched)."""

    def __init__(self, name, content):
        self.name, self.size, self._content = name, len(content), content

    def chunks(self, size):
        for start in range(0, len(self._content), size):
            yield self._content[start : start + size]


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("C:\\Users\\Operator\\Dokumen\\perbup.pdf", "perbup.pdf"),
        ("../../etc/perbup.pdf", "perbup.pdf"),
        ("Laporan Kecamatan — ü ñ 漢字 عربى.pdf", "Laporan Kecamatan — ü ñ 漢字 عربى.pdf"),
        ("  spasi.pdf  ", "spasi.pdf"),
        ("Cafe\u0301.pdf", "Café.pdf"),
    ],
)
def test_names_are_cleaned_for_display_and_never_a_path(answer, lead_unit, opd_user, raw, shown):
    revision = ev.evidence_add_file(
        answer=answer,
        unit=lead_unit,
        user=opd_user,
        uploaded_file=_Upload(raw, samples.pdf_bytes()),
    )
    assert revision.original_name == shown
    assert re.fullmatch(r"evidence/\d{4}/\d{2}/[0-9a-f]{32}", revision.file.name)


def test_name_longer_than_255_is_refused(answer, lead_unit, opd_user):
    with pytest.raises(DomainError) as error:
        ev.evidence_add_file(
            answer=answer,
            unit=lead_unit,
            user=opd_user,
            uploaded_file=_Upload("a" * 252 + ".pdf", samples.pdf_bytes()),
        )
    assert error.value.code == "bad_name" and "255" in error.value.message
    assert _files() == []


def test_failed_replace_removes_only_the_new_file(answer, lead_unit, opd_user, monkeypatch):
    first = ev.evidence_add_file(
        answer=answer,
        unit=lead_unit,
        user=opd_user,
        uploaded_file=SimpleUploadedFile("v1.pdf", samples.pdf_bytes("v1")),
    )
    real = ev._record_file

    def record_then_fail(**kwargs):
        real(**kwargs)  # the rows are written, then the transaction fails
        raise RuntimeError("disk full while writing the audit trail")

    monkeypatch.setattr(ev, "_record_file", record_then_fail)
    with pytest.raises(RuntimeError):
        ev.evidence_replace_file(
            evidence=first.evidence,
            unit=lead_unit,
            user=opd_user,
            uploaded_file=SimpleUploadedFile("v2.pdf", samples.pdf_bytes("v2")),
        )
    assert _files() == [Path(default_storage.location) / first.file.name]
    assert list(EvidenceRevision.objects.values_list("pk", flat=True)) == [first.pk]
    assert AuditEvent.objects.filter(action="evidence.upload").count() == 1


# --- SIGKILL between the durable file and the commit (PostgreSQL: the child shares the DB) --

KILL_CHILD = r"""
import datetime, sys, time
import django
django.setup()
from django.utils import timezone
timezone.localdate = lambda *a, **k: datetime.date(2026, 2, 10)
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from opd import evidence
from opd.models import Answer
from tests import samples

phase, answer_id, user_id = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
answer = Answer.objects.get(pk=answer_id)
user = get_user_model().objects.get(pk=user_id)

def pause(real):
    def wrapper(*args, **kwargs):
        result = real(*args, **kwargs)
        print(phase, flush=True)
        time.sleep(60)  # killed here
        return result
    return wrapper

if phase == "stored":  # the file is durable, the transaction not begun
    evidence.store_upload = pause(evidence.store_upload)
else:  # "in_transaction": rows inserted, not committed
    evidence.audit_log = pause(evidence.audit_log)
content = samples.pdf_bytes() + b"%" + b"0" * (4 * 1024 * 1024) + b"\n"
evidence.evidence_add_file(answer=answer, unit=answer.unit, user=user,
                           uploaded_file=SimpleUploadedFile("besar.pdf", content))
"""


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("phase", ["stored", "in_transaction"])
def test_killed_before_commit_leaves_an_orphan_that_verify_removes(
    question, lead_unit, opd_user, capsys, phase
):
    answer = services.answer_open(question=question, unit=lead_unit)
    db = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "kla.settings_test",
        "DATABASE_URL": f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
    }
    child = subprocess.Popen(  # noqa: S603
        [sys.executable, "-c", KILL_CHILD, phase, str(answer.pk), str(opd_user.pk)],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = child.stdout.readline()
        assert line.strip() == phase, child.stderr.read()
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=10)
    assert child.returncode == -signal.SIGKILL
    assert not Evidence.objects.exists() and not EvidenceRevision.objects.exists()
    assert not AuditEvent.objects.filter(action="evidence.upload").exists()
    (orphan,) = _files()  # the whole file, under its final name, that nobody records
    assert not orphan.name.startswith(".upload-") and orphan.stat().st_size > 4 * 1024 * 1024
    with pytest.raises(CommandError):
        call_command("verify_evidence")
    assert "orphaned 1" in capsys.readouterr().out
    call_command("verify_evidence", "--fix-orphans", "--min-age-minutes", "0")
    call_command("verify_evidence")
    assert "checked 0, ok 0, missing 0, corrupted 0, orphaned 0" in capsys.readouterr().out
    assert _files() == []
    # The answer row lock died with the child: the unit can attach again at once.
    ev.evidence_add_file(
        answer=answer,
        unit=lead_unit,
        user=opd_user,
        uploaded_file=SimpleUploadedFile("lagi.pdf", samples.pdf_bytes()),
    )
    assert all(default_storage.exists(r.file.name) for r in EvidenceRevision.objects.all())


@pytest.mark.parametrize("configured", [0o640, None])
def test_stored_files_get_the_storages_mode_so_nginx_can_read_them(
    answer, lead_unit, opd_user, settings, configured
):
    """Like any file saved through the storage: FILE_UPLOAD_PERMISSIONS, else the umask."""
    settings.FILE_UPLOAD_PERMISSIONS = configured
    revision = ev.evidence_add_file(
        answer=answer,
        unit=lead_unit,
        user=opd_user,
        uploaded_file=SimpleUploadedFile("a.pdf", samples.pdf_bytes()),
    )
    reference = default_storage.save("evidence/reference", SimpleUploadedFile("r", b"r"))
    mode = lambda name: os.stat(Path(default_storage.location) / name).st_mode & 0o777  # noqa: E731
    umask = os.umask(0)
    os.umask(umask)
    assert mode(revision.file.name) == mode(reference) == (configured or 0o666 & ~umask)


def test_the_form_sent_twice_stores_the_file_once(client_for, opd_user, answer, lead_unit):
    """A second click, or the form sent again after a lost connection: one revision, and
    the person is told the file is already there (an information, not an error)."""
    from django.contrib import messages
    from django.urls import reverse

    url = reverse("opd:evidence-upload", args=[answer.question_id, lead_unit.pk])
    client = client_for(opd_user)
    for name in ("perbup.pdf", "perbup (1).pdf"):
        upload = SimpleUploadedFile(name, samples.pdf_bytes())
        response = client.post(url, {"file": upload, "title": ""}, follow=True)
        assert response.status_code == 200
    assert EvidenceRevision.objects.count() == 1
    assert len(_files()) == 1
    shown = list(response.context["messages"])
    assert [m.level for m in shown] == [messages.INFO]
    assert "perbup (1).pdf" in str(shown[0]) and "perbup.pdf" in str(shown[0])


def test_a_spooled_upload_is_checked_in_place_and_linked_not_copied(tmp_path):
    """Django writes a large upload to its spool; storing it writes no second copy: the
    stored file is the spool file's own bytes under another name (the same inode)."""
    import os

    from django.core.files.uploadedfile import TemporaryUploadedFile

    from opd.uploads import store_upload

    content = samples.pdf_bytes() + b"%" + b"0" * (3 * 1024 * 1024) + b"\n"
    spooled = TemporaryUploadedFile("besar.pdf", "application/pdf", len(content), None)
    spooled.write(content)
    spooled.flush()
    stored = store_upload(uploaded_file=spooled)
    final = Path(settings.MEDIA_ROOT) / stored.name
    assert os.stat(final).st_ino == os.stat(spooled.temporary_file_path()).st_ino
    assert final.read_bytes() == content and stored.size == len(content)
    spooled.close()  # Django removes its spool file after the request; the evidence stays
    assert final.read_bytes() == content


def test_an_image_declaring_too_many_pixels_is_refused_at_upload(answer, lead_unit, opd_user):
    """A PNG of 69 bytes declaring 20000 x 20000 pixels (400 megapixels): refused from its
    header, with what to do, and nothing stored."""
    from django.utils import translation

    bomb = samples.png_declaring(20_000, 20_000)
    assert len(bomb) < 100
    with translation.override("id"), pytest.raises(DomainError) as refused:
        ev.evidence_add_file(
            answer=answer,
            unit=lead_unit,
            user=opd_user,
            uploaded_file=SimpleUploadedFile("peta.png", bomb),
        )
    assert refused.value.code == "too_many_pixels"
    assert "lebih dari 50 megapiksel" in refused.value.message
    assert "Perkecil ukurannya" in refused.value.message
    assert _files() == [] and not EvidenceRevision.objects.exists()
    # Under the limit, the same kind of file is stored.
    ev.evidence_add_file(
        answer=answer,
        unit=lead_unit,
        user=opd_user,
        uploaded_file=SimpleUploadedFile("peta.png", samples.png_bytes()),
    )
    assert EvidenceRevision.objects.count() == 1
