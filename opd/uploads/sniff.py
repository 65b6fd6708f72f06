"""What an upload is: a clean name to display, and its type decided from the content.

The type comes from the file's first bytes (for office documents, also the archive's table of
contents) and must agree with the name's extension; programs, web pages, SVG/XML, archives,
old Office files, macro documents and ZIP bombs are refused with a message that says why. The
uploaded name is only ever displayed, never part of a path. Whether a document of an accepted
type carries active content (scripts, macros, automatic actions) is content.py's question,
asked of the whole file.
"""

import io
import os
import re
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import Path

from django.utils.translation import gettext as _

from opd.uploads.errors import UploadRefused, document_damaged, macros_refused

# Enough for the HTML window (1 KB after a BOM and blanks), tar's magic at 257 and the ODF
# "mimetype" entry that opens the archive, whatever the size of the first chunk.
HEAD_BYTES = 8192
HTML_WINDOW = 1024
MAX_NAME_LENGTH = 255
MAX_UNZIPPED = 200 * 1024 * 1024
MAX_ZIP_ENTRIES = 10_000

TYPES = {
    "pdf": ("application/pdf", {".pdf"}),
    "jpeg": ("image/jpeg", {".jpg", ".jpeg"}),
    "png": ("image/png", {".png"}),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", {".docx"}),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", {".xlsx"}),
    "odt": ("application/vnd.oasis.opendocument.text", {".odt"}),
    "ods": ("application/vnd.oasis.opendocument.spreadsheet", {".ods"}),
}
ACCEPTED_CONTENT_TYPES = frozenset(content_type for content_type, _exts in TYPES.values())
_ODF_MIMETYPES = {TYPES["odt"][0].encode(): "odt", TYPES["ods"][0].encode(): "ods"}


@dataclass(frozen=True)
class DetectedType:
    kind: str
    content_type: str


def _labels() -> dict[str, str]:
    return {
        "pdf": _("PDF document"),
        "jpeg": _("JPEG image"),
        "png": _("PNG image"),
        "docx": _("Word document (DOCX)"),
        "xlsx": _("Excel workbook (XLSX)"),
        "odt": _("OpenDocument text (ODT)"),
        "ods": _("OpenDocument spreadsheet (ODS)"),
    }


# --- File names -----------------------------------------------------------------------------

# Bidirectional overrides make "report<RLO>fdp.exe" display as "reportexe.pdf": dropped.
_BIDI_CONTROLS = dict.fromkeys(
    map(ord, "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"), None
)


def clean_filename(raw) -> str:
    """The uploaded name, safe to display: refused if not valid, path parts stripped.

    Refused: no name, invalid Unicode (lone surrogates), control characters, more than 255
    characters. Kept: letters of every script. Only ever shown and sent back in
    Content-Disposition; never used to build a path.
    """
    name = "" if raw is None else str(raw)
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        raise UploadRefused(
            _("The file name is not valid text (broken Unicode). Rename the file and retry."),
            code="bad_name",
        ) from None
    if any(unicodedata.category(char) == "Cc" for char in name):
        raise UploadRefused(
            _("The file name contains control characters. Rename the file and retry."),
            code="bad_name",
        )
    name = unicodedata.normalize("NFC", name.translate(_BIDI_CONTROLS))
    name = re.split(r"[\\/]", name)[-1].strip()
    if len(name) > MAX_NAME_LENGTH:
        raise UploadRefused(
            _("The file name is longer than %(max)s characters. Shorten it and retry.")
            % {"max": MAX_NAME_LENGTH},
            code="bad_name",
        )
    if not name or name.startswith("."):
        raise UploadRefused(
            _("The file has no usable name. Rename it (for example “perbup-kla.pdf”) and retry."),
            code="bad_name",
        )
    return name


def _extension(filename: str) -> str:
    return Path(filename).suffix.lower()


# --- Detection ------------------------------------------------------------------------------

_EXECUTABLES = (
    b"MZ",  # Windows
    b"\x7fELF",  # Linux
    b"#!",  # scripts
    b"\xfe\xed\xfa\xce",  # macOS (Mach-O)
    b"\xfe\xed\xfa\xcf",
    b"\xce\xfa\xed\xfe",
    b"\xcf\xfa\xed\xfe",
    b"\xca\xfe\xba\xbe",  # macOS universal, Java class
    b"\x00asm",  # WebAssembly
)
_ARCHIVES = (
    (b"PK\x03\x04", "ZIP"),
    (b"PK\x05\x06", "ZIP"),
    (b"PK\x07\x08", "ZIP"),
    (b"Rar!\x1a\x07", "RAR"),
    (b"7z\xbc\xaf\x27\x1c", "7z"),
    (b"\x1f\x8b", "gzip"),
    (b"BZh", "bzip2"),
    (b"\xfd7zXZ\x00", "xz"),
    (b"\x28\xb5\x2f\xfd", "zstd"),
    (b"MSCF", "CAB"),
)
_HTML = re.compile(rb"<!doctype\s+html|<html|<script|<head[\s>]|<body[\s>]", re.IGNORECASE)
_SVG = re.compile(rb"<svg[\s>/]", re.IGNORECASE)


def _text_window(head: bytes) -> bytes:
    """The first KB after a byte-order mark and blanks, as ASCII-compatible bytes."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        encoding = "utf-16-le" if head.startswith(b"\xff\xfe") else "utf-16-be"
        text = head[2 : 2 + 2 * HTML_WINDOW].decode(encoding, "ignore").lstrip()
        return text.encode("ascii", "ignore")[:HTML_WINDOW]
    if head.startswith(b"\xef\xbb\xbf"):
        head = head[3:]
    return head.lstrip(b" \t\r\n\x0c\x00")[:HTML_WINDOW]


def _refuse_program() -> None:
    raise UploadRefused(
        _(
            "This file is a program or a script, not a document. Programs are never accepted, "
            "whatever the file name says."
        ),
        code="executable",
    )


def _archive_refused(kind: str) -> UploadRefused:
    return UploadRefused(
        _(
            "Archives (%(kind)s) are not accepted: upload each document itself. A Word or Excel "
            "file must be named .docx or .xlsx."
        )
        % {"kind": kind},
        code="archive",
    )


def refuse_dangerous(head: bytes) -> None:
    """Programs, web pages, SVG/XML and archives, whatever the name says."""
    window = _text_window(head)
    if head.startswith(_EXECUTABLES) or window.startswith(b"#!"):
        _refuse_program()
    if head.startswith(b"PK\x03\x04"):
        # Office documents are ZIPs: judged by their table of contents, not by markup that
        # an uncompressed part may show in the first KB.
        return
    if _SVG.search(window) or window.startswith(b"<?xml"):
        raise UploadRefused(
            _(
                "SVG and XML files are not accepted because they can carry scripts. Export the "
                "image as PNG or PDF and upload that."
            ),
            code="svg",
        )
    if _HTML.search(window):
        raise UploadRefused(
            _(
                "This file is a web page (HTML), not a document, whatever its name says. Save or "
                "print the page as PDF and upload the PDF."
            ),
            code="html",
        )
    kind = next((name for magic, name in _ARCHIVES if head.startswith(magic)), None)
    if kind is None and head[257:262] == b"ustar":
        kind = "tar"
    if kind is not None:
        raise _archive_refused(kind)


def _refuse_mismatch(kind: str, extension: str) -> None:
    if extension in TYPES[kind][1]:
        return
    label = _labels()[kind]
    if extension:
        message = _(
            "The file is a %(kind)s but its name ends in “%(ext)s”. Upload the right file or "
            "correct the name."
        ) % {"kind": label, "ext": extension}
    else:
        message = _(
            "The file is a %(kind)s but its name has no extension: name it “….%(ext)s”."
        ) % {"kind": label, "ext": sorted(TYPES[kind][1])[0].lstrip(".")}
    raise UploadRefused(message, code="mismatch")


def _zip_entry_count(fileobj) -> int | None:
    """The number of entries the archive declares, read from its last bytes only."""
    fileobj.seek(0, os.SEEK_END)
    size = fileobj.tell()
    fileobj.seek(max(0, size - 65536 - 22))
    tail = fileobj.read()
    at = tail.rfind(b"PK\x05\x06")
    if at == -1 or len(tail) < at + 22:
        return None
    return int.from_bytes(tail[at + 10 : at + 12], "little")


def _zip_kind(fileobj) -> str:
    """docx / xlsx / odt / ods from the table of contents; refuses other zips, macros, bombs.

    Reads the central directory (and ODF's tiny "mimetype" entry) only: cheap at any size.
    """
    entries = _zip_entry_count(fileobj)
    bomb = UploadRefused(
        _(
            "The document unpacks to more than %(mb)s MB or %(n)s parts, which is not plausible "
            "for evidence. Save it again (or as PDF) and retry."
        )
        % {"mb": MAX_UNZIPPED // (1024 * 1024), "n": MAX_ZIP_ENTRIES},
        code="zip_bomb",
    )
    if entries is not None and entries > MAX_ZIP_ENTRIES:
        raise bomb
    fileobj.seek(0)
    try:
        with zipfile.ZipFile(fileobj) as archive:
            infos = archive.infolist()
            if len(infos) > MAX_ZIP_ENTRIES or sum(i.file_size for i in infos) > MAX_UNZIPPED:
                raise bomb
            names = [i.filename for i in infos]
            lowered = [n.lower() for n in names]
            if any(n.endswith("vbaproject.bin") for n in lowered) or any(
                n.startswith(("basic/", "scripts/")) for n in lowered
            ):
                raise macros_refused()
            # ODF: the first entry is "mimetype", stored, naming the kind of document.
            if infos and infos[0].filename == "mimetype" and infos[0].file_size <= 200:
                kind = _ODF_MIMETYPES.get(archive.read(infos[0]).strip())
                if kind:
                    return kind
            if "[Content_Types].xml" in names:
                if any(n.startswith("word/") for n in names):
                    return "docx"
                if any(n.startswith("xl/") for n in names):
                    return "xlsx"
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, NotImplementedError, ValueError):
        raise document_damaged() from None
    raise _archive_refused("ZIP")


def detect_type(head: bytes, filename: str, fileobj=None) -> DetectedType:
    """The accepted type of a file from its first bytes, agreeing with the name's extension.

    For ZIP-based office documents `fileobj` (the whole file, seekable) is read for its table
    of contents; without it, `head` must hold the whole archive. Raises UploadRefused.
    """
    if not head:
        raise UploadRefused(_("The file is empty."), code="empty")
    refuse_dangerous(head)
    if head.startswith(b"%PDF-"):
        kind = "pdf"
    elif head.startswith(b"\xff\xd8\xff"):
        kind = "jpeg"
    elif head.startswith(b"\x89PNG\r\n\x1a\n"):
        kind = "png"
    elif head.startswith(b"PK\x03\x04"):
        kind = _zip_kind(fileobj if fileobj is not None else io.BytesIO(head))
    elif head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        raise UploadRefused(
            _(
                "Old Microsoft Office files (.doc, .xls) are not accepted. Save the document as "
                "DOCX, XLSX or PDF and upload that."
            ),
            code="legacy_office",
        )
    else:
        raise UploadRefused(
            _(
                "This type of file is not accepted. Accepted: PDF, JPEG or PNG photos, DOCX, "
                "XLSX, ODT and ODS."
            ),
            code="unknown",
        )
    _refuse_mismatch(kind, _extension(filename))
    return DetectedType(kind=kind, content_type=TYPES[kind][0])
