"""What a resumable (tus) upload costs the server: `make bench` (kla_bench) reports it.

A file of the largest size accepted (a scanned report as PDF, bench.evidence_pdf) is sent in
pieces of KLA_TUS_CHUNK_BYTES through Django's whole stack (middleware, views, the upload
service, and at the end the same checks as a form upload, the link into place and the
record), as a phone would send it, minus the network. Reported:

- server CPU time per MB, for the pieces and for the finishing (reading the file for its
  SHA-256 and type, the active-content check, the link, the rows), over several files;
- the peak memory of one such upload: Python's allocations while each piece is handled
  (tracemalloc; the requests are built beforehand so the client's copy is not counted) and
  the growth of the process's resident memory (Linux's peak RSS, reset before), which also
  sees qpdf's own allocations during the content check.

Runs in a transaction that is rolled back, with the evidence and the spool in a temporary
directory: the benchmark's district is left as it was.
"""

import base64
import contextlib
import tempfile
import time
import tracemalloc
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.test import Client, RequestFactory, override_settings
from django.urls import reverse

from bench.district import evidence_pdf, rss_peak_now, rss_reset
from indicators.models import Indicator, Period, Question
from opd.models import Assignment, ResumableUpload

MB = 1024 * 1024


class _Rollback(Exception):
    pass


def time_tus_upload(*, user, size: int, runs: int = 3) -> dict:
    """Upload `runs` different files of about `size` bytes as `user` (a unit's staff, as in
    the benchmark's district) and measure them. Returns the figures (see the module)."""
    with tempfile.TemporaryDirectory() as directory:
        root = Path(directory)
        storage = {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(root / "evidence"), "base_url": None},
        }
        with override_settings(
            STORAGES={**settings.STORAGES, "default": storage},
            KLA_TUS_DIR=str(root / "tus"),
            KLA_TUS_MAX_ACTIVE=runs + 2,
        ):
            result = {}
            with contextlib.suppress(_Rollback), transaction.atomic():
                result = _measure(user, root, size, runs)
                raise _Rollback
    return result


def _measure(user, root: Path, size: int, runs: int) -> dict:
    question = _question_for(user)
    unit = user.profile.units.order_by("pk").first()
    endpoint = reverse("opd:tus-endpoint", args=[question.pk, unit.pk])
    chunk = settings.KLA_TUS_CHUNK_BYTES
    client = Client()
    client.force_login(user)
    pieces_cpu, finish_cpu, total_bytes = 0.0, 0.0, 0
    for run in range(runs):
        data = _file(root, size, run)
        total_bytes += len(data)
        url = _create(client, endpoint, data, f"laporan-{run}.pdf")
        for offset in range(0, len(data), chunk):
            piece = data[offset : offset + chunk]
            last = offset + len(piece) == len(data)
            started = time.process_time()
            response = client.generic(
                "PATCH",
                url,
                piece,
                content_type="application/offset+octet-stream",
                headers={"Tus-Resumable": "1.0.0", "Upload-Offset": str(offset)},
            )
            spent = time.process_time() - started
            if response.status_code != 204:
                raise RuntimeError(f"tus PATCH answered {response.status_code}")
            if last:
                finish_cpu += spent
            else:
                pieces_cpu += spent
    memory = _peak_memory(user, root, client, endpoint, size, chunk)
    mb = total_bytes / MB
    outcomes = set(ResumableUpload.objects.values_list("outcome", flat=True))
    if outcomes != {"stored"}:
        raise RuntimeError(f"the benchmark's uploads ended {sorted(outcomes)}")
    return {
        "files": runs,
        "bytes": total_bytes // runs,
        "chunk": chunk,
        "cpu_ms_per_mb": 1000 * (pieces_cpu + finish_cpu) / mb,
        "pieces_cpu_ms_per_mb": 1000 * pieces_cpu / mb,
        "finish_cpu_ms_per_file": 1000 * finish_cpu / runs,
        **memory,
    }


def _question_for(user) -> Question:
    """A new question of the open period, led by the user's first unit: no answer yet."""
    period = Period.objects.filter(status=Period.Status.OPEN).order_by("-year").first()
    indicator = Indicator.objects.filter(group__period=period).order_by("pk").first()
    question = Question.objects.create(
        indicator=indicator,
        code="bench-tus",
        text="Benchmark of resumable uploads",
        order=32_767,
        max_points=1,  # last in its indicator: the field holds a smallint
    )
    unit = user.profile.units.order_by("pk").first()
    Assignment.objects.create(question=question, unit=unit, role=Assignment.Role.LEAD)
    return question


def _file(root: Path, size: int, run: int) -> bytes:
    path = root / f"bench-{run}.pdf"
    evidence_pdf(path, size - 64)
    data = path.read_bytes()
    path.unlink()
    return data + b"%" + str(run).encode() + b"\n"  # each file its own SHA-256


def _create(client, endpoint: str, data: bytes, name: str) -> str:
    response = client.post(
        endpoint,
        headers={
            "Tus-Resumable": "1.0.0",
            "Upload-Length": str(len(data)),
            "Upload-Metadata": f"filename {base64.b64encode(name.encode()).decode()}",
        },
    )
    if response.status_code != 201:
        raise RuntimeError(f"tus creation answered {response.status_code}: {response.content!r}")
    return response["Location"]


def _peak_memory(user, root, client, endpoint, size, chunk) -> dict:
    """One more upload, its requests built first, handled by the view with tracing on."""
    from opd.views.tus import tus_upload

    data = _file(root, size, 999)
    url = _create(client, endpoint, data, "laporan-memori.pdf")
    upload_id = ResumableUpload.objects.get(filename="laporan-memori.pdf").pk
    factory = RequestFactory()
    requests = []
    for offset in range(0, len(data), chunk):
        request = factory.generic(
            "PATCH",
            url,
            data[offset : offset + chunk],
            content_type="application/offset+octet-stream",
            headers={"Tus-Resumable": "1.0.0", "Upload-Offset": str(offset)},
        )
        request.user = user
        requests.append(request)
    rss_before = rss_reset()
    tracemalloc.start()
    try:
        for request in requests[:-1]:
            if tus_upload(request, upload_id=upload_id).status_code != 204:
                raise RuntimeError("tus PATCH refused in the memory run")
        _current, pieces_peak = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        if tus_upload(requests[-1], upload_id=upload_id).status_code != 204:
            raise RuntimeError("tus PATCH refused in the memory run")
        _current, finish_peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    rss_peak = rss_peak_now()
    return {
        "peak_python_bytes": max(pieces_peak, finish_peak),
        "peak_python_pieces_bytes": pieces_peak,
        "peak_python_finish_bytes": finish_peak,
        "peak_rss_growth_bytes": (rss_peak - rss_before)
        if rss_before is not None and rss_peak is not None
        else None,
    }


def tus_upload_report(result: dict) -> list[str]:
    """Lines for kla_bench's report."""
    mb = result["bytes"] / MB
    lines = [
        f"tus upload of {result['files']} files of {mb:.1f} MB in {result['chunk'] // 1024} KB "
        f"pieces: server CPU {result['cpu_ms_per_mb']:.1f} ms per MB "
        f"(pieces {result['pieces_cpu_ms_per_mb']:.1f} ms per MB; finishing, with the "
        f"content check and the link into place, {result['finish_cpu_ms_per_file']:.0f} ms "
        f"per file)",
        f"tus upload of {mb:.1f} MB, peak memory while handled: Python "
        f"{result['peak_python_bytes'] / MB:.2f} MB (pieces "
        f"{result['peak_python_pieces_bytes'] / MB:.2f} MB, finishing "
        f"{result['peak_python_finish_bytes'] / MB:.2f} MB; one piece is "
        f"{result['chunk'] / MB:.2f} MB and is never held whole)"
        + (
            f", resident memory grew {result['peak_rss_growth_bytes'] / MB:.1f} MB"
            if result["peak_rss_growth_bytes"] is not None
            else ""
        ),
    ]
    return lines
