"""Resumable uploads: a file sent in pieces that survives a lost connection (tus 1.0).

The protocol's HTTP side is opd/views/tus.py; this module keeps the uploads' state and bytes.
An upload belongs to the person who created it and to one answer (question and answering
unit). Its row (`ResumableUpload`) holds the length, the offset reached and, once it is over,
the outcome; its bytes wait in `KLA_TUS_DIR/<id>`.

- Creation refuses at once what is known before any byte is sent: a size over
  EVIDENCE_MAX_UPLOAD_BYTES, an empty file, a name that cannot be shown or whose extension
  we never accept, an answer the unit may not change now.
- Each piece streams to the file in small reads (never the whole piece in memory) at the
  offset the row records; whatever lies past that offset (a piece a crash interrupted) is
  cut first. With a checksum, a piece that does not match is cut again and refused. A piece
  cut short by a lost connection is kept as far as it came, so the next one continues there.
  Only one request writes an upload at a time (an exclusive, non-blocking lock on its file);
  another gets UploadBusy and tries again.
- As soon as the first 8 KB are in, they are sniffed like a form upload's: a program, a web
  page or a type the name contradicts is refused before the rest is sent.
- When the last byte arrives, the complete file goes the form upload's way
  (`evidence_add_local_file`: size, type, active content, then linked into place without a
  copy and recorded under the answer's lock, no transaction open while it is checked). It
  becomes one evidence revision, or nothing: a duplicate of a file the answer already shows,
  or a refusal. Either way the bytes in the spool go, and the row keeps the message for the
  uploader until it expires. A storage out of reach (a bucket) is none of these: the upload
  stays complete but unfinished, its bytes kept, and the next request about it tries again.
- An abandoned upload expires KLA_TUS_EXPIRY_HOURS after its last piece; `tus_cleanup`
  (cron) removes it, its bytes, and spool files no upload owns.
"""

import contextlib
import fcntl
import hashlib
import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import DomainError
from opd import evidence
from opd.models import Answer, ResumableUpload, Unit
from opd.uploads import (
    HEAD_BYTES,
    TYPES,
    StorageUnavailable,
    UploadRefused,
    check_start,
    clean_filename,
    open_spool_file,
    too_large,
)

logger = logging.getLogger(__name__)

READ_SIZE = 64 * 1024
# A spool file no row owns is left alone this long: its row may be being written right now.
ORPHAN_GRACE = timedelta(hours=1)
CHECKSUMS = {"sha1": hashlib.sha1, "sha256": hashlib.sha256}
_EXTENSIONS = frozenset(ext for _type, exts in TYPES.values() for ext in exts)


class UploadBusy(Exception):
    """Another request is writing this upload right now; try again in a moment."""


class UploadGone(Exception):
    """The upload expired or its bytes are gone; the client must start again."""


@dataclass
class OffsetMismatch(Exception):
    """The piece does not start where the upload stands (`offset`)."""

    offset: int


class ChecksumMismatch(Exception):
    """The piece's bytes differ from the checksum the client sent; they were not kept."""


class PieceTooLong(Exception):
    """The piece would go past the upload's declared length."""


def spool_dir() -> Path:
    return Path(settings.KLA_TUS_DIR)


def spool_path(upload: ResumableUpload) -> Path:
    return spool_dir() / upload.pk.hex


def _expiry():
    return timezone.now() + timedelta(hours=settings.KLA_TUS_EXPIRY_HOURS)


def _answer(upload_or_acc) -> Answer:
    """The answer a file goes to: the stored one, or an unsaved draft the service creates
    together with the file's record."""
    question_id, unit_id = upload_or_acc.question_id, upload_or_acc.unit_id
    return Answer.objects.filter(question_id=question_id, unit_id=unit_id).first() or Answer(
        question_id=question_id, unit_id=unit_id
    )


# --- Creation --------------------------------------------------------------------------------


def tus_create(
    *,
    user,
    question,
    unit: Unit,
    acting_unit: Unit | None,
    length: int,
    filename: str,
    filetype: str = "",
    title: str = "",
) -> ResumableUpload:
    """A new upload of `length` bytes to the answer of `unit` to `question`, which
    `acting_unit` (a unit of `user`) attaches. Raises UploadRefused or DomainError."""
    if length > settings.EVIDENCE_MAX_UPLOAD_BYTES:
        raise too_large()
    if length == 0:
        raise UploadRefused(_("The file is empty."), code="empty")
    name = clean_filename(filename)
    extension = os.path.splitext(name)[1].lower()
    if extension not in _EXTENSIONS:
        raise UploadRefused(
            _(
                "This type of file is not accepted. Accepted: PDF, JPEG or PNG photos, DOCX, "
                "XLSX, ODT and ODS."
            ),
            code="unknown",
        )
    answer = Answer.objects.filter(question=question, unit=unit).first() or Answer(
        question=question, unit=unit
    )
    evidence.evidence_check_may_add(answer=answer, unit=acting_unit, user=user)
    active = ResumableUpload.objects.filter(
        user=user, finished_at__isnull=True, expires_at__gt=timezone.now()
    ).count()
    if active >= settings.KLA_TUS_MAX_ACTIVE:
        raise DomainError(
            _(
                "You have %(n)s unfinished uploads. Let them finish (or cancel them) before "
                "starting another."
            )
            % {"n": active},
            code="too_many_uploads",
        )
    upload = ResumableUpload.objects.create(
        user=user,
        question=question,
        unit=unit,
        title=title.strip()[:255],
        filename=name,
        filetype=filetype[:100],
        length=length,
        expires_at=_expiry(),
    )
    try:
        open_spool_file(spool_path(upload)).close()
    except BaseException:
        upload.delete()
        raise
    return upload


# --- Pieces ----------------------------------------------------------------------------------


@contextlib.contextmanager
def _locked(upload: ResumableUpload) -> Iterator:
    """The upload's file, open for writing, locked against every other request."""
    try:
        handle = open(spool_path(upload), "r+b")  # noqa: SIM115 - closed below
    except FileNotFoundError:
        raise UploadGone from None
    try:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise UploadBusy from None
        yield handle
    finally:
        handle.close()  # releases the lock


def is_expired(upload: ResumableUpload) -> bool:
    return upload.expires_at <= timezone.now()


def tus_append(
    *,
    upload: ResumableUpload,
    offset: int,
    stream,
    length: int,
    checksum: tuple[str, bytes] | None = None,
    acting_unit: Unit | None,
    ip: str | None = None,
) -> ResumableUpload:
    """Write a piece of `length` bytes read from `stream` at `offset`; finish the upload when
    it is complete. Returns the upload as it now stands.

    Raises OffsetMismatch, PieceTooLong, ChecksumMismatch, UploadBusy, UploadGone, and
    UploadRefused or DomainError when the file is refused (its start, or the whole of it:
    the upload is then over, with nothing stored)."""
    with _locked(upload) as handle:
        upload.refresh_from_db()
        if upload.is_finished:
            if offset == upload.length and length == 0:
                return upload
            raise OffsetMismatch(upload.length)
        if is_expired(upload):
            raise UploadGone
        if offset != upload.offset:
            raise OffsetMismatch(upload.offset)
        if offset + length > upload.length:
            raise PieceTooLong
        received = _write(handle, offset, stream, length, checksum)
        end = offset + received
        logger.debug(
            "tus PATCH %s offset=%d declared=%d received=%d", upload.pk, offset, length, received
        )
        ResumableUpload.objects.filter(pk=upload.pk).update(
            offset=end, received=upload.received + received, expires_at=_expiry()
        )
        upload.offset, upload.received = end, upload.received + received
        if offset < HEAD_BYTES and end >= min(HEAD_BYTES, upload.length):
            handle.seek(0)
            try:
                check_start(handle.read(HEAD_BYTES), upload.filename, complete=end == upload.length)
            except UploadRefused as refusal:
                _close(upload, ResumableUpload.Outcome.REFUSED, refusal.message)
                raise
        if end == upload.length:
            _finish(upload, acting_unit=acting_unit, ip=ip)
    return upload


def _write(handle, offset: int, stream, length: int, checksum) -> int:
    """Stream the piece into the file at `offset`; the number of bytes kept."""
    handle.seek(offset)
    handle.truncate()  # whatever a crashed request left past the recorded offset
    digest = CHECKSUMS[checksum[0]]() if checksum else None
    received = 0
    try:
        while received < length:
            piece = stream.read(min(READ_SIZE, length - received))
            if not piece:
                break  # the client went away: keep what came
            handle.write(piece)
            received += len(piece)
            if digest is not None:
                digest.update(piece)
    except Exception:  # a connection reset, a timeout: whatever the server raises
        logger.info("tus: a piece was cut short after %d of %d bytes", received, length)
    if digest is not None and (received < length or digest.digest() != checksum[1]):
        handle.truncate(offset)  # unverified bytes are not kept
        handle.flush()
        if received == length:
            raise ChecksumMismatch
        received = 0
    handle.flush()
    os.fsync(handle.fileno())
    return received


def tus_finish_if_complete(
    *, upload: ResumableUpload, acting_unit: Unit | None, ip: str | None = None
) -> ResumableUpload:
    """Finish an upload whose last piece arrived but whose finishing was interrupted (a
    worker killed while checking it): asked by HEAD and status requests. Raises UploadBusy
    while another request is at it."""
    if upload.is_finished or upload.offset < upload.length:
        return upload
    with _locked(upload):
        upload.refresh_from_db()
        if not upload.is_finished and upload.offset == upload.length:
            _finish(upload, acting_unit=acting_unit, ip=ip)
    return upload


def _finish(upload: ResumableUpload, *, acting_unit: Unit | None, ip: str | None) -> None:
    """The complete file becomes one evidence revision, or nothing; the row keeps what the
    uploader is told. Called with the upload locked and no transaction open."""
    try:
        revision = evidence.evidence_add_local_file(
            answer=_answer(upload),
            unit=acting_unit,
            user=upload.user,
            path=spool_path(upload),
            original_name=upload.filename,
            title=upload.title,
            ip=ip,
        )
    except evidence.DuplicateEvidence as duplicate:
        _close(upload, ResumableUpload.Outcome.DUPLICATE, duplicate.message, duplicate.existing)
    except StorageUnavailable:
        # Nothing is wrong with the file: the bucket is out of reach. The upload stays
        # complete and unfinished, its bytes in the spool, and the next request about it
        # (the client's retry, HEAD or GET) finishes it.
        raise
    except DomainError as refusal:  # UploadRefused, or a rule (the window closed meanwhile)
        _close(upload, ResumableUpload.Outcome.REFUSED, refusal.message)
        raise
    else:
        message = _("“%(name)s” was stored.") % {"name": revision.original_name}
        _close(upload, ResumableUpload.Outcome.STORED, message, revision)


def _close(upload: ResumableUpload, outcome: str, message: str, revision=None) -> None:
    """The upload is over: record the outcome, then let its bytes go (a crash between the
    two leaves a spool file of a finished upload, which tus_cleanup removes)."""
    now = timezone.now()
    with transaction.atomic():
        ResumableUpload.objects.filter(pk=upload.pk).update(
            finished_at=now,
            outcome=outcome,
            message=str(message),
            revision=revision,
            offset=upload.length,
            expires_at=_expiry(),
        )
    upload.finished_at, upload.outcome, upload.message = now, str(outcome), str(message)
    upload.revision, upload.offset = revision, upload.length
    spool_path(upload).unlink(missing_ok=True)


# --- Termination and expiry ------------------------------------------------------------------


def tus_terminate(*, upload: ResumableUpload) -> None:
    """The uploader cancels: the row and its bytes go (a finished upload's evidence stays)."""
    path = spool_path(upload)
    if upload.is_finished:
        upload.delete()
        path.unlink(missing_ok=True)
        return
    with _locked(upload):
        upload.delete()
        path.unlink(missing_ok=True)


@dataclass(frozen=True)
class Leftover:
    """An expired upload (row and bytes), or a spool file no upload owns."""

    label: str
    size: int
    upload: ResumableUpload | None = None
    path: Path | None = None


def tus_leftovers(*, now=None) -> list[Leftover]:
    """What tus_cleanup would remove: expired uploads and spool files no upload owns (older
    than an hour). Reads only."""
    now = now or timezone.now()
    found = []
    for upload in ResumableUpload.objects.filter(expires_at__lte=now).order_by("expires_at"):
        path = spool_path(upload)
        size = path.stat().st_size if path.exists() else 0
        state = upload.outcome or f"{upload.offset}/{upload.length} bytes"
        found.append(
            Leftover(
                label=f"expired upload {upload.pk} (“{upload.filename}”, {state}, "
                f"expired {upload.expires_at:%Y-%m-%d %H:%M} UTC)",
                size=size,
                upload=upload,
                path=path,
            )
        )
    try:
        entries = list(os.scandir(spool_dir()))
    except FileNotFoundError:
        return found
    known = {u.hex for u in ResumableUpload.objects.values_list("pk", flat=True)}
    finished = {
        u.hex
        for u in ResumableUpload.objects.filter(finished_at__isnull=False).values_list(
            "pk", flat=True
        )
    }
    listed = {leftover.path for leftover in found}
    for entry in sorted(entries, key=lambda e: e.name):
        if not entry.is_file(follow_symlinks=False) or Path(entry.path) in listed:
            continue
        stat = entry.stat(follow_symlinks=False)
        age = now.timestamp() - stat.st_mtime
        if entry.name in finished or (
            entry.name not in known and age >= ORPHAN_GRACE.total_seconds()
        ):
            found.append(
                Leftover(
                    label=f"upload spool file {entry.path} ({stat.st_size} bytes, no "
                    "upload in progress owns it)",
                    size=stat.st_size,
                    path=Path(entry.path),
                )
            )
    return found


def tus_cleanup(*, now=None) -> tuple[list[Leftover], list[Leftover]]:
    """Remove expired uploads and spool files no upload owns. Returns (removed, busy): an
    upload a request is writing at this moment is left for the next run."""
    removed, busy = [], []
    for leftover in tus_leftovers(now=now):
        if leftover.upload is None:
            leftover.path.unlink(missing_ok=True)
            removed.append(leftover)
            continue
        try:
            with _locked(leftover.upload):
                _remove(leftover)
        except UploadGone:
            _remove(leftover)
        except UploadBusy:
            busy.append(leftover)
            continue
        removed.append(leftover)
    return removed, busy


def _remove(leftover: Leftover) -> None:
    ResumableUpload.objects.filter(pk=leftover.upload.pk).delete()
    leftover.path.unlink(missing_ok=True)
