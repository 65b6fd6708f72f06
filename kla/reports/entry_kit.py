"""The entry kit: what the operator needs in April to type a period into the ministry's
application without opening every question of the dashboard one by one.

For a period, every answer whatever its state (the state is written beside it):

- a workbook in instrument order (group, indicator, question): per question its code and
  text, the answer (the option chosen and, once approved, the option verified), the claimed
  and verified points, the status, the narrative, the data values and the names and links
  of its evidence. A question every kecamatan or desa answers has one answer per unit: a row
  for the question (its share "Ya: k dari n (x%)" and its points as the engine counts them),
  then a row per unit under it. The internal states and claims are here only;
- a ZIP with a folder per question, named as the ministry's application shows it
  (`<nn group>/Indikator <code>/Pertanyaan <code> - <start of the question>`, the group's
  place in the instrument first so the top folders sort in instrument order), holding one
  merged PDF: a cover made with WeasyPrint carrying only what the ministry's form asks (the
  question, the answer or option and the points as the district enters them: verified once
  approved, else claimed; for a table the share over the district's official number of units
  and a matrix of the units, missing ones shown as missing; the list of evidence saying what
  was merged and why not; a signature line for the head of the secretariat), then the pages
  of each PDF evidence, then each image evidence (JPEG, PNG, WebP) as a page of its own.
  Office files cannot be merged: the cover lists them and the workbook links to them. The
  workbook is in the ZIP too, and a signature page (`lembar-pengesahan.pdf`): the task force
  as the Bupati's decree sets it up (the decree's number and date, its members), signed by its
  chair and its secretariat.

Memory stays flat whatever the number and size of the files. The plan holds rows, never file
contents. Each question's PDF is built in a temporary directory of its own: the evidence is
copied out of storage 1 MB at a time (any storage, a bucket too) and checked against the
SHA-256 recorded at upload, the cover and each image page are rendered to files, pikepdf
merges them into one file there (it reads pages from the files as it writes), which is
copied into the zip stream 1 MB at a time; the directory is deleted before the next
question starts. The zip is written into a sink drained after every write, as the evidence
bundle does (bundle.py), so the HTTP response streams it and `export_entry_kit` writes it.

A file that cannot be merged (a PDF protected by a password or damaged, an unreadable image,
a file missing from storage or different from the one uploaded) is listed on the cover as
not merged, with the reason: it never stops the kit.

Like the recap, the workbook's headers and the statuses in it are Indonesian whatever the UI
language; the cover is rendered in Indonesian from the translated template.
"""

import contextlib
import datetime
import gc
import hashlib
import os
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import pikepdf
from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from PIL import Image
from weasyprint import HTML
from weasyprint.text.fonts import FontConfiguration

from core import formats
from core.text import write_cell
from indicators.models import Period, Question
from kla.reports.bundle import CHUNK_SIZE, ChunkSink, latest_evidence, zip_info
from kla.reports.common import (
    NUMBER_FORMAT,
    WRAP_TOP,
    as_float,
    jakarta_now,
    print_setup,
    safe_component,
    style_header_row,
    unique_folder,
)
from kla.reports.pdf import (
    FONT_DIR,
    LocalOnlyFetcher,
    allowed_roots,
    css_string,
    page_counter_content,
)
from kla.reports.rows import (
    STATUS_LABELS,
    QuestionRow,
    UnitAnswerRow,
    effective_points,
    period_rows,
)
from opd.models import Answer, Evidence, TaskForce, TaskForceMember, Unit
from opd.notifications import absolute_url
from opd.selectors import task_force_of
from opd.uploads import open_stored, too_many_pixels

COVER_LANGUAGE = "id"  # the ministry's application is Indonesian
WORKBOOK_NAME = "isian-aplikasi.xlsx"
SIGNATURE_PAGE_NAME = "lembar-pengesahan.pdf"  # the task force and its signatures
SHORT_TEXT = 50  # characters of the question's text in its folder's name
PDF_TYPE = "application/pdf"
IMAGE_TYPES = {"image/jpeg": ".jpg", "image/png": ".png", "image/webp": ".webp"}
# EXIF orientations that turn a photo by a quarter: its width and height swap on the page.
_QUARTER_TURNS = {5, 6, 7, 8}


# --- The plan: what goes where, read in a fixed number of queries --------------------------


@dataclass
class KitEvidence:
    """One piece of evidence not removed: a file (its latest revision) or a link."""

    kind: str
    title: str
    link: str  # absolute: the file's download page (on KLA_BASE_URL), or the link itself
    attached_by: str
    revision_id: int | None = None
    storage_name: str = ""
    original_name: str = ""
    content_type: str = ""
    size: int = 0
    sha256: str = ""

    @property
    def is_link(self) -> bool:
        return self.kind == Evidence.Kind.LINK

    @property
    def name(self) -> str:
        """What people call it: its description, else the uploaded file's name or the URL."""
        return self.title or self.original_name or self.link

    @property
    def merge_kind(self) -> str | None:
        if self.is_link:
            return None
        if self.content_type == PDF_TYPE:
            return "pdf"
        return "image" if self.content_type in IMAGE_TYPES else None


@dataclass
class KitAnswer:
    """One answering unit's answer to a question (None: the unit has not started)."""

    unit: Unit
    answer: Answer | None
    evidence: list[KitEvidence] = field(default_factory=list)

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.answer.status if self.answer else "not_started"]

    @property
    def option(self) -> str:
        return self.answer.option.label if self.answer and self.answer.option else ""

    @property
    def verified_option(self) -> str:
        """The option the reviewer confirmed or lowered to, once approved."""
        if self.answer and self.answer.is_final and self.answer.verified_option:
            return self.answer.verified_option.label
        return ""

    @property
    def claimed(self) -> Decimal | None:
        return self.answer.claimed_points if self.answer else None

    @property
    def entered_option(self) -> str:
        """The option the district enters: the one verified once approved, else the chosen."""
        return self.verified_option or self.option

    @property
    def entered_points(self) -> Decimal | None:
        """The points the district enters (rows.effective_points)."""
        return effective_points(self.answer) if self.answer else None

    @property
    def verified(self) -> Decimal | None:
        return self.answer.verified_points if self.answer and self.answer.is_final else None

    @property
    def narrative(self) -> str:
        return self.answer.narrative if self.answer else ""

    @property
    def data_values(self) -> list[tuple[str, str]]:
        values = self.answer.data_values if self.answer else {}
        return [(str(k), str(v)) for k, v in (values or {}).items()]


@dataclass
class KitQuestion:
    group: str
    row: QuestionRow
    answers: list[KitAnswer]
    folder: str
    pdf_name: str

    @property
    def question(self) -> Question:
        return self.row.question

    @property
    def per_unit(self) -> bool:
        return self.row.per_unit

    @property
    def pdf_path(self) -> str:
        return f"{self.folder}/{self.pdf_name}"

    @property
    def has_answer(self) -> bool:
        return any(a.answer is not None for a in self.answers)

    @property
    def evidence(self) -> list[tuple[KitAnswer, KitEvidence]]:
        return [(a, e) for a in self.answers for e in a.evidence]

    @property
    def entered_points(self) -> Decimal | None:
        """The question's points as the district enters them: a table's are the engine's
        from its rows as entered (the share over the official number, through the steps)."""
        if self.per_unit:
            return self.row.engine_points(effective=True).claimed
        return self.answers[0].entered_points if self.answers else None

    @property
    def share(self) -> str:
        """ "10 dari 13 (76,9%)" of rows entered as "Ya" over the district's units."""
        return formats.share(self.row.n_effective_yes, self.row.share_of)

    @property
    def unregistered(self) -> int:
        """Units of the district's official number without a row here (counted as "no")."""
        return max(self.row.share_of - len(self.answers), 0) if self.per_unit else 0


@dataclass
class NotMerged:
    """A file the kit could not put into its question's PDF, and why (cover and command)."""

    path: str
    name: str
    reason: str


@dataclass
class EntryKitPlan:
    period: Period
    questions: list[KitQuestion]
    secretariat: Unit | None
    generated: datetime.datetime  # Jakarta time
    # The task force as the decree sets it up, for the signature page (chair and secretariat).
    task_force: TaskForce | None = None
    task_force_members: list[TaskForceMember] = field(default_factory=list)
    not_merged: list[NotMerged] = field(default_factory=list)  # filled while the ZIP is built

    @property
    def n_files(self) -> int:
        return sum(1 for q in self.questions for _a, e in q.evidence if not e.is_link)


def _short_text(text: str, limit: int = SHORT_TEXT) -> str:
    """The start of a question, cut between words: "Apakah ada data persentase anak"."""
    words = " ".join(text.split())
    if len(words) <= limit:
        return words
    cut = words[: limit + 1].rsplit(" ", 1)[0] if " " in words[:limit] else words[:limit]
    return cut.rstrip(" ,.;:(")


def _evidence(item: dict) -> KitEvidence | None:
    if item["kind"] == Evidence.Kind.LINK:
        return KitEvidence(
            kind=item["kind"],
            title=item["title"],
            link=item["url"],
            attached_by=item["unit__short_name"],
        )
    if item["rev_id"] is None:
        return None  # a file evidence whose upload never completed
    return KitEvidence(
        kind=item["kind"],
        title=item["title"],
        link=absolute_url("opd:revision-download", item["rev_id"]),
        attached_by=item["unit__short_name"],
        revision_id=item["rev_id"],
        storage_name=item["rev_file"],
        original_name=item["rev_name"],
        content_type=item["rev_type"],
        size=item["rev_size"],
        sha256=item["rev_sha"],
    )


def entry_kit_plan(*, period: Period) -> EntryKitPlan:
    """Every question of the period with its answers and evidence, in ten queries whatever
    the size: the five of the report rows (with narratives, data values and options), the
    evidence of the period with each file's latest revision, the secretariat's unit, the task
    force and its members (none when the year has no task force)."""
    rows = period_rows(period=period, content=True)
    evidence = latest_evidence(
        Answer.objects.filter(question__indicator__group__period=period).values("pk")
    )
    planned: list[KitQuestion] = []
    folders_taken: set[str] = set()
    width = len(str(len(rows)))
    for position, group_rows in enumerate(rows, start=1):
        group = group_rows.group.name
        # The group's place in the instrument before its name: a file manager sorts the top
        # folders by name, and "Kelana Dekela" came before "Kelembagaan" and the clusters.
        group_folder = f"{position:0{max(width, 2)}d} {group}"
        for indicator_rows in group_rows.indicators:
            code = indicator_rows.indicator.code
            for item in indicator_rows.questions:
                question = item.question
                leaf = f"Pertanyaan {question.code} - {_short_text(question.text)}"
                folder = "/".join(
                    [
                        safe_component(group_folder),
                        safe_component(f"Indikator {code}"),
                        safe_component(leaf, max_length=SHORT_TEXT + 30),
                    ]
                )
                answers = [
                    KitAnswer(
                        unit=unit_answer.unit,
                        answer=unit_answer.answer,
                        evidence=_answer_evidence(unit_answer, evidence),
                    )
                    for unit_answer in item.unit_answers
                ]
                planned.append(
                    KitQuestion(
                        group=group,
                        row=item,
                        answers=answers,
                        folder=unique_folder(folder, folders_taken),
                        pdf_name=safe_component(f"Indikator {code} Pertanyaan {question.code}")
                        + ".pdf",
                    )
                )
    task_force, members = task_force_of(period)
    return EntryKitPlan(
        period=period,
        questions=planned,
        secretariat=Unit.objects.filter(is_secretariat=True).first(),
        generated=jakarta_now(),
        task_force=task_force,
        task_force_members=members,
    )


def _answer_evidence(unit_answer: UnitAnswerRow, evidence: dict) -> list[KitEvidence]:
    if unit_answer.answer is None:
        return []
    found = (_evidence(item) for item in evidence.get(unit_answer.answer.pk, []))
    return [e for e in found if e is not None]


# --- The workbook ---------------------------------------------------------------------------

SHEET_TITLE = "Isian"
HEADER_ROW = 4
COLUMNS = [
    ("No", 5),
    ("Kelompok", 20),
    ("Kode indikator", 9),
    ("Indikator", 28),
    ("Kode pertanyaan", 9),
    ("Pertanyaan", 50),
    ("Unit penjawab", 14),
    ("Status", 14),
    ("Jawaban (pilihan)", 20),
    ("Pilihan terverifikasi", 20),
    ("Nilai maksimum", 9),
    ("Nilai klaim", 9),
    ("Nilai terverifikasi", 11),
    ("Uraian", 60),
    ("Data", 30),
    ("Bukti", 36),
    ("Tautan bukti", 50),
    ("PDF di ZIP", 40),
]
COL_MAX, COL_CLAIMED, COL_VERIFIED = 11, 12, 13
COL_PDF = 18


def _points(ws, row: int, column: int, value) -> None:
    cell = ws.cell(row=row, column=column, value=None if value is None else as_float(value))
    cell.number_format = NUMBER_FORMAT


def _answer_cells(ws, row: int, kit_answer: KitAnswer) -> None:
    texts = {
        7: kit_answer.unit.short_name,
        8: kit_answer.status_label,
        9: kit_answer.option,
        10: kit_answer.verified_option,
        14: kit_answer.narrative,
        15: "\n".join(f"{label}: {value}" for label, value in kit_answer.data_values),
        16: "\n".join(e.name for e in kit_answer.evidence),
        17: "\n".join(e.link for e in kit_answer.evidence),
    }
    for column, value in texts.items():
        write_cell(ws, row, column, value or None).alignment = WRAP_TOP
    _points(ws, row, COL_CLAIMED, kit_answer.claimed)
    _points(ws, row, COL_VERIFIED, kit_answer.verified)


def entry_workbook(plan: EntryKitPlan) -> Workbook:
    """The workbook of the kit: a row per question, and a row per unit under a question every
    kecamatan or desa answers. Every text goes through `write_cell` (never a formula)."""
    wb = Workbook()
    ws = wb.active
    ws.title = SHEET_TITLE
    district = settings.KLA_DISTRICT_NAME
    year = plan.period.year
    write_cell(ws, 1, 1, f"Bahan isian aplikasi KLA {year}").font = Font(bold=True, size=14)
    write_cell(
        ws,
        2,
        1,
        f"{district} · dibuat pada {plan.generated:%d-%m-%Y %H:%M} WIB · semua jawaban dengan "
        "statusnya; nilai terverifikasi hanya untuk jawaban yang disetujui",
    ).font = Font(italic=True)
    for index, (title, width) in enumerate(COLUMNS, start=1):
        ws.column_dimensions[get_column_letter(index)].width = width
        write_cell(ws, HEADER_ROW, index, title)
    style_header_row(ws, HEADER_ROW, len(COLUMNS))
    ws.row_dimensions[HEADER_ROW].height = 30
    ws.sheet_properties.outlinePr.summaryBelow = False

    row = HEADER_ROW + 1
    for number, item in enumerate(plan.questions, start=1):
        question = item.question
        indicator = question.indicator
        ws.cell(row=row, column=1, value=number)
        for column, value in enumerate(
            [item.group, indicator.code, indicator.name, question.code, question.text], start=2
        ):
            write_cell(ws, row, column, value).alignment = WRAP_TOP
        _points(ws, row, COL_MAX, question.max_points)
        pdf = write_cell(ws, row, COL_PDF, item.pdf_path)
        pdf.hyperlink = item.pdf_path  # relative: opens the PDF once the ZIP is unpacked
        pdf.alignment = WRAP_TOP
        if not item.per_unit:
            if item.answers:
                _answer_cells(ws, row, item.answers[0])
            else:
                write_cell(ws, row, 8, STATUS_LABELS["not_started"])
            row += 1
            continue
        write_cell(ws, row, 7, f"{len(item.answers)} unit")
        status = f"{item.row.share_text} · {item.row.status_label}"
        write_cell(ws, row, 8, status).alignment = WRAP_TOP
        # The question's own points, as the engine counts them from its rows.
        points = item.row.engine_points()
        _points(ws, row, COL_CLAIMED, points.claimed)
        _points(ws, row, COL_VERIFIED, points.verified)
        row += 1
        for kit_answer in item.answers:
            write_cell(ws, row, 5, question.code)
            write_cell(ws, row, 6, f"↳ {kit_answer.unit.name}").alignment = Alignment(indent=1)
            _answer_cells(ws, row, kit_answer)
            ws.row_dimensions[row].outline_level = 1
            row += 1
    last = max(row - 1, HEADER_ROW + 1)
    ws.freeze_panes = f"G{HEADER_ROW + 1}"
    ws.auto_filter.ref = f"A{HEADER_ROW}:{get_column_letter(len(COLUMNS))}{last}"
    print_setup(ws, header_row=HEADER_ROW)
    wb.properties.title = f"Bahan isian aplikasi KLA {year}"
    wb.properties.creator = district
    return wb


# --- One question's merged PDF --------------------------------------------------------------


@dataclass
class _Outcome:
    """What became of one piece of evidence in the merged PDF, as the cover lists it."""

    number: int
    answer: KitAnswer
    evidence: KitEvidence
    merged: bool = False
    note: str = ""


def _copy_checked(evidence: KitEvidence, target: Path) -> str:
    """Copy a stored file to `target` 1 MB at a time; the reason it cannot be used, or ""."""
    digest = hashlib.sha256()
    try:
        with open_stored(evidence.storage_name) as source, open(target, "wb") as out:
            while chunk := source.read(CHUNK_SIZE):
                digest.update(chunk)
                out.write(chunk)
    except OSError:
        return _("Not merged: the file is missing from storage.")
    if digest.hexdigest() != evidence.sha256:
        return _("Not merged: the stored file differs from the one uploaded (SHA-256).")
    return ""


def _open_pdf(path: Path, stack: contextlib.ExitStack) -> tuple[pikepdf.Pdf | None, str]:
    try:
        pdf = stack.enter_context(pikepdf.open(path))
    except pikepdf.PasswordError:
        return None, _("Not merged: the PDF is protected by a password.")
    except (pikepdf.PdfError, OSError, ValueError):
        return None, _("Not merged: the PDF is damaged and cannot be read.")
    try:
        pages = len(pdf.pages)
    except pikepdf.PdfError:
        pages = 0
    if not pages:
        return None, _("Not merged: the PDF has no pages.")
    return pdf, ""


def _image_shape(path: Path) -> tuple[bool, str]:
    """(landscape, reason it cannot be used or ""), read from the image's header.

    An image over KLA_IMAGE_MAX_MEGAPIXELS (stored before uploads were held to it) is not
    merged: WeasyPrint would decode it whole, gigabytes for a file of a few MB."""
    if too_many_pixels(path):
        return False, _too_many_pixels()
    try:
        with Image.open(path) as image:
            image.verify()  # the structure, without decoding the pixels; must come first
        with Image.open(path) as image:
            width, height = image.size
            if image.getexif().get(0x0112) in _QUARTER_TURNS:
                width, height = height, width
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        return False, _too_many_pixels()
    except (OSError, SyntaxError, ValueError):
        return False, _("Not merged: the image is damaged and cannot be read.")
    return width > height, ""


def _too_many_pixels() -> str:
    return _(
        "Not merged: the image has more than %(mp)s megapixels; open it from its link in "
        "the workbook."
    ) % {"mp": settings.KLA_IMAGE_MAX_MEGAPIXELS}


def _render(
    html: str, target: Path, *, fonts: FontConfiguration, roots: list[Path] | None = None
) -> None:
    HTML(
        string=html,
        base_url=(Path(settings.BASE_DIR) / "static").as_uri() + "/",
        url_fetcher=LocalOnlyFetcher(roots=roots),
    ).write_pdf(target=str(target), font_config=fonts)


def _cover_html(plan: EntryKitPlan, item: KitQuestion, outcomes: list[_Outcome]) -> str:
    question = item.question
    with translation.override(COVER_LANGUAGE):
        title = _("KLA %(year)s · Indicator %(indicator)s · Question %(question)s") % {
            "year": plan.period.year,
            "indicator": question.indicator.code,
            "question": question.code,
        }
        return render_to_string(
            "reports/entry_kit_cover.html",
            {
                "district": settings.KLA_DISTRICT_NAME,
                "signature_place": settings.KLA_SIGNATURE_PLACE,
                "signatory_name": settings.KLA_SIGNATORY_NAME,
                "period": plan.period,
                "item": item,
                "question": question,
                "indicator": question.indicator,
                "outcomes": outcomes,
                "secretariat": plan.secretariat,
                "generated": plan.generated,
                "font_dir": FONT_DIR.as_uri(),
                "title": title,
                # The cover's own pages: the evidence's pages follow in the merged file.
                "page_counter": page_counter_content(_("Cover page %(page)s of %(pages)s")),
                "footer_text": css_string(
                    _("%(title)s · generated on %(moment)s WIB")
                    % {"title": title, "moment": plan.generated.strftime("%d-%m-%Y %H:%M")}
                ),
            },
        )


def signature_page_html(plan: EntryKitPlan) -> str:
    """The kit's signature page: the task force as the decree sets it up, signed by its chair
    and by its secretariat (their names from the decree's members, dotted lines when none)."""
    members = plan.task_force_members
    chair = next((m for m in members if m.role == TaskForceMember.Role.CHAIR), None)
    secretariat = next((m for m in members if m.role == TaskForceMember.Role.SECRETARIAT), None)
    with translation.override(COVER_LANGUAGE):
        title = _("KLA %(year)s · the task force's signatures") % {"year": plan.period.year}
        return render_to_string(
            "reports/entry_kit_signatures.html",
            {
                "district": settings.KLA_DISTRICT_NAME,
                "signature_place": settings.KLA_SIGNATURE_PLACE,
                "period": plan.period,
                "task_force": plan.task_force,
                "members": members,
                "chair": chair,
                "secretariat_member": secretariat,
                "secretariat": plan.secretariat,
                "n_questions": len(plan.questions),
                "generated": plan.generated,
                "font_dir": FONT_DIR.as_uri(),
                "title": title,
                "page_counter": page_counter_content(),
                "footer_text": css_string(
                    _("%(title)s · generated on %(moment)s WIB")
                    % {"title": title, "moment": plan.generated.strftime("%d-%m-%Y %H:%M")}
                ),
            },
        )


def _image_html(outcome: _Outcome, path: Path, *, landscape: bool) -> str:
    with translation.override(COVER_LANGUAGE):
        return render_to_string(
            "reports/entry_kit_image.html",
            {
                "outcome": outcome,
                "image_url": path.as_uri(),
                "landscape": landscape,
                "font_dir": FONT_DIR.as_uri(),
            },
        )


def question_pdf(
    plan: EntryKitPlan, item: KitQuestion, work: Path, *, fonts: FontConfiguration
) -> Path:
    """Build the merged PDF of one question in `work` (a directory the caller removes) and
    return its path. The cover is rendered after the files are tried, so it says of each
    whether it was merged. `fonts`: one font configuration for the whole kit. Without it
    WeasyPrint makes one per document, loading the system's fonts each time, and the
    process grew by about 0.4 MB a question (fontconfig and pango keep what each loaded:
    100 MB more after the 274 questions of the full instrument; flat with one)."""
    outcomes: list[_Outcome] = []
    pdfs: list[tuple[_Outcome, pikepdf.Pdf]] = []
    images: list[tuple[_Outcome, Path, bool]] = []
    with contextlib.ExitStack() as stack, translation.override(COVER_LANGUAGE):
        for number, (kit_answer, evidence) in enumerate(item.evidence, start=1):
            outcome = _Outcome(number=number, answer=kit_answer, evidence=evidence)
            outcomes.append(outcome)
            kind = evidence.merge_kind
            if evidence.is_link:
                outcome.note = _("A link: open the address above.")
                continue
            path = work / f"bukti-{number}{IMAGE_TYPES.get(evidence.content_type, '.pdf')}"
            if kind is None:
                outcome.note = _(
                    "Not merged: an office or other file; open it from its link in the workbook."
                )
            else:
                outcome.note = _copy_checked(evidence, path)
            if kind == "pdf" and not outcome.note:
                pdf, outcome.note = _open_pdf(path, stack)
                if pdf is not None:
                    pdfs.append((outcome, pdf))
                    pages = len(pdf.pages)
                    outcome.note = ngettext(
                        "Merged: %(pages)s page.", "Merged: %(pages)s pages.", pages
                    ) % {"pages": pages}
                    outcome.merged = True
            elif kind == "image" and not outcome.note:
                landscape, outcome.note = _image_shape(path)
                if not outcome.note:
                    images.append((outcome, path, landscape))
                    outcome.note = _("Merged as a page of its own.")
                    outcome.merged = True
        try:
            target = _assemble(plan, item, work, outcomes, pdfs, images, stack, fonts)
        except pikepdf.PdfError:
            # Damage qpdf meets only while writing (it opens and repairs most files): the
            # PDFs that cannot be written on their own are listed as not merged instead,
            # and the file is built again without them.
            for outcome, pdf in list(pdfs):
                try:
                    pdf.save(os.devnull)
                except pikepdf.PdfError:
                    pdfs.remove((outcome, pdf))
                    outcome.merged = False
                    outcome.note = _("Not merged: the PDF is damaged and cannot be read.")
            target = _assemble(plan, item, work, outcomes, pdfs, images, stack, fonts)
    plan.not_merged += [
        NotMerged(path=item.pdf_path, name=o.evidence.name, reason=o.note)
        for o in outcomes
        if not o.merged and not o.evidence.is_link
    ]
    return target


def _assemble(
    plan: EntryKitPlan,
    item: KitQuestion,
    work: Path,
    outcomes: list[_Outcome],
    pdfs: list[tuple[_Outcome, pikepdf.Pdf]],
    images: list[tuple[_Outcome, Path, bool]],
    stack: contextlib.ExitStack,
    fonts: FontConfiguration,
) -> Path:
    """The cover, then the PDFs' pages, then a page per image, written to one file in a new
    folder under `work` (a second attempt never writes over files the first still reads)."""
    work = Path(tempfile.mkdtemp(prefix="susun-", dir=work))
    cover_path = work / "sampul.pdf"
    _render(_cover_html(plan, item, outcomes), cover_path, fonts=fonts)
    merged = stack.enter_context(pikepdf.open(cover_path))
    for _outcome, pdf in pdfs:
        merged.pages.extend(pdf.pages)
    for number, (outcome, path, landscape) in enumerate(images, start=1):
        # One document per image: WeasyPrint keeps a document's images decoded until it is
        # written, so a question with thirty photos would hold thirty at once.
        page_path = work / f"gambar-{number}.pdf"
        _render(
            _image_html(outcome, path, landscape=landscape),
            page_path,
            fonts=fonts,
            roots=[*allowed_roots(), path.parent],
        )
        merged.pages.extend(stack.enter_context(pikepdf.open(page_path)).pages)
    merged.docinfo["/Title"] = pikepdf.String(
        f"KLA {plan.period.year} · {item.group} · Indikator {item.question.indicator.code} "
        f"· Pertanyaan {item.question.code}"
    )
    target = work / "gabungan.pdf"
    merged.save(target)
    return target


# --- The ZIP --------------------------------------------------------------------------------


@contextlib.contextmanager
def _collected_per_question():
    """Yields a function that frees what the last question left behind.

    WeasyPrint's documents are trees of boxes pointing at their parents: reference cycles,
    which only Python's full collection frees, and a process the size of Django's runs one
    rarely, so the garbage of question after question would pile up. A full collection after
    each question keeps memory flat; freezing the objects that exist when the kit starts
    (the application itself) keeps each collection to what the kit made since, well under a
    millisecond instead of 50-100 ms. The freeze only spares those objects the collector's
    attention; unfreezing hands them back to it.
    """
    gc.collect()
    gc.freeze()
    try:
        yield gc.collect
    finally:
        gc.unfreeze()


def iter_entry_kit(plan: EntryKitPlan) -> Iterator[bytes]:
    """The kit as zip chunks: the workbook, the task force's signature page, then one folder
    and merged PDF per question."""
    sink = ChunkSink()
    fonts = FontConfiguration()
    with (
        _collected_per_question() as collect,
        zipfile.ZipFile(sink, "w", allowZip64=True) as archive,
    ):
        with tempfile.SpooledTemporaryFile(max_size=CHUNK_SIZE) as book:
            entry_workbook(plan).save(book)
            yield from _copy_into(archive, sink, book, WORKBOOK_NAME, compress=True)
        with tempfile.TemporaryDirectory(prefix="kla-isian-") as directory:
            page = Path(directory) / SIGNATURE_PAGE_NAME
            _render(signature_page_html(plan), page, fonts=fonts)
            with open(page, "rb") as source:
                yield from _copy_into(archive, sink, source, SIGNATURE_PAGE_NAME, compress=False)
        for item in plan.questions:
            with tempfile.TemporaryDirectory(prefix="kla-isian-") as directory:
                merged = question_pdf(plan, item, Path(directory), fonts=fonts)
                with open(merged, "rb") as source:
                    yield from _copy_into(archive, sink, source, item.pdf_path, compress=False)
            collect()
        yield sink.drain()
    yield sink.drain()  # the central directory, written when the archive closes


def _copy_into(archive, sink: ChunkSink, source, arcname: str, *, compress: bool):
    size = source.seek(0, 2)
    source.seek(0)
    info = zip_info(arcname, None, compress=compress, size=size)
    with archive.open(info, "w") as target:
        while chunk := source.read(CHUNK_SIZE):
            target.write(chunk)
            del chunk
            yield sink.drain()
    yield sink.drain()


def write_entry_kit(*, period: Period, sink) -> EntryKitPlan:
    """Write the kit of `period` into a writable binary stream; returns its plan."""
    plan = entry_kit_plan(period=period)
    for chunk in iter_entry_kit(plan):
        if chunk:
            sink.write(chunk)
    return plan
