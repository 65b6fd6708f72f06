"""The tus 1.0 protocol over HTTP: resumable evidence uploads from the answer page.

Two addresses. `.../jawaban/<question>/<unit>/bukti/tus/` creates uploads for that answer
(POST; OPTIONS tells the server's capabilities); `/opd/unggahan/<id>/` is one upload: HEAD
(where it stands), PATCH (a piece), DELETE (cancel), GET (its outcome, as JSON, for our page;
not part of tus). Extensions: creation, expiration, checksum (sha1, sha256), termination.
A POST with `X-HTTP-Method-Override: PATCH` or `DELETE` counts as that method (proxies that
refuse PATCH).

Every request is checked: logged in (else 401 JSON, not a redirect: a script is asking),
for an upload its owner only (anyone else: 404, as if it did not exist), and the answer's
access rule of the form upload (`answer_access(...).can_attach`). CSRF stays on: our page's
script sends the token in the X-CSRFToken header. Refusals carry a JSON body
`{"status": "refused", "code": ..., "message": ...}` in the reader's language.

When the last piece is in but the evidence storage (a bucket) cannot be reached, the answer
is 503 with the message "try again" and Retry-After: the bytes stay in the spool, the client
retries (HEAD), and the first request after the storage answers again finishes the upload.
"""

import base64
import binascii
import re

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.http import http_date
from django.utils.translation import gettext as _

from core.errors import DomainError
from opd import access, tus
from opd.audit import client_ip
from opd.models import ResumableUpload
from opd.uploads import StorageUnavailable, UploadRefused

TUS_VERSION = "1.0.0"
TUS_EXTENSIONS = "creation,expiration,checksum,termination"
OFFSET_CONTENT_TYPE = "application/offset+octet-stream"
# Seconds a client waits before asking again after the storage could not be reached.
RETRY_AFTER = 5
_DIGITS = re.compile(r"^[0-9]{1,15}$")
_METADATA_KEY = re.compile(r"^[!-+\--~]+$")  # printable ASCII without spaces and commas


class _Refusal(Exception):
    def __init__(self, status: int, message: str, code: str, **headers):
        super().__init__(message)
        self.status, self.message, self.code, self.headers = status, message, code, headers


def _response(status: int = 204, body: dict | None = None, **headers) -> HttpResponse:
    response = (
        JsonResponse(body, status=status) if body is not None else HttpResponse(status=status)
    )
    response["Tus-Resumable"] = TUS_VERSION
    response["Cache-Control"] = "no-store"
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    if status == 460:
        response.reason_phrase = "Checksum Mismatch"
    return response


def _refused(status: int, message, code: str, **headers) -> HttpResponse:
    body = {"status": "refused", "code": code, "message": str(message)}
    return _response(status, body, **headers)


def _capabilities() -> HttpResponse:
    return _response(
        204,
        Tus_Version=TUS_VERSION,
        Tus_Extension=TUS_EXTENSIONS,
        Tus_Max_Size=str(settings.EVIDENCE_MAX_UPLOAD_BYTES),
        Tus_Checksum_Algorithm=",".join(tus.CHECKSUMS),
    )


def _method(request) -> str:
    override = request.headers.get("X-HTTP-Method-Override", "").upper()
    if request.method == "POST" and override in ("PATCH", "DELETE"):
        return override
    return request.method


def _require_tus(request) -> None:
    if request.headers.get("Tus-Resumable") != TUS_VERSION:
        raise _Refusal(
            412,
            _("This upload speaks a protocol version the server does not know."),
            "tus_version",
            Tus_Version=TUS_VERSION,
        )


def _number(request, header: str) -> int:
    raw = request.headers.get(header, "")
    if not _DIGITS.match(raw):
        raise _Refusal(400, _("The upload request is incomplete."), "bad_request")
    return int(raw)


def _metadata(raw: str) -> dict[str, str]:
    """Upload-Metadata: comma-separated `key base64(value)` pairs (a value may be absent)."""
    out = {}
    for pair in filter(None, (item.strip() for item in raw.split(","))):
        key, _sep, value = pair.partition(" ")
        if not _METADATA_KEY.match(key) or key in out:
            raise _Refusal(400, _("The upload request is incomplete."), "bad_metadata")
        try:
            out[key] = base64.b64decode(value.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise _Refusal(400, _("The upload request is incomplete."), "bad_metadata") from None
    return out


def _checksum(request) -> tuple[str, bytes] | None:
    raw = request.headers.get("Upload-Checksum")
    if raw is None:
        return None
    algorithm, _sep, value = raw.strip().partition(" ")
    if algorithm not in tus.CHECKSUMS:
        raise _Refusal(400, _("The upload request is incomplete."), "checksum_algorithm")
    try:
        return algorithm, base64.b64decode(value.strip(), validate=True)
    except binascii.Error:
        raise _Refusal(400, _("The upload request is incomplete."), "bad_checksum") from None


def _signed_in(request) -> None:
    if not request.user.is_authenticated:
        raise _Refusal(
            401,
            _("Your session has ended. Log in again, then upload the file again."),
            "login",
        )


def _handle(view):
    """Turn the protocol's refusals, and the access helpers' 404 and 403, into tus answers
    with a JSON reason; the upload's own errors into their status codes."""

    def wrapper(request, *args, **kwargs):
        try:
            _signed_in(request)
            return view(request, *args, **kwargs)
        except _Refusal as refusal:
            return _refused(refusal.status, refusal.message, refusal.code, **refusal.headers)
        except Http404:
            return _refused(404, _("This upload does not exist (any more)."), "not_found")
        except PermissionDenied:
            return _refused(403, _("You may not add evidence to this answer."), "forbidden")
        except tus.UploadBusy:
            return _refused(423, _("The upload is busy; trying again."), "busy")
        except tus.UploadGone:
            return _refused(
                410, _("This upload has expired; the file is sent again from the start."), "gone"
            )
        except StorageUnavailable as unavailable:
            # The upload is complete and kept; a 5xx makes the client try again (HEAD), and
            # that request finishes it once the storage answers.
            body = {
                "status": "unavailable",
                "code": unavailable.code,
                "message": str(unavailable.message),
            }
            return _response(503, body, Retry_After=str(RETRY_AFTER))

    wrapper.__name__ = view.__name__
    wrapper.__doc__ = view.__doc__
    return wrapper


def _upload_url(request, upload: ResumableUpload) -> str:
    return request.build_absolute_uri(reverse("opd:tus-upload", args=[upload.pk]))


def _state_headers(upload: ResumableUpload) -> dict:
    headers = {
        "Upload_Offset": str(upload.offset),
        "Upload_Length": str(upload.length),
        "Upload_Expires": http_date(upload.expires_at.timestamp()),
    }
    if upload.is_finished:
        headers["Kla_Upload_Status"] = str(upload.outcome)
    return headers


def _announce(request, upload: ResumableUpload) -> None:
    """The outcome also waits as a message for the next page (our page reloads to show the
    new evidence)."""
    quiet = {"fail_silently": True}  # a client without our middleware (a script) is fine
    if upload.outcome == ResumableUpload.Outcome.STORED:
        messages.success(request, upload.message, **quiet)
    elif upload.outcome == ResumableUpload.Outcome.DUPLICATE:
        messages.info(request, upload.message, **quiet)
    elif upload.outcome == ResumableUpload.Outcome.REFUSED:
        why = _("No file was stored: %(why)s") % {"why": upload.message}
        messages.error(request, why, **quiet)


@_handle
def tus_endpoint(request, question_id: int, unit_id: int):
    """Create an upload for this answer (POST), or tell the server's capabilities."""
    acc = access.answer_access(request.user, question_id=question_id, unit_id=unit_id)
    access.require(acc.can_attach)
    method = request.method
    if method == "OPTIONS":
        return _capabilities()
    if method != "POST":
        return _refused(405, _("This address only creates uploads."), "method", Allow="POST")
    _require_tus(request)
    if "Upload-Defer-Length" in request.headers:
        raise _Refusal(400, _("The upload request is incomplete."), "defer_length")
    length = _number(request, "Upload-Length")
    metadata = _metadata(request.headers.get("Upload-Metadata", ""))
    if not metadata.get("filename"):
        raise _Refusal(400, _("The file has no name."), "no_name")
    try:
        upload = tus.tus_create(
            user=request.user,
            question=acc.question,
            unit=acc.unit,
            acting_unit=acc.acting_unit,
            length=length,
            filename=metadata["filename"],
            filetype=metadata.get("filetype", ""),
            title=metadata.get("title", ""),
        )
    except UploadRefused as refusal:
        status = 413 if refusal.code == "too_large" else 422
        return _refused(status, refusal.message, refusal.code)
    except DomainError as refusal:
        return _refused(403, refusal.message, refusal.code)
    return _response(
        201,
        Location=_upload_url(request, upload),
        Upload_Expires=http_date(upload.expires_at.timestamp()),
    )


def _own_upload(request, upload_id) -> tuple[ResumableUpload, access.AnswerAccess]:
    """The caller's own upload, with its answer's access (checked on every request)."""
    upload = get_object_or_404(ResumableUpload.objects.select_related("user"), pk=upload_id)
    if upload.user_id != request.user.pk:
        raise Http404
    acc = access.answer_access(request.user, question_id=upload.question_id, unit_id=upload.unit_id)
    access.require(acc.can_attach)
    return upload, acc


@_handle
def tus_upload(request, upload_id):
    """One upload: HEAD, PATCH, DELETE (tus), GET (its state and outcome as JSON)."""
    upload, acc = _own_upload(request, upload_id)
    method = _method(request)
    if method == "OPTIONS":
        return _capabilities()
    if method not in ("HEAD", "GET", "PATCH", "DELETE"):
        return _refused(
            405,
            _("This method is not used for uploads."),
            "method",
            Allow="GET, HEAD, PATCH, DELETE, OPTIONS",
        )
    if method == "GET":
        return _status(request, upload, acc)
    _require_tus(request)
    if method == "HEAD":
        return _head(request, upload, acc)
    if method == "DELETE":
        tus.tus_terminate(upload=upload)
        return _response(204)
    return _patch(request, upload, acc)


def _finish_pending(request, upload, acc) -> None:
    """A complete upload whose finishing was interrupted (a worker killed while checking
    it) is finished now; its outcome waits in the row."""
    if upload.is_finished or upload.offset < upload.length:
        return
    try:
        tus.tus_finish_if_complete(
            upload=upload, acting_unit=acc.acting_unit, ip=client_ip(request)
        )
    except StorageUnavailable:
        raise  # not an outcome: answered 503, and the next request tries again
    except DomainError:
        pass  # refused: the row says so
    if upload.is_finished:
        _announce(request, upload)


def _head(request, upload, acc):
    if not upload.is_finished and tus.is_expired(upload):
        raise tus.UploadGone
    _finish_pending(request, upload, acc)
    return _response(200, **_state_headers(upload))


def _status(request, upload, acc):
    _finish_pending(request, upload, acc)
    if upload.is_finished:
        status = upload.outcome
    else:
        status = "expired" if tus.is_expired(upload) else "uploading"
    body = {
        "status": status,
        "offset": upload.offset,
        "length": upload.length,
        "filename": upload.filename,
        "message": upload.message,
    }
    return _response(200, body)


def _patch(request, upload, acc):
    if request.content_type != OFFSET_CONTENT_TYPE:
        raise _Refusal(415, _("The upload request is incomplete."), "content_type")
    offset = _number(request, "Upload-Offset")
    length = int(request.META.get("CONTENT_LENGTH") or 0)
    checksum = _checksum(request)
    try:
        tus.tus_append(
            upload=upload,
            offset=offset,
            stream=request,
            length=length,
            checksum=checksum,
            acting_unit=acc.acting_unit,
            ip=client_ip(request),
        )
    except tus.OffsetMismatch as mismatch:
        return _refused(
            409,
            _("The upload continues from where the server stands."),
            "offset",
            Upload_Offset=str(mismatch.offset),
        )
    except tus.PieceTooLong:
        raise _Refusal(400, _("The upload request is incomplete."), "too_long") from None
    except tus.ChecksumMismatch:
        return _refused(460, _("A piece arrived damaged; it is sent again."), "checksum")
    except StorageUnavailable:
        raise  # the file is complete and kept; answered 503 (_handle)
    except DomainError as refusal:  # the file is refused: its start, or the whole of it
        _announce(request, upload)
        return _refused(422, refusal.message, refusal.code, **_state_headers(upload))
    if upload.is_finished:
        _announce(request, upload)
    return _response(204, **_state_headers(upload))
