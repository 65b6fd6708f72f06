"""The evidence bundle: every approved answer's files in one zip, with an index workbook.

Layout: `<group>/<indicator code>/<question code>[ - <unit>]/<file>` (the unit is named for
questions every kecamatan or desa answers, which have one answer per unit), and `index.xlsx`
at the top listing every answer and file with its SHA-256.

The zip is produced as a stream of byte chunks: files are copied from storage 1 MB at a time
into a zip writer that writes into a small buffer which is drained after every write. The
memory used does not grow with the number or the size of the files, so a bundle of several
gigabytes is served by a StreamingHttpResponse or written by `manage.py export_bundle`.
"""

import hashlib
import io
import tempfile
import zipfile
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.db.models import OuterRef, Subquery
from django.db.models.functions import Substr
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.utils import get_column_letter

from core.text import as_text, printable
from indicators.models import Period
from kla.reports.common import (
    HEADER_ALIGNMENT,
    HEADER_FILL,
    HEADER_FONT,
    NUMBER_FORMAT,
    WRAP_TOP,
    as_float,
    jakarta,
    jakarta_now,
    print_setup,
    safe_component,
    safe_file_name,
    unique_folder,
    unique_name,
)
from opd.models import Answer, Assignment, Evidence, EvidenceRevision
from opd.uploads import open_stored

CHUNK_SIZE = 1024 * 1024
SUMMARY_LENGTH = 300
INDEX_NAME = "index.xlsx"

# Already-compressed types are stored as they are: deflating them costs time and saves nothing.
_STORED_TYPES = {
    "application/pdf",
    "image/jpeg",
    "image/png",
    "image/webp",
    "application/zip",
    "video/mp4",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "application/vnd.oasis.opendocument.text",
    "application/vnd.oasis.opendocument.spreadsheet",
}


@dataclass
class BundleFile:
    """One stored file to copy: the latest revision of a file evidence."""

    revision_id: int
    storage_name: str
    original_name: str
    content_type: str
    size: int
    sha256: str
    uploaded_at: object
    title: str
    attached_by: str
    arcname: str = ""


@dataclass
class BundleAnswer:
    answer_id: int
    group: str
    indicator_code: str
    question_code: str
    question_text: str
    unit: str
    per_unit: bool
    claimed: object
    verified: object
    summary: str
    folder: str = ""
    files: list[BundleFile] = field(default_factory=list)
    links: list[str] = field(default_factory=list)


@dataclass
class BundlePlan:
    period: Period
    answers: list[BundleAnswer]

    @property
    def files(self) -> list[BundleFile]:
        return [f for a in self.answers for f in a.files]

    @property
    def total_bytes(self) -> int:
        return sum(f.size for f in self.files)


def _summary(text: str) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= SUMMARY_LENGTH else text[: SUMMARY_LENGTH - 1].rstrip() + "…"


def latest_evidence(answers) -> dict[int, list[dict]]:
    """The evidence not removed of `answers` (ids, or a queryset of answers), per answer id in
    the order it was attached, each file with the fields of its latest revision (`rev_*`,
    None for a file whose upload never completed). One query whatever the number."""
    latest = EvidenceRevision.objects.filter(evidence=OuterRef("pk")).order_by(
        "-uploaded_at", "-pk"
    )
    evidence = (
        Evidence.objects.filter(answer__in=answers, removed_at__isnull=True)
        .order_by("answer_id", "created_at", "pk")
        .annotate(
            rev_id=Subquery(latest.values("pk")[:1]),
            rev_file=Subquery(latest.values("file")[:1]),
            rev_name=Subquery(latest.values("original_name")[:1]),
            rev_type=Subquery(latest.values("content_type")[:1]),
            rev_size=Subquery(latest.values("size")[:1]),
            rev_sha=Subquery(latest.values("sha256")[:1]),
            rev_at=Subquery(latest.values("uploaded_at")[:1]),
        )
        .values(
            "answer_id",
            "kind",
            "title",
            "url",
            "unit__short_name",
            "rev_id",
            "rev_file",
            "rev_name",
            "rev_type",
            "rev_size",
            "rev_sha",
            "rev_at",
        )
    )
    by_answer: dict[int, list[dict]] = defaultdict(list)
    for item in evidence:
        by_answer[item["answer_id"]].append(item)
    return by_answer


def bundle_plan(*, period: Period) -> BundlePlan:
    """What goes into the bundle and under which names, in two queries whatever the size.

    1. the approved answers of the period in instrument order, with a narrative excerpt;
    2. their evidence not removed, each file with the fields of its latest revision.
    """
    answers = list(
        Answer.objects.filter(
            question__indicator__group__period=period, status=Answer.Status.APPROVED
        )
        .order_by(
            "question__indicator__group__order",
            "question__indicator__group__pk",
            "question__indicator__order",
            "question__indicator__pk",
            "question__order",
            "question__pk",
            "unit__short_name",
        )
        .annotate(
            excerpt=Substr("narrative", 1, SUMMARY_LENGTH + 200),
            # Each kecamatan's own answer gets a folder per unit.
            role=Subquery(
                Assignment.objects.filter(
                    question=OuterRef("question"), unit=OuterRef("unit")
                ).values("role")[:1]
            ),
        )
        .values(
            "pk",
            "role",
            "question__indicator__group__name",
            "question__indicator__code",
            "question__code",
            "question__text",
            "unit__short_name",
            "claimed_points",
            "verified_points",
            "excerpt",
        )
    )
    by_answer = latest_evidence([a["pk"] for a in answers])

    planned: list[BundleAnswer] = []
    folders_taken: set[str] = set()
    for row in answers:
        per_unit = row["role"] == Assignment.Role.PER_UNIT
        entry = BundleAnswer(
            answer_id=row["pk"],
            group=row["question__indicator__group__name"],
            indicator_code=row["question__indicator__code"],
            question_code=row["question__code"],
            question_text=row["question__text"],
            unit=row["unit__short_name"],
            per_unit=per_unit,
            claimed=row["claimed_points"],
            verified=row["verified_points"],
            summary=_summary(row["excerpt"]),
        )
        leaf = entry.question_code + (f" - {entry.unit}" if per_unit else "")
        folder = "/".join(
            [
                safe_component(entry.group),
                safe_component(entry.indicator_code),
                safe_component(leaf),
            ]
        )
        # Two codes that differ only in characters a file system refuses must not merge.
        entry.folder = unique_folder(folder, folders_taken)
        names_taken: set[str] = set()
        for item in by_answer.get(entry.answer_id, []):
            if item["kind"] == Evidence.Kind.LINK:
                entry.links.append(item["url"])
                continue
            if item["rev_id"] is None:
                continue  # a file evidence whose upload never completed
            name = unique_name(safe_file_name(item["rev_name"], item["rev_type"]), names_taken)
            entry.files.append(
                BundleFile(
                    revision_id=item["rev_id"],
                    storage_name=item["rev_file"],
                    original_name=item["rev_name"],
                    content_type=item["rev_type"],
                    size=item["rev_size"],
                    sha256=item["rev_sha"],
                    uploaded_at=item["rev_at"],
                    title=item["title"],
                    attached_by=item["unit__short_name"],
                    arcname=f"{entry.folder}/{name}",
                )
            )
        planned.append(entry)
    return BundlePlan(period=period, answers=planned)


class ChunkSink(io.RawIOBase):
    """A write-only, non-seekable stream that keeps what was written until it is drained."""

    def __init__(self) -> None:
        super().__init__()
        self._chunks: list[bytes] = []

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self._chunks.append(bytes(data))
        return len(data)

    def drain(self) -> bytes:
        data = b"".join(self._chunks)
        self._chunks.clear()
        return data


def zip_info(arcname: str, moment, *, compress: bool, size: int) -> zipfile.ZipInfo:
    local = jakarta(moment) if moment is not None else jakarta(jakarta_now())
    date_time = (max(local.year, 1980), local.month, local.day, local.hour, local.minute, 0)
    info = zipfile.ZipInfo(arcname, date_time=date_time)
    info.compress_type = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
    info.file_size = size  # lets zipfile choose ZIP64 up front for files over 2 GB
    info.external_attr = 0o644 << 16
    return info


INDEX_HEADERS = [
    ("No", 6),
    ("Kelompok", 28),
    ("Kode indikator", 10),
    ("Kode pertanyaan", 10),
    ("Pertanyaan", 60),
    ("Unit penjawab", 16),
    ("Ringkasan jawaban", 60),
    ("Nilai klaim", 10),
    ("Nilai terverifikasi", 12),
    ("Berkas di ZIP", 50),
    ("Nama berkas asli", 30),
    ("Jenis", 18),
    ("Ukuran (bita)", 12),
    ("SHA-256", 66),
    ("Diunggah", 17),
    ("Keterangan", 24),
    ("Tautan", 40),
]


def _index_workbook(plan: BundlePlan, problems: dict[int, str]):
    """index.xlsx in write-only mode: rows go to a temporary file, not to memory.

    Every str goes into the sheet as a text cell (`text`): ws.append would store a file name
    or narrative starting with "=" as a formula.
    """
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Indeks")
    for index, (_title, width) in enumerate(INDEX_HEADERS, start=1):
        ws.column_dimensions[get_column_letter(index)].width = width
    ws.freeze_panes = "E2"
    print_setup(ws, header_row=1)

    def text(value):
        return as_text(WriteOnlyCell(ws, value=printable(value)))

    header = []
    for title, _width in INDEX_HEADERS:
        cell = text(title)
        cell.font, cell.fill, cell.alignment = HEADER_FONT, HEADER_FILL, HEADER_ALIGNMENT
        header.append(cell)
    ws.append(header)

    def number(value):
        cell = WriteOnlyCell(ws, value=as_float(value) if value is not None else None)
        cell.number_format = NUMBER_FORMAT
        return cell

    def wrapped(value):
        cell = text(value)
        cell.alignment = WRAP_TOP
        return cell

    n = 0
    for answer in plan.answers:
        files = answer.files or [None]
        for position, stored in enumerate(files):
            n += 1
            row = [
                n,
                text(answer.group),
                text(answer.indicator_code),
                text(answer.question_code),
                wrapped(answer.question_text),
                text(answer.unit),
                wrapped(answer.summary),
                number(answer.claimed),
                number(answer.verified),
            ]
            if stored is None:
                row += [None, None, None, None, None, None, text("Tanpa berkas")]
            else:
                link = text(stored.arcname)
                link.hyperlink = stored.arcname  # relative: opens the file once unzipped
                row += [
                    link,
                    text(stored.original_name),
                    text(stored.content_type),
                    stored.size,
                    text(stored.sha256),
                    jakarta(stored.uploaded_at),
                    text(problems.get(stored.revision_id, "")),
                ]
            # Links of the answer are listed once, on its first row.
            row.append(wrapped("\n".join(answer.links)) if position == 0 else None)
            ws.append(row)
    if n:
        ws.auto_filter.ref = f"A1:{get_column_letter(len(INDEX_HEADERS))}{n + 1}"
    return wb


def iter_bundle(plan: BundlePlan) -> Iterator[bytes]:
    """The zip as byte chunks, each at most about one stored chunk (1 MB) plus headers."""
    sink = ChunkSink()
    problems: dict[int, str] = {}
    with zipfile.ZipFile(sink, "w", allowZip64=True) as archive:
        for stored in plan.files:
            try:
                source = open_stored(stored.storage_name)  # streamed, from a bucket too
            except OSError:
                problems[stored.revision_id] = "Berkas tidak ditemukan di penyimpanan"
                continue
            info = zip_info(
                stored.arcname,
                stored.uploaded_at,
                compress=stored.content_type not in _STORED_TYPES,
                size=stored.size,
            )
            digest = hashlib.sha256()
            with source, archive.open(info, "w") as target:
                while chunk := source.read(CHUNK_SIZE):
                    digest.update(chunk)
                    target.write(chunk)
                    del chunk
                    yield sink.drain()
            if digest.hexdigest() != stored.sha256:
                problems[stored.revision_id] = "SHA-256 berbeda dari catatan unggahan"
            yield sink.drain()

        workbook = _index_workbook(plan, problems)
        with tempfile.SpooledTemporaryFile(max_size=CHUNK_SIZE) as index_file:
            workbook.save(index_file)
            size = index_file.tell()
            index_file.seek(0)
            info = zip_info(INDEX_NAME, None, compress=True, size=size)
            with archive.open(info, "w") as target:
                while chunk := index_file.read(CHUNK_SIZE):
                    target.write(chunk)
                    yield sink.drain()
        yield sink.drain()
    yield sink.drain()  # the central directory, written when the archive closes


def write_bundle(*, period: Period, sink) -> BundlePlan:
    """Write the bundle of `period` into a writable binary stream; returns what it contains."""
    plan = bundle_plan(period=period)
    for chunk in iter_bundle(plan):
        if chunk:
            sink.write(chunk)
    return plan
