"""Evidence files: deciding the type from the content, and storing uploads durably.

The type comes from the file's first bytes (for office documents, also the archive's table of
contents) and must agree with the name's extension; anything that could run in a browser or
on a desktop (programs, HTML, SVG, PDFs with JavaScript or launch actions, macro documents)
is refused with a message that says why. The uploaded name is only ever displayed, never part
of a path.

Storing streams the upload chunk by chunk into a temporary file next to its final place while
hashing and checking it, fsyncs it and renames it to a random name, then fsyncs the directory:
a crash leaves either the whole file or an orphan temporary file (`verify_evidence` finds
those), never a half file under a real name. Storage without local paths (an S3 bucket) gets
the same checks on a local spool file, then `storage.save()`.
"""

import contextlib
import hashlib
import io
import os
import re
import tempfile
import unicodedata
import uuid
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.core.files.storage import FileSystemStorage, default_storage
from django.utils import timezone
from django.utils.translation import gettext as _

from kla.errors import DomainError

CHUNK = 1024 * 1024
TEMP_PREFIX = ".upload-"
EVIDENCE_DIR = "evidence"
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
ZIP_KINDS = ("docx", "xlsx", "odt", "ods")
_ODF_MIMETYPES = {TYPES["odt"][0].encode(): "odt", TYPES["ods"][0].encode(): "ods"}


class UploadRefused(DomainError):
    """The file is not accepted; the message says why, in words the uploader can act on."""


@dataclass(frozen=True)
class DetectedType:
    kind: str
    content_type: str


@dataclass(frozen=True)
class StoredFile:
    name: str  # relative to the storage's root (MEDIA_ROOT), as FileField stores it
    size: int
    sha256: str
    content_type: str
    original_name: str


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


def _refuse_dangerous(head: bytes) -> None:
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
                raise UploadRefused(
                    _(
                        "The document contains macros, which could run on the reviewer's "
                        "computer. Save it without macros (as .docx, .xlsx, .odt or .ods) and "
                        "upload it again."
                    ),
                    code="macro",
                )
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
        raise UploadRefused(
            _("The document is damaged or incomplete and cannot be read. Save it again and retry."),
            code="damaged",
        ) from None
    raise _archive_refused("ZIP")


def detect_type(head: bytes, filename: str, fileobj=None) -> DetectedType:
    """The accepted type of a file from its first bytes, agreeing with the name's extension.

    For ZIP-based office documents `fileobj` (the whole file, seekable) is read for its table
    of contents; without it, `head` must hold the whole archive. Raises UploadRefused.
    """
    if not head:
        raise UploadRefused(_("The file is empty."), code="empty")
    _refuse_dangerous(head)
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


# --- Streaming scan of PDFs for active content ----------------------------------------------

_DELIMITERS = b"\x00\t\n\x0c\r ()<>[]{}/%"
_DELIMITER_SET = frozenset(bytes([d]) for d in _DELIMITERS)
_REGULAR = rb"[^\x00\t\n\x0c\r ()<>\[\]{}/%]"
# Only the names that matter reach Python: the active ones, /ObjStm, and any name with a #xx
# escape (decoded, then checked). "(?!regular)" makes the match the whole name, so "/JSX" or
# "/AJS" never match. Other names are skipped at regex speed.
_CANDIDATE = (
    rb"/(JavaScript|JS|Launch|EmbeddedFiles?|RichMedia|XFA|ObjStm|"
    + _REGULAR
    + rb"*#"
    + _REGULAR
    + rb"*)(?!"
    + _REGULAR
    + rb")"
)
_OBJECT_TOKEN = re.compile(_CANDIDATE + rb"|stream(\r\n|\n|\r)")
_NAME = re.compile(_CANDIDATE)
_HEX_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")
# PDF names that make a document act on its own when opened. An action dictionary that runs
# JavaScript ("/OpenAction", "/AA", a link) always says "/S /JavaScript" and carries "/JS".
ACTIVE_NAMES = frozenset(
    {b"JavaScript", b"JS", b"Launch", b"EmbeddedFile", b"EmbeddedFiles", b"RichMedia", b"XFA"}
)
# Inside stream data (compressed images, fonts: random-looking bytes) only names long enough
# never to occur by chance are looked for. "/JS" followed by a delimiter appears by chance
# about once in 20 MB of random bytes; "/JavaScript" never does.
_LONG_ACTIVE_NAMES = frozenset(n for n in ACTIVE_NAMES if len(n) >= 6)
_MAX_TOKEN = 256
_STREAM_END = b"endstream"
# Per file, over all its object streams. They hold only dictionaries, far less than this even
# in a long document; more is refused, not let through unchecked (a bomb that hides /JS behind
# gigabytes of padding must not pass). Inflating goes _INFLATE_STEP at a time: memory stays
# bounded whatever the stream holds.
_INFLATE_LIMIT = 256 * 1024 * 1024
_INFLATE_STEP = 256 * 1024


def _decode_name(raw: bytes) -> bytes:
    """ "/J#61vaScript" is "/JavaScript": PDF names may escape any byte as #xx."""
    if b"#" not in raw:
        return raw
    return _HEX_ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]), raw)


def _refuse_active() -> None:
    raise UploadRefused(
        _(
            "This PDF contains JavaScript, embedded files or actions that run when it is "
            "opened, which could harm the reviewer's computer. Print it to a new PDF (or scan "
            "the paper) and upload that file."
        ),
        code="pdf_active",
    )


def _refuse_unchecked() -> None:
    limit = _INFLATE_LIMIT / (1024 * 1024)
    raise UploadRefused(
        _(
            "This PDF's compressed objects expand to more than %(limit)s MB, too much to check "
            "for JavaScript and actions. Print it to a new PDF (or save it again) and upload "
            "that file."
        )
        % {"limit": f"{limit:g}"},
        code="pdf_unchecked",
    )


class PdfScanner:
    """Feed a PDF chunk by chunk; raises UploadRefused on active content, wherever the chunk
    boundaries fall. Memory stays bounded (one chunk plus a short tail) whatever the size.

    Between objects every PDF name is checked, after decoding #xx escapes. Stream data is
    binary: there only the long names are looked for, so compressed images never raise a
    false alarm. Object streams (/Type /ObjStm), where PDF 1.5 keeps dictionaries under Flate
    compression, are inflated as they go by and checked like plain objects; a file whose
    object streams inflate past _INFLATE_LIMIT is refused. Object streams that cannot be
    inflated (encrypted PDFs, other filters) are not checked.
    """

    def __init__(self, *, objects_only: bool = False):
        self._objects_only = objects_only
        self._buf = b""
        self._prev = b"\n"  # the byte before self._buf: tells "stream" from "endstream"
        self._in_stream = False
        self._skip_lf = False
        self._objstm_seen = False
        self._carry = b""
        self._inflater = None
        self._inner: PdfScanner | None = None
        self._inflated = 0

    def feed(self, data: bytes) -> None:
        self._buf += data
        self._run(final=False)

    def close(self) -> None:
        self._run(final=True)

    def _run(self, *, final: bool) -> None:
        while True:
            progressed = self._stream_step(final) if self._in_stream else self._object_step(final)
            if not progressed:
                return

    # Between objects: every name counts.
    def _check_name(self, raw: bytes) -> None:
        name = _decode_name(raw)
        if name in ACTIVE_NAMES:
            _refuse_active()
        if name == b"ObjStm":
            self._objstm_seen = True

    def _object_step(self, final: bool) -> bool:
        """Check complete tokens; True when a stream starts (self._buf then holds its data)."""
        buf = self._buf
        if final:
            region, tail = buf, b""
        else:
            last = max(buf.rfind(bytes([d])) for d in _DELIMITERS)
            if last == -1:
                region, tail = b"", buf
            elif buf[last] == ord("/"):  # a name starts there and may go on in the next chunk
                region, tail = buf[:last], buf[last:]
            else:
                region, tail = buf[: last + 1], buf[last + 1 :]
        for match in _OBJECT_TOKEN.finditer(region):
            if match.group(1) is not None:
                self._check_name(match.group(1))
                continue
            start = match.start()
            before = region[start - 1 : start] if start else self._prev
            if self._objects_only or (before and before not in _DELIMITER_SET):
                continue  # "endstream", or a word that ends in "stream"
            self._start_stream(cr_only=match.group(2) == b"\r")
            self._buf = buf[match.end() :]
            self._prev = b"\n"
            return True
        if region:
            self._prev = region[-1:]
        if len(tail) > _MAX_TOKEN:
            # Longer than any name looked for. What follows in the next chunk carries no "/"
            # before the next delimiter, and a letter as the previous byte keeps a "stream"
            # there from passing for the keyword: dropping the tail is safe.
            self._prev, tail = b"a", b""
        self._buf = tail
        return False

    # Inside a stream: only long names, and inflate object streams.
    def _start_stream(self, *, cr_only: bool) -> None:
        self._in_stream = True
        self._skip_lf = cr_only
        self._carry = b""
        if self._objstm_seen:
            self._inflater = zlib.decompressobj()
            self._inner = PdfScanner(objects_only=True)
        self._objstm_seen = False

    def _stream_step(self, final: bool) -> bool:
        """Consume stream data; True when the stream ended (back between objects)."""
        if self._skip_lf:
            if not self._buf and not final:
                return False
            if self._buf.startswith(b"\n"):
                self._buf = self._buf[1:]
            self._skip_lf = False
        end = self._buf.find(_STREAM_END)
        if end == -1:
            keep = 0 if final else len(_STREAM_END) - 1  # a keyword split across chunks
            cut = max(0, len(self._buf) - keep)
            self._stream_data(self._buf[:cut])
            self._buf = self._buf[cut:]
            if final:
                self._end_stream()
            return False
        self._stream_data(self._buf[:end])
        self._end_stream()
        self._buf = self._buf[end + len(_STREAM_END) :]
        self._prev = b"m"
        return True

    def _stream_data(self, data: bytes) -> None:
        if not data:
            return
        window = self._carry + data
        for match in _NAME.finditer(window):
            if _decode_name(match.group(1)) in _LONG_ACTIVE_NAMES:
                _refuse_active()
        self._carry = window[-64:]
        if self._inflater is not None:
            self._inflate(data)

    def _inflate(self, data: bytes) -> None:
        try:
            while data and self._inflater is not None and not self._inflater.eof:
                out = self._inflater.decompress(data, _INFLATE_STEP)
                data = self._inflater.unconsumed_tail
                self._inflated += len(out)
                self._inner.feed(out)
                if self._inflated > _INFLATE_LIMIT:
                    _refuse_unchecked()  # what lies beyond would go unchecked: refuse
        except zlib.error:
            self._inflater = None  # not Flate, or encrypted: cannot be read (see above)

    def _end_stream(self) -> None:
        if self._inner is not None:
            self._inner.close()
        self._in_stream = False
        self._inflater = self._inner = None


# --- Storing --------------------------------------------------------------------------------


def _refuse_too_large() -> None:
    limit = settings.EVIDENCE_MAX_UPLOAD_BYTES / (1024 * 1024)
    raise UploadRefused(
        _(
            "The file is larger than %(mb)s MB. Compress it or split it into parts and upload "
            "each part."
        )
        % {"mb": f"{limit:g}" if limit == int(limit) else f"{limit:.1f}"},
        code="too_large",
    )


class _Checker:
    """Size, type, SHA-256 and the PDF scan, while the bytes go by.

    Holds back the first HEAD_BYTES until the type is decided, so nothing of a refused file
    is ever written; after that, every chunk passes straight through.
    """

    def __init__(self, original_name: str):
        self.original_name = original_name
        self.digest = hashlib.sha256()
        self.size = 0
        self.detected: DetectedType | None = None
        self.scanner: PdfScanner | None = None
        self._head: list[bytes] = []
        self._head_size = 0

    def take(self, chunk: bytes) -> list[bytes]:
        """Account for a chunk; returns the bytes that may be written now."""
        self.size += len(chunk)
        if self.size > settings.EVIDENCE_MAX_UPLOAD_BYTES:
            _refuse_too_large()
        if self.detected is None:
            self._head.append(chunk)
            self._head_size += len(chunk)
            return self._decide() if self._head_size >= HEAD_BYTES else []
        return self._pass([chunk])

    def finish(self) -> list[bytes]:
        ready = self._decide() if self.detected is None else []
        if self.size == 0:
            raise UploadRefused(_("The file is empty."), code="empty")
        if self.scanner is not None:
            self.scanner.close()
        return ready

    def _decide(self) -> list[bytes]:
        head = b"".join(self._head)
        self._head, self._head_size = [], 0
        if head.startswith(b"PK\x03\x04"):
            # Office documents: the table of contents is at the end; decided once stored.
            _refuse_dangerous(head)
            self.detected = DetectedType(kind="zip", content_type="")
        else:
            self.detected = detect_type(head, self.original_name)
            if self.detected.kind == "pdf":
                self.scanner = PdfScanner()
        return self._pass([head] if head else [])

    def _pass(self, chunks: list[bytes]) -> list[bytes]:
        for chunk in chunks:
            self.digest.update(chunk)
            if self.scanner is not None:
                self.scanner.feed(chunk)
        return chunks

    def confirm(self, fileobj) -> DetectedType:
        """The final type, reading the stored file for ZIP-based documents."""
        if self.detected.kind == "zip":
            fileobj.seek(0)
            head = fileobj.read(HEAD_BYTES)
            self.detected = detect_type(head, self.original_name, fileobj=fileobj)
        return self.detected


def _chunks(uploaded_file):
    if hasattr(uploaded_file, "seek"):
        uploaded_file.seek(0)
    for chunk in uploaded_file.chunks(CHUNK):
        if chunk:
            yield chunk


def _local_root(storage) -> Path | None:
    """The storage's directory on this machine, or None for other storage (an S3 bucket).

    Only a FileSystemStorage keeps its files there: others may answer path() (the in-memory
    storage does) without ever writing to it.
    """
    if isinstance(storage, FileSystemStorage):
        return Path(storage.location)
    return None


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _make_dirs(path: Path) -> None:
    """mkdir -p, fsyncing the parent of each directory created, so new entries are durable."""
    missing = []
    while not path.exists():
        missing.append(path)
        path = path.parent
    for directory in reversed(missing):
        try:
            directory.mkdir()
        except FileExistsError:
            continue
        if default_storage.directory_permissions_mode is not None:
            directory.chmod(default_storage.directory_permissions_mode)
        _fsync_dir(directory.parent)


def store_upload(*, uploaded_file) -> StoredFile:
    """Validate and store an upload under a random name; raise UploadRefused if not accepted.

    Streams: holds at most one chunk (plus the first 8 KB) in memory. On any refusal or error
    the temporary file is removed and nothing is left behind.
    """
    original = clean_filename(getattr(uploaded_file, "name", None))
    declared = getattr(uploaded_file, "size", None)
    if declared is not None and declared > settings.EVIDENCE_MAX_UPLOAD_BYTES:
        _refuse_too_large()
    if declared == 0:
        raise UploadRefused(_("The file is empty."), code="empty")
    name = f"{EVIDENCE_DIR}/{timezone.now():%Y/%m}/{uuid.uuid4().hex}"
    root = _local_root(default_storage)
    if root is None:
        return _store_remote(uploaded_file, original, name)
    final_path = root / name
    checker = _Checker(original)
    temp_path = out = None
    try:
        for chunk in _chunks(uploaded_file):
            ready = checker.take(chunk)
            if ready and out is None:
                out, temp_path = _open_temp(final_path.parent)
            for piece in ready:
                out.write(piece)
        ready = checker.finish()
        if out is None:
            out, temp_path = _open_temp(final_path.parent)
        for piece in ready:
            out.write(piece)
        out.flush()
        os.fsync(out.fileno())
        out.close()
        out = None
        with open(temp_path, "rb") as stored:
            detected = checker.confirm(stored)
        os.replace(temp_path, final_path)
        temp_path = None
        _fsync_dir(final_path.parent)
    except BaseException:
        if out is not None:
            out.close()
        if temp_path is not None:
            Path(temp_path).unlink(missing_ok=True)
        raise
    return StoredFile(
        name=name,
        size=checker.size,
        sha256=checker.digest.hexdigest(),
        content_type=detected.content_type,
        original_name=original,
    )


def _open_temp(directory: Path):
    """A new temporary file in the destination's directory (same file system: atomic rename)."""
    _make_dirs(directory)
    path = directory / f"{TEMP_PREFIX}{uuid.uuid4().hex}"
    # Mode 0666 minus the umask, like any file the service writes (mkstemp's 0600 would hide
    # the file from nginx's X-Accel-Redirect); the storage's explicit mode wins if it has one.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    mode = default_storage.file_permissions_mode
    if mode is not None:
        os.fchmod(fd, mode)
    return os.fdopen(fd, "wb"), path


def _store_remote(uploaded_file, original: str, name: str) -> StoredFile:
    """Storage without local paths (S3): the same checks on a local spool, then save()."""
    checker = _Checker(original)
    with tempfile.TemporaryFile() as spool:
        for chunk in _chunks(uploaded_file):
            for piece in checker.take(chunk):
                spool.write(piece)
        for piece in checker.finish():
            spool.write(piece)
        detected = checker.confirm(spool)
        spool.seek(0)
        saved = default_storage.save(name, File(spool, name=name))
    return StoredFile(
        name=saved,
        size=checker.size,
        sha256=checker.digest.hexdigest(),
        content_type=detected.content_type,
        original_name=original,
    )


def remove_stored(name: str) -> None:
    """Delete a stored file whose database row did not commit (idempotent)."""
    with contextlib.suppress(FileNotFoundError):
        default_storage.delete(name)
