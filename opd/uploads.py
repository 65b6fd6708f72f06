"""Evidence files: deciding the type from the content, and storing uploads durably.

The type comes from the file's first bytes and must agree with its extension; anything
that could run in a browser or on a desktop (executables, HTML, SVG, PDFs with JavaScript,
macro documents) is refused with a message that says why. Storing streams the upload into a
temporary file next to its final place while hashing it, fsyncs it and renames it, so a
crash leaves either the whole file or an orphan temporary file (`verify_evidence` finds
those), never a half file under a real name.
"""

import hashlib
import io
import os
import re
import unicodedata
import uuid
import zipfile
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.files.storage import default_storage
from django.utils import timezone
from django.utils.translation import gettext as _

from kla.errors import DomainError

CHUNK = 1024 * 1024
TEMP_PREFIX = ".upload-"
MAX_UNZIPPED = 200 * 1024 * 1024
# Markers of active content in a PDF; matched as PDF names (followed by a delimiter).
PDF_ACTIVE = re.compile(rb"/(JavaScript|JS|Launch|EmbeddedFile|RichMedia|XFA)(?![A-Za-z0-9])")
PDF_ACTIVE_OVERLAP = 16

TYPES = {
    "pdf": ("application/pdf", {".pdf"}),
    "jpeg": ("image/jpeg", {".jpg", ".jpeg"}),
    "png": ("image/png", {".png"}),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", {".docx"}),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", {".xlsx"}),
    "odt": ("application/vnd.oasis.opendocument.text", {".odt"}),
    "ods": ("application/vnd.oasis.opendocument.spreadsheet", {".ods"}),
}


class UploadRefused(DomainError):
    pass


@dataclass(frozen=True)
class DetectedType:
    kind: str
    content_type: str


@dataclass(frozen=True)
class StoredFile:
    name: str  # relative to MEDIA_ROOT, as FileField stores it
    size: int
    sha256: str
    content_type: str
    original_name: str


def clean_filename(raw: str) -> str:
    """The uploaded name for display: no path, no control characters, valid Unicode."""
    if not raw:
        raise UploadRefused(_("The file has no name."), code="bad_name")
    try:
        raw.encode("utf-8")
    except UnicodeEncodeError:
        raise UploadRefused(_("The file name is not valid text."), code="bad_name") from None
    name = re.split(r"[\\/]", raw)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip()
    if not name or name.startswith("."):
        raise UploadRefused(_("The file name is not valid."), code="bad_name")
    if len(name) > 255:
        raise UploadRefused(_("The file name is longer than 255 characters."), code="bad_name")
    return unicodedata.normalize("NFC", name)


def _refuse_dangerous(head: bytes) -> None:
    start = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith(b"MZ") or head.startswith(b"\x7fELF") or head.startswith(b"#!"):
        raise UploadRefused(
            _("This is a program, not a document: programs are never accepted."), code="executable"
        )
    if start.startswith(b"<?xml") or start.startswith(b"<svg"):
        raise UploadRefused(
            _("SVG and XML files are refused because they can carry scripts; use PNG or PDF."),
            code="svg",
        )
    if start.startswith((b"<!doctype html", b"<html", b"<script", b"<head", b"<body")) or (
        b"<script" in start[:1024]
    ):
        raise UploadRefused(
            _("This is a web page (HTML), not a document: save it as PDF and upload that."),
            code="html",
        )
    if head.startswith((b"Rar!", b"7z\xbc\xaf\x27\x1c", b"\x1f\x8b", b"BZh")):
        raise UploadRefused(
            _("Archives are refused: upload the documents themselves."), code="archive"
        )


def _zip_kind(fileobj) -> str:
    """docx / xlsx / odt / ods for office files; refuses other zips, macros and zip bombs."""
    try:
        with zipfile.ZipFile(fileobj) as archive:
            infos = archive.infolist()
            names = {i.filename for i in infos}
            if sum(i.file_size for i in infos) > MAX_UNZIPPED:
                raise UploadRefused(
                    _("The document unpacks to more than 200 MB; it is refused."), code="zip_bomb"
                )
            if any(n.lower().endswith("vbaproject.bin") for n in names):
                raise UploadRefused(
                    _("Documents with macros are refused; save it without macros (.docx/.xlsx)."),
                    code="macro",
                )
            if "mimetype" in names:
                mimetype = archive.read("mimetype").strip()
                if mimetype == b"application/vnd.oasis.opendocument.text":
                    return "odt"
                if mimetype == b"application/vnd.oasis.opendocument.spreadsheet":
                    return "ods"
            if "[Content_Types].xml" in names:
                if any(n.startswith("word/") for n in names):
                    return "docx"
                if any(n.startswith("xl/") for n in names):
                    return "xlsx"
    except zipfile.BadZipFile:
        raise UploadRefused(_("The document is damaged (broken zip)."), code="damaged") from None
    raise UploadRefused(_("Archives are refused: upload the documents themselves."), code="archive")


def detect_type(head: bytes, filename: str, fileobj=None) -> DetectedType:
    """The type of a file from its first bytes (and, for zips, its table of contents)."""
    extension = Path(filename).suffix.lower()
    _refuse_dangerous(head)
    if head.startswith(b"%PDF-"):
        kind = "pdf"
    elif head.startswith(b"\xff\xd8\xff"):
        kind = "jpeg"
    elif head.startswith(b"\x89PNG\r\n\x1a\n"):
        kind = "png"
    elif head.startswith(b"PK\x03\x04"):
        kind = _zip_kind(fileobj if fileobj is not None else io.BytesIO(head))
    else:
        raise UploadRefused(
            _("This type of file is not accepted: use PDF, JPEG/PNG, DOCX, XLSX, ODT or ODS."),
            code="unknown",
        )
    content_type, extensions = TYPES[kind]
    if extension not in extensions:
        raise UploadRefused(
            _("The file's content is %(kind)s but its name ends in “%(ext)s”: rename it or "
              "upload the right file.") % {"kind": kind.upper(), "ext": extension or "?"},
            code="mismatch",
        )  # fmt: skip
    return DetectedType(kind=kind, content_type=content_type)


def _location() -> Path:
    return Path(default_storage.location)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def store_upload(*, uploaded_file) -> StoredFile:
    """Validate and store an upload; return where it went. Nothing is left on refusal."""
    original = clean_filename(uploaded_file.name or "")
    limit = settings.EVIDENCE_MAX_UPLOAD_BYTES
    if uploaded_file.size is not None and uploaded_file.size > limit:
        raise UploadRefused(
            _("The file is larger than %(mb)s MB.") % {"mb": limit // (1024 * 1024)},
            code="too_large",
        )
    relative_dir = Path("evidence") / timezone.now().strftime("%Y/%m")
    directory = _location() / relative_dir
    directory.mkdir(parents=True, exist_ok=True)
    final_name = uuid.uuid4().hex
    temp_path = directory / f"{TEMP_PREFIX}{final_name}"
    digest = hashlib.sha256()
    size = 0
    detected = None
    tail = b""
    try:
        with open(temp_path, "xb") as out:
            uploaded_file.seek(0)
            for chunk in uploaded_file.chunks(CHUNK):
                if detected is None:
                    if not chunk:
                        continue
                    # Zip types need the table of contents at the end: decided after writing.
                    if not chunk.startswith(b"PK\x03\x04"):
                        detected = detect_type(chunk[:8192], original)
                    else:
                        detected = "zip"
                size += len(chunk)
                if size > limit:
                    raise UploadRefused(
                        _("The file is larger than %(mb)s MB.") % {"mb": limit // (1024 * 1024)},
                        code="too_large",
                    )
                if detected != "zip" and detected.kind == "pdf":
                    window = tail + chunk
                    if PDF_ACTIVE.search(window):
                        raise UploadRefused(
                            _("This PDF contains JavaScript, embedded files or actions that run "
                              "when it is opened; print it to a new PDF and upload that."),
                            code="pdf_active",
                        )  # fmt: skip
                    tail = window[-PDF_ACTIVE_OVERLAP:]
                digest.update(chunk)
                out.write(chunk)
            if size == 0:
                raise UploadRefused(_("The file is empty."), code="empty")
            out.flush()
            os.fsync(out.fileno())
        if detected == "zip":
            with open(temp_path, "rb") as check:
                detected = detect_type(check.read(8192), original, fileobj=check)
        os.replace(temp_path, directory / final_name)
        _fsync_dir(directory)
    except BaseException:
        temp_path.unlink(missing_ok=True)
        raise
    return StoredFile(
        name=str(relative_dir / final_name),
        size=size,
        sha256=digest.hexdigest(),
        content_type=detected.content_type,
        original_name=original,
    )


def remove_stored(name: str) -> None:
    """Delete a stored file whose database row did not commit."""
    (_location() / name).unlink(missing_ok=True)
