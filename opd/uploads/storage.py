"""Storing evidence uploads durably, under a random name.

The upload streams chunk by chunk into a temporary file next to its final place while it is
hashed and its size counted. Its first bytes are held back until they show the type
(sniff.py), so a file refused for its type is never written at all. Once the whole file is in
the temporary file, it is judged there: the table of contents of ZIP-based documents, then
its active content (content.py). Only then is it fsynced, renamed to its random name and the
directory fsynced. Any refusal, here or earlier (too large, say), removes the temporary file,
so nothing of a refused file is kept. A crash leaves either the whole file or an orphan
temporary file (`verify_evidence` finds those), never a half file under a real name. Storage
without local paths (an S3 bucket) gets the same checks on a local spool file, then
`storage.save()`; a bucket out of reach raises StorageUnavailable ("try again"), with nothing
written to it and the local file kept.

A file that is already complete on this machine (a finished resumable upload, opd/tus.py)
takes another way in: `store_local_file` reads it once for its size, type and SHA-256, judges
it where it lies, and gives it its random name by a hard link (no copy) when the spool and the
evidence share a file system; otherwise by one copy into a temporary file that is fsynced and
renamed like any upload; to a bucket, by one `storage.save()`. The caller removes its own
file once the revision is recorded.

Reading a stored file back (downloads, backups, checks, bundles) goes through `open_stored`,
which streams from a bucket instead of copying the whole object first.
"""

import contextlib
import hashlib
import logging
import os
import shutil
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.core.files.storage import FileSystemStorage, default_storage
from django.utils import timezone
from django.utils.translation import gettext as _

from opd.uploads.content import check_content
from opd.uploads.errors import StorageUnavailable, UploadRefused
from opd.uploads.isolation import read_isolated
from opd.uploads.sniff import (
    HEAD_BYTES,
    DetectedType,
    clean_filename,
    detect_type,
    refuse_dangerous,
)

logger = logging.getLogger(__name__)

CHUNK = 1024 * 1024
# A complete local file is read for its checks in smaller steps: nothing waits for the network.
LOCAL_READ = 256 * 1024
TEMP_PREFIX = ".upload-"
EVIDENCE_DIR = "evidence"


@dataclass(frozen=True)
class StoredFile:
    name: str  # relative to the storage's root (MEDIA_ROOT), as FileField stores it
    size: int
    sha256: str
    content_type: str
    original_name: str
    # What its text says (opd.uploads.reading.read_here's dict), None when not read.
    reading: dict | None = None


def _refuse_too_large() -> None:
    raise too_large()


def too_large() -> UploadRefused:
    """The refusal of a file over EVIDENCE_MAX_UPLOAD_BYTES."""
    limit = settings.EVIDENCE_MAX_UPLOAD_BYTES / (1024 * 1024)
    return UploadRefused(
        _(
            "The file is larger than %(mb)s MB. Compress it or split it into parts and upload "
            "each part."
        )
        % {"mb": f"{limit:g}" if limit == int(limit) else f"{limit:.1f}"},
        code="too_large",
    )


class _Checker:
    """Size, type and SHA-256 while the bytes go by; the rest once the whole file is there.

    Holds back the first HEAD_BYTES until the type is decided, so a file refused for what its
    first bytes show is never written; after that, every chunk passes straight through.
    """

    def __init__(self, original_name: str):
        self.original_name = original_name
        self.digest = hashlib.sha256()
        self.size = 0
        self.detected: DetectedType | None = None
        self._head: list[bytes] = []
        self._head_size = 0
        self.reading: dict | None = None

    def stored(self, *, name: str, detected) -> StoredFile:
        """What was stored, once it is under `name`."""
        return StoredFile(
            name=name,
            size=self.size,
            sha256=self.digest.hexdigest(),
            content_type=detected.content_type,
            original_name=self.original_name,
            reading=self.reading,
        )

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
        return ready

    def _decide(self) -> list[bytes]:
        head = b"".join(self._head)
        self._head, self._head_size = [], 0
        if head.startswith(b"PK\x03\x04"):
            # Office documents: the table of contents is at the end; decided once stored.
            refuse_dangerous(head)
            self.detected = DetectedType(kind="zip", content_type="")
        else:
            self.detected = detect_type(head, self.original_name)
        return self._pass([head] if head else [])

    def _pass(self, chunks: list[bytes]) -> list[bytes]:
        for chunk in chunks:
            self.digest.update(chunk)
        return chunks

    def judge(self, path: Path) -> DetectedType:
        """The final type and the active-content check, on the complete file at `path`."""
        if self.detected.kind == "zip":
            with open(path, "rb") as stored:
                head = stored.read(HEAD_BYTES)
                self.detected = detect_type(head, self.original_name, fileobj=stored)
        check_content(path, self.detected.kind)
        # Accepted: what its text says, for the verification risk, when asked to read at
        # upload (else the scheduled evidence_read does); never a refusal.
        if (
            self.detected.kind == "pdf"
            and settings.KLA_EVIDENCE_READ_AT_UPLOAD
            and settings.KLA_EVIDENCE_READ_SECONDS > 0
        ):
            self.reading = read_isolated(path, self.detected.kind)
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


def _make_dirs(path: Path, mode: int | None) -> None:
    """mkdir -p, fsyncing the parent of each directory created, so new entries are durable;
    `mode` (if any) for each new directory."""
    missing = []
    while not path.exists():
        missing.append(path)
        path = path.parent
    for directory in reversed(missing):
        try:
            directory.mkdir()
        except FileExistsError:
            continue
        if mode is not None:
            directory.chmod(mode)
        _fsync_dir(directory.parent)


def _modes(storage) -> tuple[int | None, int | None]:
    """(file mode, directory mode) for files written under the evidence storage's root. Only a
    storage on this machine has them; the spools use Django's upload settings instead, for
    the evidence storage may be a bucket (S3), which has no modes at all."""
    return storage.file_permissions_mode, storage.directory_permissions_mode


def _spool_modes() -> tuple[int | None, int | None]:
    return settings.FILE_UPLOAD_PERMISSIONS, settings.FILE_UPLOAD_DIRECTORY_PERMISSIONS


def store_upload(*, uploaded_file) -> StoredFile:
    """Validate and store an upload under a random name; raise UploadRefused if not accepted.

    A large upload Django spooled to disk is checked where it lies and hard-linked into place
    (store_local_file). A small one, held in memory, streams into a temporary file next to its
    final place: at most one chunk (plus the first 8 KB) in memory. On any refusal or error
    nothing is left behind. A bucket that cannot be reached raises StorageUnavailable.
    """
    original = clean_filename(getattr(uploaded_file, "name", None))
    declared = getattr(uploaded_file, "size", None)
    if declared is not None and declared > settings.EVIDENCE_MAX_UPLOAD_BYTES:
        _refuse_too_large()
    if declared == 0:
        raise UploadRefused(_("The file is empty."), code="empty")
    spooled = getattr(uploaded_file, "temporary_file_path", None)
    if spooled is not None:
        # Django has already written the upload to its spool (FILE_UPLOAD_TEMP_DIR): check it
        # there and link it into place, instead of writing the same bytes a second time.
        return store_local_file(path=Path(spooled()), original_name=uploaded_file.name)
    name = _new_name()
    storage = default_storage
    root = _local_root(storage)
    if root is None:
        return _store_remote(uploaded_file, original, name)
    final_path = root / name
    modes = _modes(storage)
    checker = _Checker(original)
    temp_path = out = None
    try:
        for chunk in _chunks(uploaded_file):
            ready = checker.take(chunk)
            if ready and out is None:
                out, temp_path = _open_temp(final_path.parent, modes)
            for piece in ready:
                out.write(piece)
        ready = checker.finish()
        if out is None:
            out, temp_path = _open_temp(final_path.parent, modes)
        for piece in ready:
            out.write(piece)
        out.flush()
        detected = checker.judge(temp_path)  # the whole file, before it gets a real name
        os.fsync(out.fileno())
        out.close()
        out = None
        os.replace(temp_path, final_path)
        temp_path = None
        _fsync_dir(final_path.parent)
    except BaseException:
        if out is not None:
            out.close()
        if temp_path is not None:
            Path(temp_path).unlink(missing_ok=True)
        raise
    return checker.stored(name=name, detected=detected)


def _new_name() -> str:
    return f"{EVIDENCE_DIR}/{timezone.now():%Y/%m}/{uuid.uuid4().hex}"


def check_start(head: bytes, original_name: str, *, complete: bool) -> None:
    """Refuse what the first bytes of an upload already show (a program, a web page, a type
    we do not accept or one its name contradicts), before the rest is sent. `head` holds at
    least HEAD_BYTES, or the whole file (`complete`)."""
    checker = _Checker(clean_filename(original_name))
    checker.take(head)
    if complete:
        checker.finish()
    elif checker.detected is None:
        raise ValueError(f"check_start needs {HEAD_BYTES} bytes or the whole file")


def store_local_file(*, path: Path, original_name: str) -> StoredFile:
    """Check a complete file on this machine and store it under a random name, without
    copying it when it can: the same checks as `store_upload` (size, type, active content),
    then a hard link into place (or, for a bucket, one upload through the storage's API).
    `path` is left where it is; the caller removes it after the revision is recorded. Raises
    UploadRefused, or StorageUnavailable when a bucket cannot take the file; on any failure
    nothing is stored."""
    path = Path(path)
    original = clean_filename(original_name)
    checker = _Checker(original)
    with open(path, "rb") as source:
        while chunk := source.read(LOCAL_READ):
            checker.take(chunk)
    checker.finish()
    detected = checker.judge(path)  # the complete file, where it lies
    name = _new_name()
    storage = default_storage
    root = _local_root(storage)
    if root is None:
        with open(path, "rb") as source:
            name = _save_remote(storage, name, source)
    else:
        _place(path, root / name, _modes(storage))
    return checker.stored(name=name, detected=detected)


def _place(source: Path, final_path: Path, modes) -> None:
    """Give the file at `source` the name `final_path`, durably: a hard link when both are on
    one file system, else a copy into a temporary file that is fsynced and renamed."""
    file_mode, dir_mode = modes
    _make_dirs(final_path.parent, dir_mode)
    with open(source, "rb") as handle:
        os.fsync(handle.fileno())
    try:
        os.link(source, final_path)
    except OSError:
        # Another file system (EXDEV), or one without hard links: one copy, as an upload.
        out, temp_path = _open_temp(final_path.parent, modes)
        try:
            with out, open(source, "rb") as handle:
                shutil.copyfileobj(handle, out, CHUNK)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temp_path, final_path)
        except BaseException:
            Path(temp_path).unlink(missing_ok=True)
            raise
    else:
        if file_mode is not None:
            os.chmod(final_path, file_mode)
    _fsync_dir(final_path.parent)


def open_spool_file(path: Path):
    """A new, empty file for a resumable upload's bytes, opened for writing. The spool is
    always on this machine, whatever the evidence storage: its file and directories get the
    modes of Django's upload settings (FILE_UPLOAD_PERMISSIONS, ..._DIRECTORY_PERMISSIONS;
    unset: 0666 and 0777 minus the umask)."""
    file_mode, dir_mode = _spool_modes()
    _make_dirs(path.parent, dir_mode)
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    if file_mode is not None:
        os.fchmod(fd, file_mode)
    return os.fdopen(fd, "r+b")


def _open_temp(directory: Path, modes):
    """A new temporary file in the destination's directory (same file system: atomic rename)."""
    file_mode, dir_mode = modes
    _make_dirs(directory, dir_mode)
    path = directory / f"{TEMP_PREFIX}{uuid.uuid4().hex}"
    # Mode 0666 minus the umask, like any file the service writes (mkstemp's 0600 would hide
    # the file from nginx's X-Accel-Redirect); the storage's explicit mode wins if it has one.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    if file_mode is not None:
        os.fchmod(fd, file_mode)
    return os.fdopen(fd, "wb"), path


def _store_remote(uploaded_file, original: str, name: str) -> StoredFile:
    """Storage without local paths (S3): the same checks on a local spool, then save()."""
    checker = _Checker(original)
    # Named, for the parsers of the content check open files by path; in the upload spool,
    # where verify_evidence finds what a killed worker left behind.
    spool_dir = settings.FILE_UPLOAD_TEMP_DIR
    with tempfile.NamedTemporaryFile(prefix=TEMP_PREFIX, dir=spool_dir) as spool:
        for chunk in _chunks(uploaded_file):
            for piece in checker.take(chunk):
                spool.write(piece)
        for piece in checker.finish():
            spool.write(piece)
        spool.flush()
        detected = checker.judge(Path(spool.name))
        spool.seek(0)
        saved = _save_remote(default_storage, name, spool)
    return checker.stored(name=saved, detected=detected)


def _save_remote(storage, name: str, handle) -> str:
    """Send a complete, checked local file to a storage without local paths; its stored name.

    A bucket that cannot be reached (connection refused, a timeout, an error answer) raises
    StorageUnavailable, whose message asks to try again. The object is written whole or not
    at all: S3 keeps no part of a single PUT that failed, and boto3 aborts a multipart upload
    that failed. The caller still holds its local file, so the upload can be finished later.
    """
    try:
        return storage.save(name, File(handle, name=name))
    except Exception as error:
        logger.warning("The evidence storage did not take %s: %r", name, error)
        raise storage_unavailable() from error


def storage_unavailable() -> StorageUnavailable:
    return StorageUnavailable(
        _("The file storage could not be reached; try again."), code="storage_unavailable"
    )


class StoredReader:
    """A stored file opened for reading, streamed from wherever it is (`size`: its length).

    From a bucket, the object's body is read as it arrives: django-storages' own file object
    would first copy the whole object into memory, once per download, backup or check."""

    def __init__(self, stream, size: int):
        self._stream = stream
        self.size = size

    def read(self, size: int = -1) -> bytes:
        return self._stream.read(None if size is None or size < 0 else size)

    def close(self) -> None:
        self._stream.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def open_stored(name: str) -> StoredReader:
    """Open a stored evidence file for reading, streamed; FileNotFoundError if it is not
    there. Other errors of the storage (a bucket out of reach) pass through."""
    storage = default_storage
    if _is_s3(storage):
        from botocore.exceptions import ClientError
        from storages.utils import clean_name

        # The storage's own key for the name (its `location` prefix, normalised).
        key = storage._normalize_name(clean_name(name))
        try:
            obj = storage.connection.meta.client.get_object(Bucket=storage.bucket_name, Key=key)
        except ClientError as error:
            if error.response.get("ResponseMetadata", {}).get("HTTPStatusCode") == 404:
                raise FileNotFoundError(name) from None
            raise
        return StoredReader(obj["Body"], obj["ContentLength"])
    handle = storage.open(name, "rb")
    try:
        size = storage.size(name)
    except BaseException:
        handle.close()
        raise
    return StoredReader(handle, size)


def _is_s3(storage) -> bool:
    try:
        from storages.backends.s3 import S3Storage
    except ImportError:  # the optional extra is not installed: no bucket either
        return False
    return isinstance(storage, S3Storage)


def storage_is_local() -> bool:
    """Whether evidence lives in a directory of this machine (nginx can send it itself)."""
    return _local_root(default_storage) is not None


def remove_stored(name: str) -> None:
    """Delete a stored file whose database row did not commit (idempotent)."""
    with contextlib.suppress(FileNotFoundError):
        default_storage.delete(name)
