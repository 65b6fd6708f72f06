"""The content check of a PDF crowded with objects: `make bench` (kla_bench) reports it.

About 20 MB holding three million tiny arrays, packed a thousand to an object stream: qpdf
resolves each of them, which took 14 s and 2.5 GB in the web worker before the check ran in a
child process with a memory and time limit (opd/uploads/isolation.py). Reported: the time to
the verdict, the child's peak resident memory (its rusage, from os.wait4) and the verdict,
which should be a refusal as too complex within KLA_CONTENT_CHECK_MEMORY_MB.

The file is written byte by byte (pikepdf would need seconds and gigabytes to build it) into
a temporary directory, never committed.
"""

import zlib
from pathlib import Path

from django.conf import settings

from opd.uploads.isolation import run_isolated

CROWDED_OBJECTS = 3_000_000
_PER_STREAM = 1000


def crowded_pdf(path: Path, objects: int = CROWDED_OBJECTS) -> int:
    """Write a one-page PDF that also holds `objects` one-element arrays; returns its size."""
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    xref: dict[int, tuple[int, int, int]] = {}  # number -> (type, field 2, field 3)
    for number, body in (
        (1, b"<< /Type /Catalog /Pages 2 0 R >>"),
        (2, b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>"),
        (3, b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>"),
    ):
        xref[number] = (1, len(out), 0)
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    bodies = [b"[%d]" % (n * 7 % 10) for n in range(_PER_STREAM)]
    offsets = [sum(len(b) + 1 for b in bodies[:n]) for n in range(_PER_STREAM)]
    number, left = 4, objects
    while left > 0:
        count = min(_PER_STREAM, left)
        stream_number, first_object = number, number + 1
        pairs = zip(range(first_object, first_object + count), offsets, strict=False)
        header = b" ".join(b"%d %d" % pair for pair in pairs) + b" "
        data = zlib.compress(header + b" ".join(bodies[:count]), 9)
        xref[stream_number] = (1, len(out), 0)
        out += b"%d 0 obj\n<< /Type /ObjStm /N %d /First %d /Filter /FlateDecode /Length %d >>" % (
            stream_number,
            count,
            len(header),
            len(data),
        )
        out += b"\nstream\n" + data + b"\nendstream\nendobj\n"
        for index in range(count):
            xref[first_object + index] = (2, stream_number, index)
        number, left = first_object + count, left - count
    xref[number] = (1, len(out), 0)  # the cross-reference stream itself
    size = number + 1
    rows = b"".join(
        bytes([kind]) + a.to_bytes(4, "big") + b.to_bytes(2, "big")
        for kind, a, b in (xref.get(n, (0, 0, 65535)) for n in range(size))
    )
    table = zlib.compress(rows, 1)
    start = len(out)
    out += b"%d 0 obj\n<< /Type /XRef /Size %d /W [1 4 2] /Root 1 0 R /Filter /FlateDecode " % (
        number,
        size,
    )
    out += b"/Length %d >>\nstream\n" % len(table) + table + b"\nendstream\nendobj\n"
    out += b"startxref\n%d\n%%%%EOF\n" % start
    path.write_bytes(out)
    return len(out)


def time_crowded_pdf_check(directory: Path) -> dict:
    """Build the crowded PDF in `directory` and check it as an upload is checked."""
    path = directory / "crowded.pdf"
    size = crowded_pdf(path)
    outcome = run_isolated(path, "pdf")
    return {
        "bytes": size,
        "objects": CROWDED_OBJECTS,
        "seconds": outcome.seconds,
        "peak_rss_bytes": outcome.peak_rss_bytes,
        "code": outcome.code,
        "ended": outcome.ended,
    }


def crowded_pdf_report(result: dict) -> list[str]:
    verdict = {
        None: "ACCEPTED (expected: refused as too complex)",
        "too_complex": "refused as too complex",
    }.get(result["code"], f"refused ({result['code']})")
    limit = settings.KLA_CONTENT_CHECK_MEMORY_MB
    return [
        f"content check of a {result['bytes'] / 1e6:.1f} MB PDF of {result['objects']:,} objects: "
        f"{result['seconds']:.1f} s, child's peak memory {result['peak_rss_bytes'] / 2**20:.0f} MB "
        f"(limit {limit} MB, {settings.KLA_CONTENT_CHECK_SECONDS} s), {verdict} "
        f"(the child ended by {result['ended']}); the web worker's memory is not touched"
    ]
