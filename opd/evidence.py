"""Evidence on answers: files (immutable revisions) and links, and serving files back.

Durability: the file is stored (fsynced, renamed into place) before the transaction that
records it; if that transaction fails, the file is removed again. A process killed between
the two leaves an orphan file, which `verify_evidence --fix-orphans` cleans up; never a row
without its file.
"""

from urllib.parse import quote, urlparse

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import transaction
from django.http import FileResponse, Http404, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from kla.errors import DomainError
from opd.audit import audit_log
from opd.deadlines import ensure_unit_may_edit
from opd.models import Answer, Assignment, AuditEvent, Evidence, EvidenceRevision, Unit
from opd.uploads import remove_stored, store_upload

EDITABLE = (Answer.Status.DRAFT, Answer.Status.REVISION_REQUESTED)


def _lock_answer(answer: Answer) -> Answer:
    return (
        Answer.objects.select_for_update(of=("self",))
        .select_related("question__indicator__group__period", "unit")
        .get(pk=answer.pk)
    )


def _check_may_change(answer: Answer, unit: Unit) -> None:
    period = answer.question.indicator.group.period
    if unit is None or not Assignment.objects.filter(question=answer.question, unit=unit).exists():
        raise DomainError(_("Your unit is not assigned to this question."), code="not_assigned")
    ensure_unit_may_edit(period=period, unit=unit)
    if answer.status not in EDITABLE:
        raise DomainError(
            _("The answer is %(status)s: its evidence can change only after the secretariat "
              "asks for a revision.") % {"status": answer.get_status_display().lower()},
            code="not_editable",
        )  # fmt: skip


def _record_file(*, answer, unit, user, stored, title, ip, evidence=None) -> EvidenceRevision:
    if evidence is None:
        evidence = Evidence.objects.create(
            answer=answer, unit=unit, kind=Evidence.Kind.FILE, title=title[:255], created_by=user
        )
    revision = EvidenceRevision.objects.create(
        evidence=evidence,
        file=stored.name,
        original_name=stored.original_name,
        size=stored.size,
        sha256=stored.sha256,
        content_type=stored.content_type,
        uploaded_by=user,
    )
    audit_log(
        action=AuditEvent.Action.EVIDENCE_UPLOAD, actor=user, ip=ip, answer=answer, unit=unit,
        summary=stored.original_name,
        data={"revision": revision.pk, "sha256": stored.sha256, "size": stored.size,
              "replaces": evidence.pk if evidence.revisions.count() > 1 else None},
    )  # fmt: skip
    return revision


def _store_then_record(record, uploaded_file):
    stored = store_upload(uploaded_file=uploaded_file)
    try:
        with transaction.atomic():
            return record(stored)
    except BaseException:
        remove_stored(stored.name)
        raise


def evidence_add_file(
    *, answer: Answer, unit: Unit, user, uploaded_file, title: str = "", ip: str | None = None
) -> EvidenceRevision:
    """Attach a new file to the answer (its first revision)."""

    def record(stored):
        locked = _lock_answer(answer)
        _check_may_change(locked, unit)
        return _record_file(answer=locked, unit=unit, user=user, stored=stored, title=title, ip=ip)

    # Check the rules before storing anything, so a refused upload costs no disk write.
    with transaction.atomic():
        _check_may_change(_lock_answer(answer), unit)
    return _store_then_record(record, uploaded_file)


def evidence_replace_file(
    *, evidence: Evidence, unit: Unit, user, uploaded_file, ip: str | None = None
) -> EvidenceRevision:
    """A new version of a file; the previous one stays downloadable in the history."""
    if evidence.kind != Evidence.Kind.FILE or evidence.removed_at is not None:
        raise DomainError(_("Only a current file can be replaced."), code="not_file")

    def record(stored):
        locked = _lock_answer(evidence.answer)
        _check_may_change(locked, unit)
        return _record_file(
            answer=locked, unit=unit, user=user, stored=stored, title="", ip=ip, evidence=evidence
        )

    with transaction.atomic():
        _check_may_change(_lock_answer(evidence.answer), unit)
    return _store_then_record(record, uploaded_file)


@transaction.atomic
def evidence_add_link(
    *, answer: Answer, unit: Unit, user, url: str, title: str = "", ip: str | None = None
) -> Evidence:
    parsed = urlparse(url or "")
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise DomainError(_("A link must start with http:// or https://."), code="bad_url")
    locked = _lock_answer(answer)
    _check_may_change(locked, unit)
    evidence = Evidence.objects.create(
        answer=locked, unit=unit, kind=Evidence.Kind.LINK, url=url[:1000], title=title[:255],
        created_by=user,
    )  # fmt: skip
    audit_log(
        action=AuditEvent.Action.EVIDENCE_LINK, actor=user, ip=ip, answer=locked, unit=unit,
        summary=url[:300],
    )  # fmt: skip
    return evidence


@transaction.atomic
def evidence_remove(*, evidence: Evidence, unit: Unit, user, ip: str | None = None) -> Evidence:
    """Hide evidence from the answer; its revisions stay for the audit trail."""
    locked = _lock_answer(evidence.answer)
    _check_may_change(locked, unit)
    evidence = Evidence.objects.select_for_update().get(pk=evidence.pk)
    if evidence.removed_at is not None:
        raise DomainError(_("This evidence was already removed."), code="removed")
    evidence.removed_at = timezone.now()
    evidence.save(update_fields=["removed_at"])
    audit_log(
        action=AuditEvent.Action.EVIDENCE_REMOVE, actor=user, ip=ip, answer=locked, unit=unit,
        summary=str(evidence),
    )  # fmt: skip
    return evidence


def _disposition(kind: str, name: str) -> str:
    ascii_name = name.encode("ascii", "ignore").decode().replace('"', "") or "bukti"
    return f"{kind}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}"


def _serve(revision: EvidenceRevision, *, disposition: str, csp: str) -> HttpResponse:
    prefix = getattr(settings, "KLA_X_ACCEL_REDIRECT_PREFIX", "")
    if prefix:
        response = HttpResponse(content_type=revision.content_type)
        response["X-Accel-Redirect"] = prefix.rstrip("/") + "/" + revision.file.name
    else:
        try:
            handle = default_storage.open(revision.file.name, "rb")
        except FileNotFoundError:
            raise Http404 from None
        response = FileResponse(handle, content_type=revision.content_type)
        response["Content-Length"] = str(revision.size)
    response["Content-Disposition"] = _disposition(disposition, revision.original_name)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = csp
    response["Cache-Control"] = "private, no-store"
    return response


def evidence_download_response(
    *, revision: EvidenceRevision, user, ip: str | None = None
) -> HttpResponse:
    """The stored file as an attachment, byte for byte, audited."""
    response = _serve(revision, disposition="attachment", csp="default-src 'none'; sandbox")
    answer = revision.evidence.answer
    audit_log(
        action=AuditEvent.Action.EVIDENCE_DOWNLOAD, actor=user, ip=ip, answer=answer,
        summary=revision.original_name, data={"revision": revision.pk},
    )  # fmt: skip
    return response


def evidence_inline_response(
    *, revision: EvidenceRevision, user, ip: str | None = None
) -> HttpResponse:
    """PDF and images shown inline to reviewers; nothing else is ever rendered inline."""
    if not revision.is_previewable:
        raise Http404
    # Chromium's PDF viewer does not run in a CSP sandbox; PDFs with scripts were refused at
    # upload, and the response still forbids loading anything else.
    csp = (
        "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; object-src 'self'"
        if revision.content_type == "application/pdf"
        else "default-src 'none'; img-src 'self'; sandbox"
    )
    return _serve(revision, disposition="inline", csp=csp)
