"""A large, realistic district for the benchmark (`make bench`), built with bulk inserts.

The full 274-question instrument (fixtures/instrument-2024.json, or the reference copy), 45
units, 5 periods, an answer per assignment and 3 evidence revisions of metadata per answer.
`scale` multiplies the questions of every indicator and the units, so page query counts can
be compared at 1x and 10x.

Also two evidence files of the largest size accepted, a scanned PDF and a DOCX with a big
photo, to time the active-content check every upload goes through; and the entry kit for the
ministry's application built for the full instrument with real evidence files
(time_entry_kit), with the peak memory of the process (rss_reset, rss_peak_now).
"""

import contextlib
import datetime
import hashlib
import io
import json
import random
import statistics
import tempfile
import time
import zipfile
from decimal import Decimal
from pathlib import Path

import pikepdf
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.test import override_settings
from django.utils import timezone
from PIL import Image

from indicators.models import DEFAULT_RANK_BANDS, Group, Indicator, Period, Question, RankBand
from kla.reports.entry_kit import entry_kit_plan, iter_entry_kit
from opd import services as answer_services
from opd.evidence import evidence_add_link
from opd.models import Answer, Assignment, Evidence, EvidenceRevision, Profile, Unit
from opd.uploads import check_content

YEARS = [2023, 2024, 2025, 2026, 2027]
N_UNITS = 45


def _instrument() -> dict:
    for path in (
        Path(settings.BASE_DIR) / "fixtures" / "instrument-2024.json",
        Path(settings.BASE_DIR).parent / "shared" / "kla-reference" / "instrument-2024.json",
    ):
        if path.exists():
            return json.loads(path.read_text(encoding="utf-8"))
    raise FileNotFoundError("instrument-2024.json not found in fixtures/ or ../shared/")


@transaction.atomic
def generate_district(*, scale: int = 1, seed: int = 2027) -> dict:
    rng = random.Random(seed)
    data = _instrument()
    units = Unit.objects.bulk_create(
        [
            Unit(
                name=f"Unit Bench {i:03d}",
                short_name=f"UB{i:03d}",
                kind=Unit.Kind.KECAMATAN if i % 5 == 0 else Unit.Kind.DINAS,
            )
            for i in range(N_UNITS * scale)
        ]
    )
    User = get_user_model()
    staff = User.objects.create_user("bench-opd", password="bench-pass-2027")  # noqa: S106
    staff.profile.units.add(units[0], units[1])
    reviewer = User.objects.create_user("bench-sek", password="bench-pass-2027")  # noqa: S106
    Profile.objects.filter(user=reviewer).update(role=Profile.Role.SECRETARIAT)
    bupati = User.objects.create_user("bench-bupati", password="bench-pass-2027")  # noqa: S106
    Profile.objects.filter(user=bupati).update(role=Profile.Role.EXECUTIVE)

    counts = {"questions": 0, "answers": 0, "revisions": 0}
    today = timezone.localdate()
    statuses = list(Answer.Status.values)
    for year in YEARS:
        current = year == YEARS[-1]
        if current:
            opens, closes = today - datetime.timedelta(days=30), today + datetime.timedelta(days=60)
        else:
            opens, closes = datetime.date(year, 1, 15), datetime.date(year, 3, 31)
        period = Period.objects.create(
            year=year,
            status=Period.Status.OPEN,
            window_opens=opens,
            window_closes=closes,
            target_rank="Madya",
        )
        RankBand.objects.bulk_create(
            [RankBand(period=period, name=n, lower_bound=b) for n, b in DEFAULT_RANK_BANDS]
        )
        questions = []
        for cluster in data["clusters"]:
            group = Group.objects.create(
                period=period,
                name=cluster["name"],
                order=cluster["order"],
                declared_max_points=Decimal(str(cluster["declared_max_points"])),
            )
            for ind in cluster["indicators"]:
                indicator = Indicator.objects.create(
                    group=group,
                    code=ind["code"].replace("Indikator ", ""),
                    name=ind["name"],
                    order=ind["order"],
                    max_points=Decimal(str(ind["max_points"])),
                )
                for copy in range(scale):
                    suffix = f"-{copy}" if copy else ""
                    for q in ind["questions"]:
                        questions.append(
                            Question(
                                indicator=indicator,
                                code=q["code"].replace("Pertanyaan ", "") + suffix,
                                text=q["text"],
                                order=q["order"] + copy * 1000,
                                max_points=Decimal(str(q["max_points"])),
                            )
                        )
        questions = Question.objects.bulk_create(questions)
        counts["questions"] += len(questions)
        assignments, answers = [], []
        for i, question in enumerate(questions):
            lead = units[i % len(units)]
            support = units[(i + 7) % len(units)]
            assignments += [
                Assignment(question=question, unit=lead, role=Assignment.Role.LEAD),
                Assignment(question=question, unit=support, role=Assignment.Role.SUPPORT),
            ]
            status = rng.choice(statuses) if current else Answer.Status.APPROVED
            claimed = (question.max_points * Decimal(rng.choice([0, 0.5, 0.75, 1]))).quantize(
                Decimal("0.01")
            )
            answers.append(
                Answer(
                    question=question,
                    unit=lead,
                    status=status,
                    claimed_points=claimed,
                    verified_points=claimed if status == Answer.Status.APPROVED else None,
                    submitted_at=timezone.now() - datetime.timedelta(hours=rng.randint(1, 500)),
                    submitted_by=staff,
                )
            )
        Assignment.objects.bulk_create(assignments)
        answers = Answer.objects.bulk_create(answers)
        counts["answers"] += len(answers)
        evidence = Evidence.objects.bulk_create(
            [Evidence(answer=a, unit=a.unit, title="Bukti", created_by=staff) for a in answers]
        )
        revisions = []
        for ev in evidence:
            for n in range(3):
                digest = hashlib.sha256(f"{ev.pk}-{n}".encode()).hexdigest()
                revisions.append(
                    EvidenceRevision(
                        evidence=ev,
                        file=f"evidence/bench/{digest}",
                        original_name=f"bukti-{n}.pdf",
                        size=1000 + n,
                        sha256=digest,
                        content_type="application/pdf",
                        uploaded_by=staff,
                    )
                )
        EvidenceRevision.objects.bulk_create(revisions)
        counts["revisions"] += len(revisions)
        if not current:
            # A locked period refuses changes to its instrument, so a past one is built open
            # and locked once complete, as the secretariat does.
            Period.objects.filter(pk=period.pk).update(status=Period.Status.LOCKED)
    return {
        "units": len(units),
        **counts,
        "users": {"opd": staff, "secretariat": reviewer, "executive": bupati},
    }


class RushChanges:
    """Real changes of the March rush, made through the services by the benchmark's OPD user
    on its units' editable answers in the current period, in turn: what the "rebuilt" and
    "points" columns of `make bench` time the pages after."""

    def __init__(self, user):
        self.user = user
        self.answers = list(
            Answer.objects.filter(
                unit__in=user.profile.units.all(),
                status__in=Answer.EDITABLE,
                question__indicator__group__period=Period.objects.order_by("-year").first(),
            ).select_related("question", "unit")
        )
        self.done = 0

    def _next(self) -> Answer:
        self.done += 1
        return self.answers[self.done % len(self.answers)]

    def evidence(self) -> None:
        """Evidence added to an answer (a link: the rows an upload writes, without the file).
        It changes what the workspace, the queue and unit completion show, not the score."""
        answer = self._next()
        evidence_add_link(
            answer=answer,
            unit=answer.unit,
            user=self.user,
            title="Bukti",
            url=f"https://jdih.example/perbup/{self.done}",
        )

    def points(self) -> None:
        """A draft saved with other points claimed: the score changes."""
        answer = Answer.objects.get(pk=self._next().pk)
        claimed = answer.claimed_points or Decimal("0")
        step = Decimal("0.01") if claimed < answer.question.max_points else Decimal("-0.01")
        answer_services.answer_save(
            answer=answer,
            user=self.user,
            claimed_points=claimed + step,
            narrative=answer.narrative,
            data_values=answer.data_values,
        )


# --- Evidence files for the content-check timing --------------------------------------------

CONTENT_CHECK_TARGET_SECONDS = 1.0
_PHOTO_BYTES = 100_000


def _photo(rng: random.Random, size: int) -> bytes:
    """JPEG-like bytes: a marker, then noise, which no compression shrinks (as a photo's
    compressed data). The check never decodes images, so only the size matters."""
    return b"\xff\xd8\xff\xe0" + rng.randbytes(size - 4)


def evidence_pdf(path: Path, size: int) -> int:
    """A scanned report of about `size` bytes: a page per photo, with a line of text; returns
    the number of pages."""
    rng = random.Random(2027)
    pdf = pikepdf.new()
    font = pikepdf.Dictionary(
        Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1, BaseFont=pikepdf.Name.Helvetica
    )
    pages = (size - 64 * 1024) // (_PHOTO_BYTES + 1024)
    for number in range(pages):
        photo = pikepdf.Stream(pdf, _photo(rng, _PHOTO_BYTES))
        photo.Type, photo.Subtype = pikepdf.Name.XObject, pikepdf.Name.Image
        photo.Width, photo.Height, photo.BitsPerComponent = 1600, 1200, 8
        photo.ColorSpace, photo.Filter = pikepdf.Name.DeviceRGB, pikepdf.Name.DCTDecode
        pdf.add_blank_page(page_size=(595, 842))
        page = pdf.pages[-1].obj
        page.Resources = pikepdf.Dictionary(
            Font=pikepdf.Dictionary(F1=font), XObject=pikepdf.Dictionary(Im0=photo)
        )
        text = b"q 480 0 0 360 57 400 cm /Im0 Do Q BT /F1 11 Tf 57 380 Td (Foto %d) Tj ET"
        page.Contents = pdf.make_stream(text % (number + 1))
    pdf.save(path, object_stream_mode=pikepdf.ObjectStreamMode.generate)
    return pages


def evidence_docx(path: Path, size: int) -> int:
    """A report of about `size` bytes: one big photo, a few hundred paragraphs, a hyperlink
    and a page-number field in the footer (so the DDE check reads the fields); returns the
    number of paragraphs."""
    rng = random.Random(2027)
    ns = (
        'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" '
        'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'
    )
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    paragraphs = 400
    body = "".join(
        f"<w:p><w:r><w:t>Kegiatan {n}: pemenuhan hak anak di desa {rng.randrange(999)}.</w:t>"
        "</w:r></w:p>"
        for n in range(paragraphs)
    )
    body += '<w:p><w:hyperlink r:id="rId3"><w:r><w:t>JDIH</w:t></w:r></w:hyperlink></w:p>'
    parts = {
        "[Content_Types].xml": '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://'
        'schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" '
        'ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default '
        'Extension="xml" ContentType="application/xml"/><Default Extension="jpeg" ContentType='
        '"image/jpeg"/><Override PartName="/word/document.xml" ContentType="application/vnd.'
        'openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>',
        "_rels/.rels": f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://'
        f'schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" '
        f'Type="{rel}/officeDocument" Target="word/document.xml"/></Relationships>',
        "word/document.xml": f'<?xml version="1.0" encoding="UTF-8"?><w:document {ns}>'
        f"<w:body>{body}</w:body></w:document>",
        "word/footer1.xml": f'<?xml version="1.0" encoding="UTF-8"?><w:ftr {ns}><w:p>'
        '<w:fldSimple w:instr=" PAGE "><w:r><w:t>1</w:t></w:r></w:fldSimple></w:p></w:ftr>',
        "word/_rels/document.xml.rels": f'<?xml version="1.0" encoding="UTF-8"?><Relationships '
        f'xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship '
        f'Id="rId2" Type="{rel}/image" Target="media/image1.jpeg"/><Relationship Id="rId3" '
        f'Type="{rel}/hyperlink" Target="https://jdih.example/perbup" TargetMode="External"/>'
        f'<Relationship Id="rId4" Type="{rel}/footer" Target="footer1.xml"/></Relationships>',
    }
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in parts.items():
            archive.writestr(name, text)
        photo = _photo(rng, size - 256 * 1024)
        archive.writestr(zipfile.ZipInfo("word/media/image1.jpeg"), photo)  # stored, as Word
    return paragraphs


def time_content_checks(directory: Path, *, size: int, runs: int = 5) -> list[dict]:
    """Median time of the content check of each generated file (written to `directory`)."""
    out = []
    for kind, make, unit in (
        ("pdf", evidence_pdf, "pages with photos"),
        ("docx", evidence_docx, "paragraphs around one big photo"),
    ):
        path = directory / f"bench-evidence.{kind}"
        count = make(path, size)
        times = []
        for _ in range(runs):
            started = time.perf_counter()
            check_content(path, kind)
            times.append(time.perf_counter() - started)
        out.append(
            {
                "kind": kind,
                "bytes": path.stat().st_size,
                "detail": f"{count} {unit}",
                "seconds": statistics.median(times),
            }
        )
    return out


# --- Peak memory of the process --------------------------------------------------------------


def _status_bytes(field: str) -> int | None:
    with contextlib.suppress(OSError, ValueError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    return None


def rss_reset() -> int | None:
    """Reset the process's peak resident memory to its current size (Linux); the size."""
    try:
        with open("/proc/self/clear_refs", "w") as handle:
            handle.write("5")
    except OSError:
        return None
    return _status_bytes("VmRSS")


def rss_peak_now() -> int | None:
    """The process's peak resident memory since the last rss_reset (Linux's VmHWM)."""
    return _status_bytes("VmHWM")


# --- The entry kit for the full instrument ---------------------------------------------------

KIT_PDF_BYTES = 1024 * 1024  # each answer's scanned report


class _Rollback(Exception):
    pass


class _CountingSink:
    """Where the timed ZIP goes: counted, not kept (a server hands it to the network)."""

    def __init__(self):
        self.bytes = 0
        self.largest = 0

    def write(self, data) -> int:
        self.bytes += len(data)
        self.largest = max(self.largest, len(data))
        return len(data)


def _kit_photo(size: tuple[int, int], fmt: str) -> bytes:
    """A photo-like image (a gradient under noise) that decodes, as WeasyPrint must."""
    gradient = Image.linear_gradient("L").resize(size)
    noise = Image.effect_noise(size, 40)
    image = Image.merge("RGB", (gradient, noise, Image.blend(gradient, noise, 0.5)))
    out = io.BytesIO()
    image.save(out, fmt, quality=85) if fmt == "JPEG" else image.save(out, fmt)
    return out.getvalue()


def time_entry_kit(*, user) -> dict:
    """Build the entry kit ZIP of the current period (the full instrument) with real evidence
    files and measure it: wall time, and the growth of the process's peak resident memory
    (Linux's VmHWM, reset just before the build), which counts Python, WeasyPrint's cairo
    and pango and qpdf alike.

    The evidence, in a transaction rolled back afterwards and a temporary storage: every
    answer a scanned report of KIT_PDF_BYTES (pages of photos); every second one a JPEG
    photo, every tenth a PNG screenshot, every fifth a DOCX (listed on the cover, not
    merged), every twentieth a link. The district's own evidence rows (metadata without
    files) are set aside for the run."""
    with tempfile.TemporaryDirectory() as directory:
        root = Path(directory)
        storage = {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(root / "evidence"), "base_url": None},
        }
        with override_settings(STORAGES={**settings.STORAGES, "default": storage}):
            result: dict = {}
            with contextlib.suppress(_Rollback), transaction.atomic():
                period = Period.objects.order_by("-year").first()
                result = _kit_evidence(period, user, root)
                sink = _CountingSink()
                rss_before = rss_reset()
                started = time.perf_counter()
                plan = entry_kit_plan(period=period)
                for chunk in iter_entry_kit(plan):
                    sink.write(chunk)
                seconds = time.perf_counter() - started
                rss_peak = rss_peak_now()
                result.update(
                    questions=len(plan.questions),
                    seconds=seconds,
                    zip_bytes=sink.bytes,
                    largest_chunk=sink.largest,
                    rss_growth=None if None in (rss_before, rss_peak) else rss_peak - rss_before,
                    rss_before=rss_before,
                )
                raise _Rollback
    return result


def _kit_evidence(period, user, root: Path) -> dict:
    Evidence.objects.filter(answer__question__indicator__group__period=period).update(
        removed_at=timezone.now()
    )
    answers = list(Answer.objects.filter(question__indicator__group__period=period).order_by("pk"))
    report_path = root / "laporan.pdf"
    report_pages = evidence_pdf(report_path, KIT_PDF_BYTES)
    report = report_path.read_bytes()
    photo, screenshot = _kit_photo((1600, 1200), "JPEG"), _kit_photo((1200, 800), "PNG")
    docx = b"PK\x03\x04" + bytes(20_000)
    kinds = [
        ("application/pdf", "laporan.pdf", report, 1),
        ("image/jpeg", "foto.jpg", photo, 2),
        ("image/png", "tangkapan-layar.png", screenshot, 10),
        (
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            "notulen.docx",
            docx,
            5,
        ),
    ]
    evidence, contents, links = [], [], []
    for n, answer in enumerate(answers):
        for content_type, name, content, every in kinds:
            if n % every == 0:
                evidence.append(
                    Evidence(answer=answer, unit=answer.unit, title=name, created_by=user)
                )
                contents.append((content_type, name, content))
        if n % 20 == 0:
            links.append(
                Evidence(
                    answer=answer,
                    unit=answer.unit,
                    kind=Evidence.Kind.LINK,
                    url=f"https://jdih.example/{n}",
                    created_by=user,
                )
            )
    evidence = Evidence.objects.bulk_create(evidence)
    Evidence.objects.bulk_create(links)
    digests = {}
    revisions = []
    for item, (content_type, name, content) in zip(evidence, contents, strict=True):
        stored = default_storage.save(f"evidence/kit/{item.pk}-{name}", ContentFile(content))
        digest = digests.setdefault(name, hashlib.sha256(content).hexdigest())
        revisions.append(
            EvidenceRevision(
                evidence=item,
                file=stored,
                original_name=name,
                size=len(content),
                sha256=digest,
                content_type=content_type,
                uploaded_by=user,
            )
        )
    EvidenceRevision.objects.bulk_create(revisions)
    merged = [c for c in contents if not c[0].endswith("document")]
    return {
        "files": len(contents),
        "links": len(links),
        "merged_files": len(merged),
        "input_bytes": sum(len(c[2]) for c in contents),
        "report_pages": report_pages,
        "pdfs": sum(1 for c in contents if c[0] == "application/pdf"),
        "images": sum(1 for c in contents if c[0].startswith("image/")),
    }


def entry_kit_report(result: dict) -> list[str]:
    """Lines for kla_bench's report."""
    mb = 1024 * 1024
    memory = (
        f"peak resident memory grew {result['rss_growth'] / mb:.1f} MB over the "
        f"{result['rss_before'] / mb:.0f} MB the process held before (Linux VmHWM, reset "
        "before the build: Python, WeasyPrint's cairo/pango and qpdf together)"
        if result["rss_growth"] is not None
        else "peak memory not measured (no /proc/self/clear_refs)"
    )
    return [
        f"entry kit ZIP of the full instrument ({result['questions']} questions; "
        f"{result['pdfs']} PDFs of {result['report_pages']} pages, {result['images']} images, "
        f"{result['files'] - result['merged_files']} office files, {result['links']} links: "
        f"{result['input_bytes'] / mb:.0f} MB of evidence): {result['seconds']:.1f} s "
        f"({1000 * result['seconds'] / max(result['questions'], 1):.0f} ms per question), "
        f"ZIP {result['zip_bytes'] / mb:.0f} MB in chunks of at most "
        f"{result['largest_chunk'] / mb:.2f} MB",
        f"entry kit ZIP of the full instrument: {memory}",
    ]
