"""Evidence on answers: files (immutable revisions) and links, and serving files back.

Who may change evidence: the answering unit, and for ordinary questions a unit assigned to
support it; a supporting unit changes only what it attached itself. When: while the answer
is a draft or sent back for revision, inside the unit's window, in a period not locked.

Durability: the file is stored (fsynced, renamed into place) with no transaction open, then
recorded in a short transaction that locks the answer; if that transaction fails, the file
is removed again. A process killed between the two leaves an orphan file, which
`verify_evidence --fix-orphans` cleans up; never a row without its file.

No duplicates: a file whose SHA-256 equals that of a file the answer already shows (the
current version of evidence not removed) is not recorded again, whichever way it came (the
form, a resumable upload, a second click, a retry after a lost connection). The check runs
under the answer's lock, so two copies sent at the same moment still make one revision;
the uploader is told the file is already there (`DuplicateEvidence`).
"""

import datetime
import io
import logging
import re
import unicodedata
from urllib.parse import quote

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.db.models import F, OuterRef, Subquery
from django.http import FileResponse, Http404, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from core import page_cache
from core.errors import DomainError
from opd import access
from opd.audit import audit_log
from opd.deadlines import ensure_unit_may_edit
from opd.models import Answer, AuditEvent, Document, Evidence, EvidenceRevision, Unit
from opd.services import answer_open
from opd.uploads import (
    ACCEPTED_CONTENT_TYPES,
    open_stored,
    remove_stored,
    storage_is_local,
    store_local_file,
    store_upload,
    too_many_pixels,
)

logger = logging.getLogger(__name__)

DOWNLOAD_CSP = "default-src 'none'; sandbox"


def _lock_answer(answer: Answer) -> Answer:
    return (
        Answer.objects.select_for_update(of=("self",))
        .select_related("question__indicator__group__period", "unit")
        .get(pk=answer.pk)
    )


def _check_may_change(answer: Answer, unit: Unit | None, user=None) -> None:
    """Raise DomainError unless `unit` (and `user`, a member of it) may change the evidence."""
    question = answer.question
    access.attach_check(answer=answer, unit=unit)
    if user is not None:
        access.member_check(user=user, unit=unit)
    ensure_unit_may_edit(period=question.indicator.group.period, unit=unit, question=question)
    if answer.status not in Answer.EDITABLE:
        raise DomainError(
            _(
                "The answer is %(status)s: its evidence can change only after the secretariat "
                "asks for a revision."
            )
            % {"status": answer.get_status_display().lower()},
            code="not_editable",
        )


def _check_owner(evidence: Evidence, answer: Answer, unit: Unit) -> None:
    """A supporting unit changes only the evidence it attached; the answering unit, all."""
    if evidence.removed_at is not None:
        raise DomainError(_("This evidence was already removed."), code="removed")
    if unit.pk not in (answer.unit_id, evidence.unit_id):
        raise DomainError(
            _("Only %(owner)s or %(answering)s can change this evidence.")
            % {"owner": evidence.unit.name, "answering": answer.unit.name},
            code="not_owner",
        )


class DuplicateEvidence(DomainError):
    """The same bytes are already a current file of the answer: nothing new was stored."""

    def __init__(self, *, name: str, existing: "EvidenceRevision"):
        super().__init__(
            _(
                "“%(name)s” is already attached to this answer (as “%(existing)s”), so it was "
                "not stored a second time."
            )
            % {"name": name, "existing": existing.original_name},
            code="duplicate",
        )
        self.existing = existing


# What was read of a file's text (opd/uploads/reading.py): the same bytes say the same, so a
# reused revision keeps it.
READ_FIELDS = ("text_layer", "read_number", "read_date", "read_via", "read_problem", "read_at")


def reading_fields(reading: dict | None) -> dict:
    """EvidenceRevision's fields from a reading (read_here's dict); none when not read."""
    if reading is None:
        return {}
    day = reading.get("date")
    return {
        "text_layer": reading.get("text_layer"),
        "read_number": (reading.get("number") or "")[:100],
        "read_date": datetime.date.fromisoformat(day) if day else None,
        "read_via": reading.get("via") or "",
        "read_problem": reading.get("problem") or "",
        "read_at": timezone.now(),
    }


def same_file_on_answer(*, answer: Answer, sha256: str) -> EvidenceRevision | None:
    """The revision with these bytes among the files the answer shows now (the latest
    version of each file not removed), or None. One query."""
    if answer.pk is None:
        return None
    latest = (
        EvidenceRevision.objects.filter(evidence=OuterRef("evidence"))
        .order_by("-uploaded_at", "-pk")
        .values("pk")[:1]
    )
    return (
        EvidenceRevision.objects.filter(
            evidence__answer=answer,
            evidence__kind=Evidence.Kind.FILE,
            evidence__removed_at__isnull=True,
            sha256=sha256,
        )
        .annotate(latest=Subquery(latest))
        .filter(pk=F("latest"))
        .first()
    )


def _record_file(*, answer, unit, user, stored, title, ip, evidence=None) -> EvidenceRevision:
    existing = same_file_on_answer(answer=answer, sha256=stored.sha256)
    if existing is not None:
        raise DuplicateEvidence(name=stored.original_name, existing=existing)
    previous = None
    if evidence is None:
        evidence = Evidence.objects.create(
            answer=answer,
            unit=unit,
            kind=Evidence.Kind.FILE,
            title=title.strip()[:255],
            created_by=user,
        )
    else:
        previous = evidence.revisions.order_by("-uploaded_at", "-pk").first()
    revision = EvidenceRevision.objects.create(
        evidence=evidence,
        file=stored.name,
        original_name=stored.original_name,
        size=stored.size,
        sha256=stored.sha256,
        content_type=stored.content_type,
        uploaded_by=user,
        **reading_fields(stored.reading),
    )
    audit_log(
        action=AuditEvent.Action.EVIDENCE_UPLOAD,
        actor=user,
        ip=ip,
        answer=answer,
        unit=unit,
        summary=stored.original_name,
        data={
            "evidence": evidence.pk,
            "revision": revision.pk,
            "sha256": stored.sha256,
            "size": stored.size,
            "content_type": stored.content_type,
            "replaces": previous.pk if previous else None,
        },
    )
    return revision


def _store_then_record(record, store) -> EvidenceRevision:
    """Write the file first, with no transaction open (a 20 MB write and its fsyncs must
    not hold the answer's row lock, nor SQLite's write lock), then record it in a short one.
    `store()` checks and stores the file (raising UploadRefused), `record(stored)` writes the
    rows; if recording fails (a duplicate, a rule), the stored file is removed again."""
    stored = store()
    try:
        with transaction.atomic():
            return record(stored)
    except BaseException:
        remove_stored(stored.name)
        raise


def evidence_add_file(
    *, answer: Answer, unit: Unit, user, uploaded_file, title: str = "", ip: str | None = None
) -> EvidenceRevision:
    """Attach a new file to the answer (its first revision).

    `answer` may be unsaved, a draft nobody has written yet: it is created together with the
    file's record, so a refused file leaves no empty answer behind. Raises UploadRefused,
    DuplicateEvidence (the answer shows the same bytes already) or another DomainError.
    """
    return _add(answer, unit, user, title, ip, lambda: store_upload(uploaded_file=uploaded_file))


def evidence_add_local_file(
    *,
    answer: Answer,
    unit: Unit,
    user,
    path,
    original_name: str,
    title: str = "",
    ip: str | None = None,
) -> EvidenceRevision:
    """The same as evidence_add_file for a complete file already on this machine (a finished
    resumable upload): the same checks, then linked into place rather than copied. `path`
    stays; the caller removes it."""
    return _add(
        answer,
        unit,
        user,
        title,
        ip,
        lambda: store_local_file(path=path, original_name=original_name),
    )


def _add(answer, unit, user, title, ip, store) -> EvidenceRevision:
    def record(stored):
        saved = answer if answer.pk else answer_open(question=answer.question, unit=answer.unit)
        locked = _lock_answer(saved)
        _check_may_change(locked, unit, user)
        return _record_file(answer=locked, unit=unit, user=user, stored=stored, title=title, ip=ip)

    # The rules first, so a refused upload costs no disk write; again under the lock after.
    _check_may_change(answer, unit, user)
    return _store_then_record(record, store)


def evidence_check_may_add(*, answer: Answer, unit: Unit, user) -> None:
    """Raise DomainError unless `unit` (through `user`) may add evidence to the answer now:
    asked before a long upload starts, and again when it is recorded."""
    _check_may_change(answer, unit, user)


def evidence_replace_file(
    *, evidence: Evidence, unit: Unit, user, uploaded_file, ip: str | None = None
) -> EvidenceRevision:
    """A new version of a file; the previous one stays downloadable in the history."""
    if evidence.kind != Evidence.Kind.FILE:
        raise DomainError(_("Only a file can be replaced."), code="not_file")

    def checked():
        locked = _lock_answer(evidence.answer)
        _check_may_change(locked, unit, user)
        current = (
            Evidence.objects.select_for_update(of=("self",))
            .select_related("unit")
            .get(pk=evidence.pk)
        )
        _check_owner(current, locked, unit)
        return locked, current

    def record(stored):
        locked, current = checked()
        return _record_file(
            answer=locked, unit=unit, user=user, stored=stored, title="", ip=ip, evidence=current
        )

    with transaction.atomic():
        checked()
    return _store_then_record(record, lambda: store_upload(uploaded_file=uploaded_file))


_URL = URLValidator(schemes=["http", "https"])


@transaction.atomic
def evidence_add_link(
    *, answer: Answer, unit: Unit, user, url: str, title: str = "", ip: str | None = None
) -> Evidence:
    """A link as evidence (a regulation in JDIH, a news item): http or https only."""
    url = (url or "").strip()
    try:
        if len(url) > 1000:
            raise ValidationError("too long")
        _URL(url)
    except ValidationError:
        raise DomainError(
            _("A link must be a web address starting with http:// or https://."), code="bad_url"
        ) from None
    locked = _lock_answer(answer)
    _check_may_change(locked, unit, user)
    evidence = Evidence.objects.create(
        answer=locked,
        unit=unit,
        kind=Evidence.Kind.LINK,
        url=url,
        title=title.strip()[:255],
        created_by=user,
    )
    audit_log(
        action=AuditEvent.Action.EVIDENCE_LINK,
        actor=user,
        ip=ip,
        answer=locked,
        unit=unit,
        summary=url[:300],
        data={"evidence": evidence.pk},
    )
    return evidence


@transaction.atomic
def evidence_remove(*, evidence: Evidence, unit: Unit, user, ip: str | None = None) -> Evidence:
    """Hide evidence from the answer; its revisions (and files) stay for the audit trail."""
    locked = _lock_answer(evidence.answer)
    _check_may_change(locked, unit, user)
    evidence = (
        Evidence.objects.select_for_update(of=("self",)).select_related("unit").get(pk=evidence.pk)
    )
    _check_owner(evidence, locked, unit)
    evidence.removed_at = timezone.now()
    evidence.save(update_fields=["removed_at"])
    audit_log(
        action=AuditEvent.Action.EVIDENCE_REMOVE,
        actor=user,
        ip=ip,
        answer=locked,
        unit=unit,
        summary=str(evidence)[:300],
        data={"evidence": evidence.pk},
    )
    return evidence


# --- Serving files --------------------------------------------------------------------------


def content_disposition(kind: str, name: str) -> str:
    """RFC 6266: an ASCII fallback for old clients, the real name as UTF-8 in filename*."""
    stem, dot, ext = name.rpartition(".")
    if not dot:
        stem, ext = name, ""

    def ascii_part(text: str) -> str:
        # "ü" -> "u"; what has no ASCII form ("–", Arabic script) -> "_".
        text = "".join(
            unicodedata.normalize("NFKD", char).encode("ascii", "ignore").decode() or "_"
            for char in text
        )
        return re.sub(r"[^A-Za-z0-9 ._()+,=@-]", "_", text).strip(" ._")

    fallback = (ascii_part(stem) or "bukti") + (f".{ascii_part(ext)}" if ascii_part(ext) else "")
    encoded = quote(name, safe="!#$&+^`|~")
    return f"{kind}; filename=\"{fallback}\"; filename*=UTF-8''{encoded}"


def _serve(revision: EvidenceRevision, *, disposition: str, csp: str) -> HttpResponse:
    content_type = (
        revision.content_type
        if revision.content_type in ACCEPTED_CONTENT_TYPES
        else "application/octet-stream"
    )
    prefix = settings.KLA_X_ACCEL_REDIRECT_PREFIX
    if prefix and storage_is_local():
        # nginx sends the file (location marked internal, alias MEDIA_ROOT) with our headers.
        response = HttpResponse(content_type=content_type)
        response["X-Accel-Redirect"] = prefix.rstrip("/") + "/" + quote(revision.file.name)
    else:
        # Streamed through Django, from a bucket too: the access check, the audit and these
        # headers (sandboxing CSP, nosniff) hold for every byte, which a redirect to a signed
        # bucket address would lose; the bucket need not be reachable from browsers either.
        try:
            handle = open_stored(revision.file.name)
        except FileNotFoundError:
            logger.error(
                "Evidence file missing: revision %s, %s. Run verify_evidence.",
                revision.pk,
                revision.file.name,
            )
            raise Http404 from None
        response = FileResponse(handle, content_type=content_type)
        response["Content-Length"] = str(handle.size)
    response["Content-Disposition"] = content_disposition(disposition, revision.original_name)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = csp
    response["Cache-Control"] = "private, no-store"
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    return response


def evidence_download_response(
    *, revision: EvidenceRevision, user, ip: str | None = None
) -> HttpResponse:
    """The stored file as an attachment, byte for byte, audited. Access is the view's job."""
    response = _serve(revision, disposition="attachment", csp=DOWNLOAD_CSP)
    with transaction.atomic():
        audit_log(
            action=AuditEvent.Action.EVIDENCE_DOWNLOAD,
            actor=user,
            ip=ip,
            answer=revision.evidence.answer,
            summary=revision.original_name,
            data={"revision": revision.pk},
        )
    return response


def evidence_inline_response(
    *, revision: EvidenceRevision, user, ip: str | None = None
) -> HttpResponse:
    """PDF and images shown inline to reviewers; nothing else is ever rendered inline.

    Images are sandboxed like downloads (`img-src 'self'` lets the browser's own image
    document show the file opened directly). Chromium's PDF viewer does not run in a
    sandboxed document, so a PDF gets `default-src 'none'` without `sandbox`: PDFs with
    scripts or actions were refused at upload, and nothing else may load. Not audited: the
    answer page embeds previews, so every page view would be a "download".
    """
    if not revision.is_previewable or _preview_withheld(revision):
        raise Http404
    csp = (
        "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; object-src 'self'"
        if revision.content_type == "application/pdf"
        else "default-src 'none'; img-src 'self'; sandbox"
    )
    response = _serve(revision, disposition="inline", csp=csp + "; frame-ancestors 'self'")
    # The answer page frames this response; every other response is DENY (settings).
    response["X-Frame-Options"] = "SAMEORIGIN"
    return response


_IMAGE_TYPES = ("image/jpeg", "image/png")
IMAGE_HEAD_BYTES = 256 * 1024


def _preview_withheld(revision: EvidenceRevision) -> str:
    """Why an image is not shown inline, or "": more pixels than KLA_IMAGE_MAX_MEGAPIXELS
    (stored before uploads were held to it), which the reviewer's browser would decode whole.
    Read from the stored file's header only."""
    if revision.content_type not in _IMAGE_TYPES:
        return ""
    # A stored file never changes: its verdict is read once per process, not at every view
    # of the answer page (a request to the bucket per image).
    key = ("image-oversized", revision.file.name, settings.KLA_IMAGE_MAX_MEGAPIXELS)
    oversized = page_cache.memo.get(key)
    if oversized is None:
        try:
            # The header only (JPEG's size follows its EXIF, within the first 64 KB or so):
            # a bucket streams no more than this, and Pillow would read a stream it cannot
            # seek whole.
            with open_stored(revision.file.name) as handle:
                oversized = bool(too_many_pixels(io.BytesIO(handle.read(IMAGE_HEAD_BYTES))))
        except OSError:
            return ""  # a missing file: the preview answers 404, verify_evidence reports it
        page_cache.memo.set(key, oversized)
    if not oversized:
        return ""
    return _(
        "No preview: the image has more than %(mp)s megapixels. Download it to look at it."
    ) % {"mp": settings.KLA_IMAGE_MAX_MEGAPIXELS}


def withhold_oversized_previews(evidence: list[Evidence]) -> None:
    """Mark the current image of each evidence that is not previewed with the reason
    (`revision.preview_withheld`, which the answer page shows instead of the preview). For
    the reviewers' answer page: one header read per image and process."""
    for item in evidence:
        revisions = item.revisions.all()  # prefetched, newest first
        if revisions:
            revisions[0].preview_withheld = _preview_withheld(revisions[0])


# --- Registered documents ----------------------------------------------------------------------


def revision_reuse(
    *, revision: EvidenceRevision, evidence: Evidence, uploaded_by
) -> EvidenceRevision:
    """The same stored bytes as the new revision of `evidence`: nothing is uploaded or copied
    again (a registered document attached elsewhere, evidence carried into a new period).
    Called inside the service that owns the write."""
    return EvidenceRevision.objects.create(
        evidence=evidence,
        file=revision.file.name,
        original_name=revision.original_name,
        size=revision.size,
        sha256=revision.sha256,
        content_type=revision.content_type,
        uploaded_by=uploaded_by,
        **{name: getattr(revision, name) for name in READ_FIELDS},
    )


@transaction.atomic
def document_register(
    *,
    revision: EvidenceRevision,
    unit: Unit,
    user,
    kind: str,
    title: str,
    number: str = "",
    issued_on=None,
    valid_until=None,
    ip: str | None = None,
) -> Document:
    """Register a stored file as a document of `unit`, to attach to other questions without
    uploading it again. The caller has checked that the user may read the file."""
    access.document_register_check(user=user, unit=unit)
    if valid_until and issued_on and valid_until < issued_on:
        raise DomainError(_("A document cannot expire before its date."), code="dates")
    document = Document.objects.create(
        unit=unit,
        kind=kind,
        title=title.strip()[:255],
        number=number.strip()[:100],
        issued_on=issued_on,
        valid_until=valid_until,
        revision=revision,
        registered_by=user,
    )
    # The evidence it was registered from is its first use.
    Evidence.objects.filter(pk=revision.evidence_id, document__isnull=True).update(
        document=document
    )
    audit_log(
        action=AuditEvent.Action.DOCUMENT_REGISTER,
        actor=user,
        ip=ip,
        unit=unit,
        summary=str(document)[:500],
        data={
            "document": document.pk,
            "revision": revision.pk,
            "sha256": revision.sha256,
            "valid_until": valid_until.isoformat() if valid_until else None,
        },
    )
    return document


@transaction.atomic
def document_renew(
    *,
    document: Document,
    revision: EvidenceRevision,
    user,
    kind: str = "",
    title: str,
    number: str = "",
    issued_on=None,
    valid_until=None,
    ip: str | None = None,
) -> Document:
    """Register `revision` as the new version of `document` (a renewed SK, a revised RAD):
    every question that uses the old one follows (each live evidence row gets the new file as
    its latest revision and points at the new document), and the old one stays in the
    library's history, attached to nothing current. One transaction: if any step fails, no
    question is left without its document and nothing changes. Answers of locked periods keep
    what they were verified with. The caller has checked that the user may read the file."""
    old = (
        Document.objects.select_for_update().select_related("unit", "revision").get(pk=document.pk)
    )
    access.document_register_check(user=user, unit=old.unit)
    if old.replaced_by_id is not None:
        raise DomainError(
            _("“%(document)s” was renewed already: renew its newest version.") % {"document": old},
            code="renewed",
        )
    if revision.sha256 == old.revision.sha256:
        raise DomainError(
            _("This is the same file as “%(document)s”: upload the new version.")
            % {"document": old},
            code="same_file",
        )
    if valid_until and issued_on and valid_until < issued_on:
        raise DomainError(_("A document cannot expire before its date."), code="dates")
    now = timezone.now()
    new = Document.objects.create(
        unit=old.unit,
        kind=kind or old.kind,
        title=title.strip()[:255] or old.title,
        number=number.strip()[:100],
        issued_on=issued_on,
        valid_until=valid_until,
        revision=revision,
        registered_by=user,
        registered_at=now,
    )
    # The evidence the new file was uploaded as is its first use.
    Evidence.objects.filter(pk=revision.evidence_id, document__isnull=True).update(document=new)
    moved, merged = [], []
    uses = (
        Evidence.objects.select_for_update(of=("self",))
        .filter(document=old, removed_at__isnull=True)
        .exclude(answer__question__indicator__group__period__status="locked")
        .select_related("answer")
        .order_by("pk")
    )
    for use in uses:
        shown = same_file_on_answer(answer=use.answer, sha256=revision.sha256)
        if shown is not None and shown.evidence_id != use.pk:
            # The answer shows the new file already (it was uploaded there): one copy is
            # enough, and that one now is the document.
            use.removed_at = now
            use.save(update_fields=["removed_at"])
            Evidence.objects.filter(pk=shown.evidence_id, document__isnull=True).update(
                document=new
            )
            merged.append(use.pk)
            continue
        revision_reuse(revision=revision, evidence=use, uploaded_by=user)
        use.document, use.title = new, str(new)[:255]
        use.save(update_fields=["document", "title"])
        moved.append(use.pk)
    old.replaced_by, old.replaced_at = new, now
    old.save(update_fields=["replaced_by", "replaced_at"])
    audit_log(
        action=AuditEvent.Action.DOCUMENT_RENEW,
        actor=user,
        ip=ip,
        unit=old.unit,
        summary=(_("%(old)s renewed by %(new)s") % {"old": old, "new": new})[:500],
        data={
            "old": old.pk,
            "new": new.pk,
            "revision": revision.pk,
            "sha256": revision.sha256,
            "evidence_moved": moved,
            "evidence_merged": merged,
            "valid_until": valid_until.isoformat() if valid_until else None,
        },
    )
    return new


@transaction.atomic
def evidence_attach_document(
    *, answer: Answer, document: Document, unit: Unit, user, ip: str | None = None
) -> Evidence:
    """Attach a registered document to an answer: a new evidence whose revision is the
    document's stored file (same bytes, same hash), with the same checks as an upload."""
    answer = _lock_answer(answer)
    _check_may_change(answer, unit, user)
    access.document_use_check(document=document, unit=unit)
    if document.replaced_by_id is not None:
        raise DomainError(
            _("“%(document)s” was renewed: attach its new version.") % {"document": document},
            code="renewed",
        )
    stored = document.revision
    existing = same_file_on_answer(answer=answer, sha256=stored.sha256)
    if existing is not None:
        raise DuplicateEvidence(name=str(document), existing=existing)
    evidence = Evidence.objects.create(
        answer=answer,
        unit=unit,
        kind=Evidence.Kind.FILE,
        title=str(document)[:255],
        created_by=user,
        document=document,
    )
    revision_reuse(revision=stored, evidence=evidence, uploaded_by=user)
    audit_log(
        action=AuditEvent.Action.DOCUMENT_ATTACH,
        actor=user,
        ip=ip,
        answer=answer,
        unit=unit,
        summary=str(document)[:500],
        data={"document": document.pk, "evidence": evidence.pk},
    )
    return evidence
