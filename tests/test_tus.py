"""Resumable uploads (tus 1.0): conformance with a real tus client (tuspy) against the live
server, refusals, ownership, expiry, and the memory a piece costs."""

import base64
import datetime
import hashlib
import io
import json
import tracemalloc
from pathlib import Path

import pikepdf
import pytest
import requests
from django.conf import settings
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import get_random_string
from tusclient import client as tus_client
from tusclient.exceptions import TusCommunicationError

from opd import tus
from opd.models import Answer, AuditEvent, EvidenceRevision, ResumableUpload
from tests import samples
from tests.test_active_content import _crowded_pdf

CHUNK = 64 * 1024


@pytest.fixture(autouse=True)
def _inside_window(monkeypatch):
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: datetime.date(2026, 2, 10))


def big_pdf(size: int = 300_000, text: str = "Perbup KLA") -> bytes:
    """A valid PDF of about `size` bytes (a comment pads it), well past the first 8 KB."""
    base = samples.pdf_bytes(text)
    return base + b"%" + b"0" * max(0, size - len(base) - 2) + b"\n"


def hostile_pdf(size: int = 300_000) -> bytes:
    """A PDF that runs JavaScript when opened, built with pikepdf: fine at the start, refused
    once the whole file is checked."""
    pdf = pikepdf.new()
    pdf.add_blank_page()
    pdf.Root.OpenAction = pikepdf.Dictionary(
        S=pikepdf.Name.JavaScript, JS=pikepdf.String("app.alert(1)")
    )
    buffer = io.BytesIO()
    pdf.save(buffer)
    data = buffer.getvalue()
    return data + b"%" + b"0" * max(0, size - len(data) - 2) + b"\n"


def _files() -> list[Path]:
    root = Path(default_storage.location) / "evidence"
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def _spool() -> list[Path]:
    root = Path(settings.KLA_TUS_DIR)
    return sorted(root.iterdir()) if root.exists() else []


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _headers(user) -> dict:
    """What our page's script sends: the session cookie, and the CSRF token in a header."""
    browser = Client()
    browser.force_login(user)
    secret = get_random_string(32)
    session = browser.cookies[settings.SESSION_COOKIE_NAME].value
    return {
        "Cookie": f"{settings.SESSION_COOKIE_NAME}={session}; {settings.CSRF_COOKIE_NAME}={secret}",
        "X-CSRFToken": secret,
        # No keep-alive: each request's server thread ends with it, not at the session's end.
        "Connection": "close",
    }


@pytest.fixture
def endpoint(live_server, question, lead_unit):
    return live_server.url + reverse("opd:tus-endpoint", args=[question.pk, lead_unit.pk])


def _uploader(endpoint, user, path: Path, **kwargs):
    client = tus_client.TusClient(endpoint, headers=_headers(user))
    return client.uploader(
        str(path),
        chunk_size=CHUNK,
        metadata={"filename": path.name, "filetype": "application/pdf"},
        **kwargs,
    )


def _tus(user, method, url, **headers) -> requests.Response:
    return requests.request(
        method, url, headers={"Tus-Resumable": "1.0.0", **_headers(user), **headers}, timeout=30
    )


# --- Conformance with tuspy --------------------------------------------------------------------


def live(test):
    """Against the live server, whose thread commits for real. On SQLite in memory, the
    server thread's closing of the shared connection warns; failures show as 500s anyway."""
    test = pytest.mark.django_db(transaction=True)(test)
    return pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")(test)


@live
def test_interrupted_upload_resumes_from_the_servers_offset(endpoint, opd_user, tmp_path):
    data = big_pdf()
    path = tmp_path / "perbup ttd.pdf"
    path.write_bytes(data)

    first = _uploader(endpoint, opd_user, path, upload_checksum=True)
    first.upload(stop_at=3 * CHUNK)  # the connection drops after three pieces
    upload = ResumableUpload.objects.get()
    assert (upload.offset, upload.length, upload.filename) == (3 * CHUNK, len(data), path.name)
    assert upload.revision is None and _files() == []

    # A new client (the page reloaded) asks where the upload stands and goes on from there.
    again = _uploader(endpoint, opd_user, path, url=first.url, upload_checksum=True)
    assert again.offset == 3 * CHUNK
    again.upload()

    upload.refresh_from_db()
    assert upload.outcome == ResumableUpload.Outcome.STORED
    assert upload.received == len(data)  # nothing was sent twice
    revision = EvidenceRevision.objects.get()
    assert upload.revision == revision
    assert revision.sha256 == _sha(data) and revision.size == len(data)
    assert revision.original_name == "perbup ttd.pdf"
    assert revision.content_type == "application/pdf"
    with default_storage.open(revision.file.name, "rb") as stored:
        assert _sha(stored.read()) == _sha(data)
    assert _spool() == []  # the piece file became the evidence file, nothing left behind
    assert AuditEvent.objects.filter(action="evidence.upload").count() == 1
    answer = Answer.objects.get()
    assert answer.status == Answer.Status.DRAFT  # created together with the file

    # HEAD on the finished upload: complete, with its outcome; GET says what happened.
    head = _tus(opd_user, "HEAD", first.url)
    assert head.status_code == 200
    assert head.headers["Upload-Offset"] == head.headers["Upload-Length"] == str(len(data))
    assert head.headers["Kla-Upload-Status"] == "stored"
    assert head.headers["Cache-Control"] == "no-store"
    status = _tus(opd_user, "GET", first.url).json()
    assert status["status"] == "stored" and "perbup ttd.pdf" in status["message"]


@live
def test_a_hostile_file_is_refused_at_the_end_and_nothing_is_stored(endpoint, opd_user, tmp_path):
    path = tmp_path / "laporan.pdf"
    path.write_bytes(hostile_pdf())
    uploader = _uploader(endpoint, opd_user, path)
    with pytest.raises(TusCommunicationError) as error:
        uploader.upload()
    assert error.value.status_code == 422
    body = json.loads(error.value.response_content)
    assert body["status"] == "refused" and body["code"] == "pdf_script"
    assert "JavaScript" in body["message"]
    assert _files() == [] and _spool() == []
    assert not EvidenceRevision.objects.exists() and not Answer.objects.exists()
    upload = ResumableUpload.objects.get()
    assert upload.outcome == ResumableUpload.Outcome.REFUSED
    # Asked again (the refusal's answer was lost): nothing more to send, and why.
    head = _tus(opd_user, "HEAD", uploader.url)
    assert head.headers["Kla-Upload-Status"] == "refused"
    assert head.headers["Upload-Offset"] == str(upload.length)
    assert "JavaScript" in _tus(opd_user, "GET", uploader.url).json()["message"]


@live
def test_a_program_is_refused_after_its_first_piece(endpoint, opd_user, tmp_path):
    path = tmp_path / "laporan.pdf"
    path.write_bytes(b"MZ\x90\x00" + b"\x00" * 400_000)
    uploader = _uploader(endpoint, opd_user, path)
    with pytest.raises(TusCommunicationError) as error:
        uploader.upload()
    assert error.value.status_code == 422
    assert json.loads(error.value.response_content)["code"] == "executable"
    upload = ResumableUpload.objects.get()
    assert upload.received == CHUNK  # the rest was never sent
    assert _files() == [] and _spool() == []


@live
def test_someone_elses_upload_is_404(
    endpoint, opd_user, support_user, other_opd_user, secretariat_user, tmp_path
):
    path = tmp_path / "perbup.pdf"
    path.write_bytes(big_pdf())
    uploader = _uploader(endpoint, opd_user, path)
    uploader.upload(stop_at=CHUNK)
    # The supporting unit may attach to this answer, but the upload is not theirs.
    for stranger in (support_user, other_opd_user, secretariat_user):
        with pytest.raises(TusCommunicationError) as error:
            _uploader(endpoint, stranger, path, url=uploader.url)  # HEAD for the offset
        assert error.value.status_code == 404
        patch = _tus(
            stranger,
            "PATCH",
            uploader.url,
            **{"Upload-Offset": str(CHUNK), "Content-Type": "application/offset+octet-stream"},
        )
        assert patch.status_code == 404
        assert _tus(stranger, "DELETE", uploader.url).status_code == 404
        assert _tus(stranger, "GET", uploader.url).status_code == 404
    assert ResumableUpload.objects.get().offset == CHUNK
    uploader.upload()
    assert EvidenceRevision.objects.get().uploaded_by == opd_user


@live
def test_a_piece_at_the_wrong_offset_is_409(endpoint, opd_user, tmp_path):
    path = tmp_path / "perbup.pdf"
    path.write_bytes(big_pdf())
    uploader = _uploader(endpoint, opd_user, path)
    uploader.upload(stop_at=CHUNK)
    response = requests.patch(
        uploader.url,
        data=b"x" * 100,
        timeout=30,
        headers={
            "Tus-Resumable": "1.0.0",
            "Upload-Offset": "0",
            "Content-Type": "application/offset+octet-stream",
            **_headers(opd_user),
        },
    )
    assert response.status_code == 409
    assert response.headers["Upload-Offset"] == str(CHUNK)
    assert ResumableUpload.objects.get().offset == CHUNK


@live
def test_a_file_over_the_limit_is_refused_before_any_byte(endpoint, opd_user, tmp_path, settings):
    settings.EVIDENCE_MAX_UPLOAD_BYTES = 200_000
    path = tmp_path / "besar.pdf"
    path.write_bytes(big_pdf(250_000))
    with pytest.raises(TusCommunicationError) as error:
        _uploader(endpoint, opd_user, path).upload()
    assert error.value.status_code == 413
    assert "0.2 MB" in json.loads(error.value.response_content)["message"]
    assert not ResumableUpload.objects.exists() and _spool() == []
    options = _tus(opd_user, "OPTIONS", endpoint)
    assert options.headers["Tus-Max-Size"] == "200000"


@live
def test_a_damaged_piece_is_refused_with_460_and_not_kept(endpoint, opd_user, tmp_path):
    path = tmp_path / "perbup.pdf"
    data = big_pdf()
    path.write_bytes(data)
    uploader = _uploader(endpoint, opd_user, path)
    uploader.upload(stop_at=CHUNK)
    piece = data[CHUNK : 2 * CHUNK]
    wrong = base64.b64encode(hashlib.sha1(piece + b"!").digest()).decode()  # noqa: S324 - tus names it
    response = requests.patch(
        uploader.url,
        data=piece,
        timeout=30,
        headers={
            "Tus-Resumable": "1.0.0",
            "Upload-Offset": str(CHUNK),
            "Content-Type": "application/offset+octet-stream",
            "Upload-Checksum": f"sha1 {wrong}",
            **_headers(opd_user),
        },
    )
    assert response.status_code == 460
    assert ResumableUpload.objects.get().offset == CHUNK
    assert (
        Path(settings.KLA_TUS_DIR) / ResumableUpload.objects.get().pk.hex
    ).stat().st_size == CHUNK
    right = base64.b64encode(hashlib.sha256(piece).digest()).decode()
    response = requests.patch(
        uploader.url,
        data=piece,
        timeout=30,
        headers={
            "Tus-Resumable": "1.0.0",
            "Upload-Offset": str(CHUNK),
            "Content-Type": "application/offset+octet-stream",
            "Upload-Checksum": f"sha256 {right}",
            **_headers(opd_user),
        },
    )
    assert response.status_code == 204 and response.headers["Upload-Offset"] == str(2 * CHUNK)


@live
def test_the_same_file_again_is_no_second_revision(endpoint, opd_user, tmp_path):
    data = big_pdf()
    for name in ("perbup.pdf", "perbup-lagi.pdf"):
        path = tmp_path / name
        path.write_bytes(data)
        uploader = _uploader(endpoint, opd_user, path)
        uploader.upload()
    assert EvidenceRevision.objects.count() == 1 and len(_files()) == 1 and _spool() == []
    second = ResumableUpload.objects.get(filename="perbup-lagi.pdf")
    assert second.outcome == ResumableUpload.Outcome.DUPLICATE
    assert second.revision == EvidenceRevision.objects.get()
    status = _tus(opd_user, "GET", uploader.url).json()
    assert status["status"] == "duplicate"
    assert (
        "sudah terlampir" in status["message"] and "perbup.pdf" in status["message"]
    )  # Indonesian first


@live
def test_termination_removes_the_upload_and_its_bytes(endpoint, opd_user, tmp_path):
    path = tmp_path / "perbup.pdf"
    path.write_bytes(big_pdf())
    uploader = _uploader(endpoint, opd_user, path)
    uploader.upload(stop_at=CHUNK)
    assert len(_spool()) == 1
    assert _tus(opd_user, "DELETE", uploader.url).status_code == 204
    assert not ResumableUpload.objects.exists() and _spool() == []
    assert _tus(opd_user, "HEAD", uploader.url).status_code == 404


@live
def test_abandoned_uploads_expire_and_are_cleaned(endpoint, opd_user, tmp_path, capsys):
    path = tmp_path / "perbup.pdf"
    path.write_bytes(big_pdf())
    uploader = _uploader(endpoint, opd_user, path)
    uploader.upload(stop_at=CHUNK)
    upload = ResumableUpload.objects.get()
    head = _tus(opd_user, "HEAD", uploader.url)
    expires = datetime.datetime.strptime(
        head.headers["Upload-Expires"], "%a, %d %b %Y %H:%M:%S GMT"
    )
    in_a_day = timezone.now().replace(tzinfo=None) + datetime.timedelta(hours=24)
    assert abs((expires - in_a_day).total_seconds()) < 120

    # A day later, nobody came back: the upload is gone for the client...
    ResumableUpload.objects.filter(pk=upload.pk).update(
        expires_at=timezone.now() - datetime.timedelta(minutes=1)
    )
    assert _tus(opd_user, "HEAD", uploader.url).status_code == 410
    patch = requests.patch(
        uploader.url,
        data=b"x",
        timeout=30,
        headers={
            "Tus-Resumable": "1.0.0",
            "Upload-Offset": str(CHUNK),
            "Content-Type": "application/offset+octet-stream",
            **_headers(opd_user),
        },
    )
    assert patch.status_code == 410
    # ...verify_evidence reports it, and the cron job removes it with its bytes.
    with pytest.raises(CommandError):
        call_command("verify_evidence")
    assert "EXPIRED" in capsys.readouterr().out
    call_command("tus_cleanup")
    assert "removed 1" in capsys.readouterr().out
    assert not ResumableUpload.objects.exists() and _spool() == []
    call_command("verify_evidence")


# --- The protocol, through Django's test client --------------------------------------------------

pytestmark_db = pytest.mark.django_db


def _create(client, question, unit, data: bytes, name="perbup.pdf", **extra):
    metadata = f"filename {base64.b64encode(name.encode()).decode()}"
    return client.post(
        reverse("opd:tus-endpoint", args=[question.pk, unit.pk]),
        headers={
            "Tus-Resumable": "1.0.0",
            "Upload-Length": str(len(data)),
            "Upload-Metadata": metadata,
            **extra,
        },
    )


def _patch(client, url, offset, data, **extra):
    return client.generic(
        "PATCH",
        url,
        data,
        content_type="application/offset+octet-stream",
        headers={"Tus-Resumable": "1.0.0", "Upload-Offset": str(offset), **extra},
    )


@pytest.mark.django_db
def test_options_tells_the_capabilities(client_for, opd_user, question, lead_unit):
    response = client_for(opd_user).options(
        reverse("opd:tus-endpoint", args=[question.pk, lead_unit.pk])
    )
    assert response.status_code == 204
    assert response["Tus-Version"] == "1.0.0"
    assert response["Tus-Extension"] == "creation,expiration,checksum,termination"
    assert response["Tus-Max-Size"] == str(settings.EVIDENCE_MAX_UPLOAD_BYTES)
    assert response["Tus-Checksum-Algorithm"] == "sha1,sha256"


@pytest.mark.django_db
def test_whole_upload_through_the_test_client_with_method_override(
    client_for, opd_user, question, lead_unit
):
    data = big_pdf(50_000)
    client = client_for(opd_user)
    created = _create(client, question, lead_unit, data)
    assert created.status_code == 201 and created["Tus-Resumable"] == "1.0.0"
    url = created["Location"]
    assert _patch(client, url, 0, data[:30_000]).status_code == 204
    # A proxy that refuses PATCH: POST with X-HTTP-Method-Override.
    response = client.post(
        url,
        data[30_000:],
        content_type="application/offset+octet-stream",
        headers={
            "Tus-Resumable": "1.0.0",
            "Upload-Offset": "30000",
            "X-HTTP-Method-Override": "PATCH",
        },
    )
    assert response.status_code == 204 and response["Kla-Upload-Status"] == "stored"
    assert EvidenceRevision.objects.get().sha256 == _sha(data)


@pytest.mark.django_db
def test_protocol_errors(client_for, opd_user, question, lead_unit):
    client = client_for(opd_user)
    data = big_pdf(20_000)
    url = reverse("opd:tus-endpoint", args=[question.pk, lead_unit.pk])
    assert client.post(url).status_code == 412  # no Tus-Resumable
    assert client.post(url, headers={"Tus-Resumable": "0.2.2"})["Tus-Version"] == "1.0.0"
    assert client.post(url, headers={"Tus-Resumable": "1.0.0"}).status_code == 400
    assert client.get(url).status_code == 405
    bad = _create(client, question, lead_unit, data, **{"Upload-Metadata": "filename %%%"})
    assert bad.status_code == 400
    upload_url = _create(client, question, lead_unit, data)["Location"]
    wrong_type = client.generic(
        "PATCH",
        upload_url,
        b"x",
        content_type="application/octet-stream",
        headers={"Tus-Resumable": "1.0.0", "Upload-Offset": "0"},
    )
    assert wrong_type.status_code == 415
    assert _patch(client, upload_url, 0, data + b"more").status_code == 400  # past the end
    unknown = _patch(client, upload_url, 0, data, **{"Upload-Checksum": "md5 AAAA"})
    assert unknown.status_code == 400
    assert ResumableUpload.objects.get().offset == 0


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "data", "status", "code"),
    [
        ("program.exe", b"MZ" + b"\0" * 100, 422, "unknown"),
        ("kosong.pdf", b"", 422, "empty"),
        ("bad\x01name.pdf", b"%PDF-1.4", 422, "bad_name"),
    ],
)
def test_creation_refuses_what_is_known_at_once(
    client_for, opd_user, question, lead_unit, name, data, status, code
):
    response = _create(client_for(opd_user), question, lead_unit, data, name=name)
    assert response.status_code == status
    assert response.json()["status"] == "refused"
    if code != "bad_name":
        assert response.json()["code"] == code
    assert not ResumableUpload.objects.exists()


@pytest.mark.django_db
def test_creation_refuses_an_answer_the_unit_may_not_change(
    client_for, opd_user, question, lead_unit
):
    Answer.objects.create(question=question, unit=lead_unit, status=Answer.Status.SUBMITTED)
    response = _create(client_for(opd_user), question, lead_unit, big_pdf(20_000))
    assert response.status_code == 403
    assert response.json()["code"] == "not_editable"
    assert not ResumableUpload.objects.exists()


@pytest.mark.django_db
def test_a_person_has_a_bounded_number_of_unfinished_uploads(
    client_for, opd_user, question, lead_unit, settings
):
    settings.KLA_TUS_MAX_ACTIVE = 2
    client = client_for(opd_user)
    statuses = [_create(client, question, lead_unit, big_pdf(20_000)).status_code for _ in "abc"]
    assert statuses == [201, 201, 403]


@pytest.mark.django_db
def test_without_a_session_the_answer_is_401_json(client, question, lead_unit, opd_user):
    response = _create(client, question, lead_unit, big_pdf(20_000))
    assert response.status_code == 401
    assert response.json()["code"] == "login"


@pytest.mark.django_db
def test_csrf_is_checked_on_tus_requests(opd_user, question, lead_unit):
    client = Client(enforce_csrf_checks=True)
    client.force_login(opd_user)
    response = _create(client, question, lead_unit, big_pdf(20_000))
    assert response.status_code == 403
    assert not ResumableUpload.objects.exists()
    page = client.get(reverse("opd:answer", args=[question.pk, lead_unit.pk]))
    token = page.context["csrf_token"]
    response = _create(client, question, lead_unit, big_pdf(20_000), **{"X-CSRFToken": str(token)})
    assert response.status_code == 201


@pytest.mark.django_db
def test_a_piece_streams_to_disk_and_is_never_held_whole(client_for, opd_user, question, lead_unit):
    """A 4 MB piece costs the server a read buffer, not 4 MB of memory."""
    from django.test import RequestFactory

    from opd.views.tus import tus_upload

    data = big_pdf(4 * 1024 * 1024)
    client = client_for(opd_user)
    url = _create(client, question, lead_unit, data)["Location"]
    # The request (with the client's copy of the piece) is built before tracing starts:
    # what is measured is the server's work on it.
    request = RequestFactory().generic(
        "PATCH",
        url,
        data[:-100],
        content_type="application/offset+octet-stream",
        headers={"Tus-Resumable": "1.0.0", "Upload-Offset": "0"},
    )
    request.user = opd_user
    upload_id = ResumableUpload.objects.get().pk
    tracemalloc.start()
    try:
        response = tus_upload(request, upload_id=upload_id)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert response.status_code == 204
    assert peak < 512 * 1024, peak  # a 64 KB read buffer and the request's machinery
    assert _patch(client, url, len(data) - 100, data[-100:]).status_code == 204
    assert EvidenceRevision.objects.get().sha256 == _sha(data)


@pytest.mark.django_db
def test_a_finishing_interrupted_by_a_crash_completes_on_the_next_request(
    client_for, opd_user, question, lead_unit, monkeypatch
):
    data = big_pdf(20_000)
    client = client_for(opd_user)
    url = _create(client, question, lead_unit, data)["Location"]

    def killed(*args, **kwargs):
        raise SystemExit("worker killed")

    monkeypatch.setattr(tus, "_finish", killed)
    with pytest.raises(SystemExit):
        _patch(client, url, 0, data)
    monkeypatch.undo()
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: datetime.date(2026, 2, 10))
    upload = ResumableUpload.objects.get()
    assert upload.offset == len(data) and not upload.is_finished and not _files()
    head = client.head(url, headers={"Tus-Resumable": "1.0.0"})
    assert head.status_code == 200 and head["Kla-Upload-Status"] == "stored"
    assert EvidenceRevision.objects.get().sha256 == _sha(data)


@pytest.mark.django_db
def test_spool_files_without_an_upload_are_cleaned_after_an_hour(tmp_path, settings):
    import os
    import time

    spool = Path(settings.KLA_TUS_DIR)
    spool.mkdir(parents=True)
    old, young = spool / ("a" * 32), spool / ("b" * 32)
    old.write_bytes(b"x" * 10)
    young.write_bytes(b"y")
    two_hours_ago = time.time() - 7200
    os.utime(old, (two_hours_ago, two_hours_ago))
    removed, busy = tus.tus_cleanup()
    assert [leftover.path for leftover in removed] == [old] and busy == []
    assert sorted(spool.iterdir()) == [young]


# --- Evidence in a bucket (a real S3-compatible server, tests/conftest.py) ---------------------


@pytest.mark.django_db
def test_a_resumable_upload_lands_in_the_bucket_whole(
    client_for, opd_user, question, lead_unit, s3_bucket
):
    """The spool stays on local disk; only the finished, checked file goes to the bucket."""
    data = big_pdf(200_000)
    client = client_for(opd_user)
    created = _create(client, question, lead_unit, data)
    assert created.status_code == 201, created.content
    url = created["Location"]
    for start in range(0, len(data), CHUNK):
        if start:  # nothing reaches the bucket before the last piece
            assert s3_bucket.objects() == []
        response = _patch(client, url, start, data[start : start + CHUNK])
        assert response.status_code == 204, response.content
    assert response["Kla-Upload-Status"] == "stored"
    revision = EvidenceRevision.objects.get()
    assert s3_bucket.objects() == [revision.file.name]
    assert s3_bucket.body(revision.file.name) == data and revision.sha256 == _sha(data)
    assert s3_bucket.uploads_in_progress() == [] and _spool() == []
    assert not Path(settings.MEDIA_ROOT, "evidence").exists()  # not a byte beside the bucket


@pytest.mark.django_db
def test_an_unreachable_bucket_fails_the_last_step_keeps_the_bytes_and_a_retry_finishes(
    client_for, opd_user, question, lead_unit, s3_bucket
):
    from tests.conftest import closed_port_url

    data = big_pdf(150_000)
    client = client_for(opd_user)
    url = _create(client, question, lead_unit, data)["Location"]
    assert _patch(client, url, 0, data[:CHUNK]).status_code == 204
    s3_bucket.point_at(closed_port_url())
    last = _patch(client, url, CHUNK, data[CHUNK:], **{"Accept-Language": "id"})
    assert last.status_code == 503 and last["Retry-After"]
    body = last.json()
    assert body["code"] == "storage_unavailable" and "coba lagi" in body["message"]
    assert body["message"] == "Penyimpanan berkas tidak dapat dihubungi; coba lagi."
    upload = ResumableUpload.objects.get()
    assert upload.offset == len(data) and not upload.is_finished
    [spooled] = _spool()
    assert spooled.read_bytes() == data  # kept, for the client's retry
    assert EvidenceRevision.objects.count() == 0
    # The client retries (HEAD): still out of reach, still 503, still kept.
    head = client.head(url, headers={"Tus-Resumable": "1.0.0"})
    assert head.status_code == 503 and _spool() == [spooled]
    s3_bucket.point_at(s3_bucket.endpoint_url)
    assert s3_bucket.objects() == [] and s3_bucket.uploads_in_progress() == []  # nothing half
    head = client.head(url, headers={"Tus-Resumable": "1.0.0"})
    assert head.status_code == 200 and head["Kla-Upload-Status"] == "stored"
    assert head["Upload-Offset"] == str(len(data))
    revision = EvidenceRevision.objects.get()
    assert s3_bucket.objects() == [revision.file.name]
    assert s3_bucket.body(revision.file.name) == data and _spool() == []


@pytest.mark.django_db
def test_a_finished_upload_goes_through_the_same_pixel_and_complexity_checks(
    client_for, opd_user, question, lead_unit, settings
):
    """The resumable way in ends in the same check as the form: an image declaring 400
    megapixels, and a PDF the check cannot finish within its memory, are refused."""
    client = client_for(opd_user)
    bomb = samples.png_declaring(20_000, 20_000)
    created = _create(client, question, lead_unit, bomb, name="peta.png")
    assert _patch(client, created["Location"], 0, bomb)["Kla-Upload-Status"] == "refused"
    settings.KLA_CONTENT_CHECK_MEMORY_MB = 64
    data = _crowded_pdf(100_000)  # some 100 MB to check
    created = _create(client, question, lead_unit, data)
    assert _patch(client, created["Location"], 0, data)["Kla-Upload-Status"] == "refused"
    messages = " ".join(ResumableUpload.objects.values_list("message", flat=True))
    assert "lebih dari 50 megapiksel" in messages and "Berkas terlalu rumit" in messages
    assert not EvidenceRevision.objects.exists() and _files() == [] and _spool() == []
