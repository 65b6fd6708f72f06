"""The entry kit for the ministry's application: the workbook, the ZIP's layout, the merged
PDFs (cover, PDF pages, images), files that cannot be merged, access, memory and queries."""

import gc
import io
import os
import subprocess
import time
import tracemalloc
import zipfile
from decimal import Decimal

import pikepdf
import pytest
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext
from openpyxl import load_workbook
from PIL import Image

from bench.district import evidence_pdf
from indicators.models import AnswerOption
from kla.reports.entry_kit import (
    COLUMNS,
    HEADER_ROW,
    SIGNATURE_PAGE_NAME,
    WORKBOOK_NAME,
    entry_kit_plan,
    entry_workbook,
    iter_entry_kit,
    write_entry_kit,
)
from kla.reports.pdf import LocalOnlyFetcher
from opd.models import Answer, Assignment, AuditEvent, Evidence, EvidenceRevision, Unit
from tests import factories, samples
from tests.test_report_bundle import add_file

pytestmark = pytest.mark.django_db

D = Decimal
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
NARRATIVE = "Perbup KLA Nomor 12 Tahun 2024 sudah terbit dan dilampirkan."


def pdf_pages(n: int, text: str = "Lampiran") -> bytes:
    """A PDF of `n` pages made by pikepdf."""
    pdf = pikepdf.new()
    for _ in range(n):
        pdf.add_blank_page(page_size=(595, 842))
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


def encrypted_pdf() -> bytes:
    pdf = pikepdf.open(io.BytesIO(pdf_pages(1)))
    out = io.BytesIO()
    pdf.save(out, encryption=pikepdf.Encryption(owner="pemilik", user="rahasia"))
    return out.getvalue()


def big_pdf(path, size: int) -> bytes:
    """A scanned report of about `size` bytes (pages of incompressible photos)."""
    evidence_pdf(path, size)
    return path.read_bytes()


def jpeg_bytes(width=60, height=40) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(out, "JPEG")
    return out.getvalue()


def in_cover_language(message: str) -> str:
    """A message as the cover prints it (Indonesian once the catalogue has it)."""
    with translation.override("id"):
        return " ".join(gettext(message).split())


@pytest.fixture
def world(period, question, lead_unit, support_unit):
    """In instrument order: an approved option question with every kind of evidence; a
    submitted free-points question; a question nobody answered; an every-kecamatan question
    answered by one of its two kecamatan."""
    group = question.indicator.group
    group.name = "Kelembagaan"
    group.save(update_fields=["name"])
    # A fixed code: the factory's sequence reaches "25", the code of the indicator below, when
    # enough indicators were made earlier in the run.
    question.indicator.code = "1"
    question.indicator.save(update_fields=["code"])
    question.code = "1"
    question.text = "Apakah tersedia Peraturan Bupati tentang Kabupaten Layak Anak yang berlaku?"
    question.max_points = D("24")
    question.save()
    options = {
        label: AnswerOption.objects.create(
            question=question, label=label, points=D(points), order=n
        )
        for n, (label, points) in enumerate([("Perda", 24), ("Perbup", 18), ("SK", 12)])
    }
    answer = Answer.objects.create(
        question=question,
        unit=lead_unit,
        status=Answer.Status.APPROVED,
        option=options["Perbup"],
        verified_option=options["SK"],
        claimed_points=D("18"),
        verified_points=D("12"),
        narrative=NARRATIVE,
        data_values={"2025": "87%", "2026": "91%"},
    )
    files = {
        "pdf": add_file(answer, name="Perbup KLA.pdf", content=pdf_pages(3)),
        "png": add_file(
            answer,
            name="Foto rapat.png",
            content=samples.png_bytes(),
            content_type="image/png",
            unit=support_unit,
        ),
        "jpeg": add_file(
            answer, name="Foto kegiatan.jpg", content=jpeg_bytes(40, 60), content_type="image/jpeg"
        ),
        "docx": add_file(
            answer, name="Notulen.docx", content=b"PK\x03\x04 not really", content_type=DOCX
        ),
        "broken": add_file(answer, name="Rusak.pdf", content=b"%PDF-1.7\n" + b"\x00rusak" * 50),
        "locked": add_file(answer, name="Berkata sandi.pdf", content=encrypted_pdf()),
    }
    Evidence.objects.create(
        answer=answer,
        unit=lead_unit,
        kind=Evidence.Kind.LINK,
        title="JDIH",
        url="https://jdih.example/perbup-12-2024",
    )

    indicator = question.indicator
    free = factories.QuestionFactory(indicator=indicator, code="2", order=question.order + 1)
    factories.AssignmentFactory(question=free, unit=lead_unit, role=Assignment.Role.LEAD)
    Answer.objects.create(
        question=free,
        unit=lead_unit,
        status=Answer.Status.SUBMITTED,
        claimed_points=D("5"),
        narrative="Sedang disusun.",
    )
    empty = factories.QuestionFactory(indicator=indicator, code="3", order=question.order + 2)
    factories.AssignmentFactory(question=empty, unit=lead_unit, role=Assignment.Role.LEAD)

    kec_question = factories.QuestionFactory(
        indicator__group=group,
        indicator__code="25",
        indicator__order=indicator.order + 1,
        code="25.1",
        text="Apakah setiap kecamatan memiliki forum anak?",
        every_kecamatan=True,
        max_points=D("4"),  # a "Ya" row is worth 4
    )
    kecamatan = [
        factories.UnitFactory(
            name=f"Kecamatan {n}", short_name=f"Kec {n}", kind=Unit.Kind.KECAMATAN
        )
        for n in ("Betara", "Tungkal Ilir")
    ]
    for unit in kecamatan:
        factories.AssignmentFactory(question=kec_question, unit=unit, role=Assignment.Role.PER_UNIT)
    kec_answer = Answer.objects.create(
        question=kec_question,
        unit=kecamatan[1],
        status=Answer.Status.APPROVED,
        claimed_points=D("4"),
        verified_points=D("4"),
        narrative="SK Forum Anak Kecamatan.",
    )
    add_file(kec_answer, name="SK forum.pdf", content=pdf_pages(2))
    return {
        "question": question,
        "answer": answer,
        "files": files,
        "free": free,
        "empty": empty,
        "kec_question": kec_question,
        "kecamatan": kecamatan,
    }


def kit_bytes(period) -> tuple[bytes, object]:
    out = io.BytesIO()
    plan = write_entry_kit(period=period, sink=out)
    return out.getvalue(), plan


def read_zip(data: bytes) -> zipfile.ZipFile:
    archive = zipfile.ZipFile(io.BytesIO(data))
    assert archive.testzip() is None
    return archive


def pdf_text(data: bytes, tmp_path, *, page: int | None = None) -> str:
    path = tmp_path / "sampul.pdf"
    path.write_bytes(data)
    pages = ["-f", str(page), "-l", str(page)] if page else []
    result = subprocess.run(
        ["pdftotext", *pages, str(path), "-"], capture_output=True, text=True, check=True
    )
    return " ".join(result.stdout.split())


def test_zip_has_the_workbook_and_a_folder_with_one_pdf_per_question(world, period):
    archive = read_zip(kit_bytes(period)[0])
    ind = world["question"].indicator.code
    # Named as the ministry's application shows them, with the start of the question (cut
    # between words) so the operator finds the folder without opening it.
    assert archive.namelist() == [
        WORKBOOK_NAME,
        SIGNATURE_PAGE_NAME,
        f"01 Kelembagaan/Indikator {ind}/Pertanyaan 1 - Apakah tersedia Peraturan Bupati tentang "
        f"Kabupaten/Indikator {ind} Pertanyaan 1.pdf",
        f"01 Kelembagaan/Indikator {ind}/Pertanyaan 2 - Apakah tersedia dokumen nomor "
        f"{world['free'].text.split()[-1].rstrip('?')}/Indikator {ind} Pertanyaan 2.pdf",
        f"01 Kelembagaan/Indikator {ind}/Pertanyaan 3 - Apakah tersedia dokumen nomor "
        f"{world['empty'].text.split()[-1].rstrip('?')}/Indikator {ind} Pertanyaan 3.pdf",
        "01 Kelembagaan/Indikator 25/Pertanyaan 25.1 - Apakah setiap kecamatan memiliki forum "
        "anak/Indikator 25 Pertanyaan 25.1.pdf",
    ]
    # Info-ZIP reads the streamed entries too.
    for info in archive.infolist():
        assert info.file_size > 0


def _pdf_of(archive, code: str) -> bytes:
    [name] = [n for n in archive.namelist() if n.endswith(f" Pertanyaan {code}.pdf")]
    return archive.read(name)


def test_merged_pdf_is_cover_then_pdf_pages_then_one_page_per_image(world, period, tmp_path):
    archive = read_zip(kit_bytes(period)[0])
    data = _pdf_of(archive, "1")
    with pikepdf.open(io.BytesIO(data)) as pdf:
        # 1 cover + 3 pages of the PDF evidence + 2 images (PNG, JPEG); the office file, the
        # broken PDF, the locked PDF and the link add no page.
        assert len(pdf.pages) == 1 + 3 + 2
        widths = [float(page.mediabox[2]) for page in pdf.pages]
    assert all(round(w) == 595 for w in widths)  # A4 portrait throughout
    cover = pdf_text(data, tmp_path, page=1)
    assert "Kelembagaan" in cover and "1" in cover
    assert world["question"].text in cover
    # Only what the ministry's form asks: the answer as the district enters it (the option
    # the secretariat verified, SK, and its points, in Indonesian numbers), the evidence.
    assert "Pilihan SK" in cover and "Nilai 12,00" in cover
    assert "18,00" not in cover and "Pilihan Perbup" not in cover
    # The internal states, claims, narrative and data stay in the workbook.
    for internal in ("Disetujui", "Nilai yang diklaim", "Nilai terverifikasi", NARRATIVE, "87%"):
        assert internal not in cover
    assert "https://jdih.example/perbup-12-2024" in cover.replace(" ", "")  # wrapped
    for name in ("Perbup KLA", "Foto rapat", "Foto kegiatan", "Notulen", "Rusak", "Berkata sandi"):
        assert name in cover
    assert "Dinsos" not in cover  # who attached the photo: internal
    assert "NIP" in cover  # the signature block
    # The image pages carry their caption.
    assert "Foto rapat" in pdf_text(data, tmp_path, page=5)
    assert "Foto kegiatan" in pdf_text(data, tmp_path, page=6)


def test_files_that_cannot_be_merged_are_listed_on_the_cover_with_the_reason(
    world, period, tmp_path
):
    data, plan = kit_bytes(period)
    cover = pdf_text(_pdf_of(read_zip(data), "1"), tmp_path, page=1)
    damaged = in_cover_language("Not merged: the PDF is damaged and cannot be read.")
    locked = in_cover_language("Not merged: the PDF is protected by a password.")
    office = in_cover_language(
        "Not merged: an office or other file; open it from its link in the workbook."
    )
    for reason in (damaged, locked, office):
        assert reason in cover
    assert {(n.name, n.reason) for n in plan.not_merged} == {
        ("Rusak.pdf", damaged),
        ("Berkata sandi.pdf", locked),
        ("Notulen.docx", office),
    }


def test_missing_or_altered_files_are_not_merged(world, period, tmp_path):
    os.remove(default_storage.path(world["files"]["pdf"].file.name))
    with default_storage.open(world["files"]["png"].file.name, "wb") as altered:
        altered.write(samples.png_bytes(rgb=(0, 0, 0)))
    data, plan = kit_bytes(period)
    with pikepdf.open(io.BytesIO(_pdf_of(read_zip(data), "1"))) as pdf:
        assert len(pdf.pages) == 1 + 1  # the cover and the JPEG
    reasons = {n.name: n.reason for n in plan.not_merged}
    assert reasons["Perbup KLA.pdf"] == in_cover_language(
        "Not merged: the file is missing from storage."
    )
    assert reasons["Foto rapat.png"] == in_cover_language(
        "Not merged: the stored file differs from the one uploaded (SHA-256)."
    )


def test_a_damaged_image_is_not_merged(period, question, lead_unit):
    answer = Answer.objects.create(question=question, unit=lead_unit, claimed_points=D("1"))
    add_file(answer, name="Foto.png", content=b"\x89PNG\r\n\x1a\nrusak", content_type="image/png")
    _data, plan = kit_bytes(period)
    assert [n.reason for n in plan.not_merged] == [
        in_cover_language("Not merged: the image is damaged and cannot be read.")
    ]


def test_a_wide_image_gets_a_landscape_page(period, question, lead_unit):
    answer = Answer.objects.create(question=question, unit=lead_unit, claimed_points=D("1"))
    add_file(answer, name="Panorama.jpg", content=jpeg_bytes(300, 100), content_type="image/jpeg")
    archive = read_zip(kit_bytes(period)[0])
    with pikepdf.open(io.BytesIO(_pdf_of(archive, question.code))) as pdf:
        cover, image = pdf.pages
        assert round(float(cover.mediabox[2])) == 595
        assert round(float(image.mediabox[2])) == 842  # A4 landscape


def test_question_without_answer_has_a_cover_saying_so(world, period, tmp_path):
    archive = read_zip(kit_bytes(period)[0])
    data = _pdf_of(archive, "3")
    with pikepdf.open(io.BytesIO(data)) as pdf:
        assert len(pdf.pages) == 1
    cover = pdf_text(data, tmp_path)
    assert in_cover_language("No answer has been given to this question yet.") in cover
    assert world["empty"].text in cover


def test_an_unapproved_answer_shows_its_claim_but_not_its_state_on_the_cover(
    world, period, tmp_path
):
    """Submitted, not yet approved: the cover gives the claimed points as the district's
    answer; "Diajukan", "Perlu revisi", "Draf" and the claim's label are the workbook's."""
    cover = pdf_text(_pdf_of(read_zip(kit_bytes(period)[0]), "2"), tmp_path)
    assert "Nilai 5,00" in cover
    for internal in ("Diajukan", "Sedang disusun.", "Nilai yang diklaim", "belum diverifikasi"):
        assert internal not in cover
    answer = Answer.objects.get(question=world["free"])
    for status in (Answer.Status.REVISION_REQUESTED, Answer.Status.DRAFT):
        answer.status = status
        answer.save()
        cover = pdf_text(_pdf_of(read_zip(kit_bytes(period)[0]), "2"), tmp_path)
        assert "Perlu revisi" not in cover and "Draf" not in cover and "Nilai 5,00" in cover


def test_per_unit_question_has_one_pdf_with_every_unit(world, period, tmp_path):
    data = _pdf_of(read_zip(kit_bytes(period)[0]), "25.1")
    with pikepdf.open(io.BytesIO(data)) as pdf:
        assert len(pdf.pages) == 1 + 2
    cover = pdf_text(data, tmp_path, page=1)
    # The share and the question's points (1 of 2 kecamatan, the straight share of 4), then
    # the matrix: one row per unit, the missing one said so.
    assert "Persentase “Ya”: 1 dari 2 (50%) Nilai 2,00" in cover
    assert "1 Kecamatan Betara Belum ada: unit ini belum menjawab." in cover
    assert "2 Kecamatan Tungkal Ilir — 4,00" in cover
    assert "SK Forum Anak Kecamatan." not in cover  # the narrative: the workbook's


def workbook_rows(period):
    wb = entry_workbook(entry_kit_plan(period=period))
    sheet = wb["Isian"]
    header = [c.value for c in sheet[HEADER_ROW]]
    rows = [
        dict(zip(header, (c.value for c in row), strict=True))
        for row in sheet.iter_rows(min_row=HEADER_ROW + 1)
    ]
    return sheet, header, rows


def test_workbook_columns_order_and_rows(world, period, settings):
    settings.KLA_BASE_URL = "https://kla.example.go.id/"
    sheet, header, rows = workbook_rows(period)
    assert header == [title for title, _width in COLUMNS]
    assert [(r["No"], r["Kode pertanyaan"], r["Unit penjawab"]) for r in rows] == [
        (1, "1", "Dinkes"),
        (2, "2", "Dinkes"),
        (3, "3", "Dinkes"),  # the lead, which has not started
        (4, "25.1", "2 unit"),
        (None, "25.1", "Kec Betara"),
        (None, "25.1", "Kec Tungkal Ilir"),
    ]
    first = rows[0]
    assert first["Kelompok"] == "Kelembagaan"
    assert first["Pertanyaan"] == world["question"].text
    assert (first["Jawaban (pilihan)"], first["Pilihan terverifikasi"]) == ("Perbup", "SK")
    assert (first["Nilai klaim"], first["Nilai terverifikasi"], first["Nilai maksimum"]) == (
        18,
        12,
        24,
    )
    assert first["Status"] == "Disetujui"
    assert first["Uraian"] == NARRATIVE
    assert first["Data"] == "2025: 87%\n2026: 91%"
    names = first["Bukti"].split("\n")
    links = first["Tautan bukti"].split("\n")
    assert names == [
        "Perbup KLA.pdf",
        "Foto rapat.png",
        "Foto kegiatan.jpg",
        "Notulen.docx",
        "Rusak.pdf",
        "Berkata sandi.pdf",
        "JDIH",
    ]
    revision = world["files"]["pdf"]
    assert links[0] == "https://kla.example.go.id" + reverse(
        "opd:revision-download", args=[revision.pk]
    )
    assert links[-1] == "https://jdih.example/perbup-12-2024"
    assert first["PDF di ZIP"].startswith("01 Kelembagaan/Indikator ")
    assert sheet.cell(row=HEADER_ROW + 1, column=18).hyperlink.target == first["PDF di ZIP"]
    # The submitted answer: no verified points, no option (free points).
    second = rows[1]
    assert (second["Status"], second["Nilai klaim"], second["Nilai terverifikasi"]) == (
        "Diajukan",
        5,
        None,
    )
    assert second["Jawaban (pilihan)"] is None
    # Not started, and the per-unit question's rows: one per unit, grouped under it.
    assert rows[2]["Status"] == "Belum dimulai"
    assert rows[3]["Status"] == "Ya: 1 dari 2 (50%) · 1/2 unit disetujui"
    assert (rows[3]["Nilai klaim"], rows[3]["Nilai terverifikasi"]) == (2, 2)  # the engine's
    assert rows[4]["Status"] == "Belum dimulai" and rows[4]["Pertanyaan"] == "↳ Kecamatan Betara"
    assert (rows[5]["Status"], rows[5]["Nilai terverifikasi"]) == ("Disetujui", 4)
    assert rows[5]["Bukti"] == "SK forum.pdf"
    assert sheet.row_dimensions[HEADER_ROW + 5].outline_level == 1
    assert sheet.freeze_panes == f"G{HEADER_ROW + 1}"


@pytest.mark.parametrize("typed", ['=HYPERLINK("x.test")', "+1+1", "-1+1", "@SUM(A1)", "#N/A"])
def test_workbook_keeps_typed_text_as_text(period, lead_unit, typed):
    question = factories.QuestionFactory(indicator__group__period=period, code=typed, text=typed)
    factories.AssignmentFactory(question=question, unit=lead_unit, role=Assignment.Role.LEAD)
    answer = Answer.objects.create(
        question=question, unit=lead_unit, narrative=typed, data_values={typed: typed}
    )
    add_file(answer, name=f"{typed}.pdf", content=samples.pdf_bytes("x"))
    sheet, _header, _rows = workbook_rows(period)
    cells = list(sheet[HEADER_ROW + 1])
    for column in (5, 6, 14, 16):  # code, question, narrative, evidence name
        assert cells[column - 1].data_type == "s"
        assert typed in cells[column - 1].value
    assert all(cell.data_type != "f" for cell in cells)


def test_plan_queries_do_not_grow_with_the_instrument(world, period, django_assert_num_queries):
    # 1 groups, 2 indicators, 3 questions, 4 assignments with units, 5 answers with their
    # options and evidence counts, 6 the registered documents attached to them, 7 evidence
    # with each file's latest revision, 8 the secretariat's unit (for the signature), 9 the
    # task force (none here: its members are not read).
    with django_assert_num_queries(9):
        plan = entry_kit_plan(period=period)
    assert len(plan.questions) == 4 and plan.n_files == 7
    indicator = factories.IndicatorFactory(group=world["question"].indicator.group)
    for n in range(10):
        q = factories.QuestionFactory(indicator=indicator)
        unit = factories.UnitFactory()
        factories.AssignmentFactory(question=q, unit=unit, role=Assignment.Role.LEAD)
        answer = Answer.objects.create(question=q, unit=unit, narrative=f"Jawaban {n}")
        add_file(answer, name="bukti.pdf", content=samples.pdf_bytes(str(n)))
    with django_assert_num_queries(9):
        plan = entry_kit_plan(period=period)
    assert len(plan.questions) == 14
    # Building the workbook and the PDFs reads nothing more.
    with django_assert_num_queries(0):
        b"".join(iter_entry_kit(plan))


def test_chunks_stay_small(period, question, lead_unit, tmp_path):
    answer = Answer.objects.create(question=question, unit=lead_unit, claimed_points=D("1"))
    add_file(answer, name="besar.pdf", content=big_pdf(tmp_path / "besar.pdf", 3 * 1024 * 1024))
    chunks = list(iter_entry_kit(entry_kit_plan(period=period)))
    assert max(len(c) for c in chunks) < 1.1 * 1024 * 1024
    assert len(chunks) > 3
    archive = read_zip(b"".join(chunks))
    assert archive.infolist()[2].file_size > 2.5 * 1024 * 1024  # after workbook, signatures


def test_images_are_fetched_from_the_question_directory_only(tmp_path):
    """Image pages are rendered with the fetcher of the reports, given only the question's
    temporary directory besides the static files and fonts: remote addresses and other local
    files stay refused."""
    inside = tmp_path / "foto.png"
    inside.write_bytes(samples.png_bytes())
    outside = tmp_path.parent / "lain.png"
    outside.write_bytes(samples.png_bytes())
    fetcher = LocalOnlyFetcher(roots=[tmp_path])
    assert fetcher.is_allowed(inside.as_uri())
    assert not fetcher.is_allowed(outside.as_uri())
    assert not fetcher.is_allowed("https://example.test/foto.png")
    assert not fetcher.is_allowed("http://127.0.0.1:8000/static/x.png")


def _peak_of_export(period, tmp_path) -> int:
    gc.collect()
    tracemalloc.start()
    try:
        with open(tmp_path / "isian.zip", "wb") as out:
            write_entry_kit(period=period, sink=out)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_memory_stays_flat_with_more_files(period, lead_unit, tmp_path):
    """Python's peak while the kit is written is the same for 3 questions as for 15, each
    with a 600 KB PDF and a photo: nothing of a question is kept once its PDF is in the
    zip. (qpdf's and cairo's own allocations are not traced; `make bench` reports the
    resident memory for the full instrument.)"""
    indicator = factories.IndicatorFactory(group__period=period, max_points=D("1000"))
    photo = jpeg_bytes(800, 600)

    def questions_with_files(n):
        for _ in range(n):
            q = factories.QuestionFactory(indicator=indicator, max_points=D("10"))
            factories.AssignmentFactory(question=q, unit=lead_unit, role=Assignment.Role.LEAD)
            answer = Answer.objects.create(question=q, unit=lead_unit, narrative="Terlampir.")
            report = big_pdf(tmp_path / "laporan.pdf", 600 * 1024)
            add_file(answer, name="laporan.pdf", content=report)
            add_file(answer, name="foto.jpg", content=photo, content_type="image/jpeg")

    questions_with_files(3)
    _peak_of_export(period, tmp_path)  # warm-up: imports, fonts and caches are not the kit's
    peak_3 = _peak_of_export(period, tmp_path)
    questions_with_files(12)
    peak_15 = _peak_of_export(period, tmp_path)
    archive = zipfile.ZipFile(tmp_path / "isian.zip")
    assert len(archive.namelist()) == 2 + 15  # the workbook, the signature page
    assert sum(i.file_size for i in archive.infolist()) > 15 * 500 * 1024
    print(f"entry kit peak memory: 3 questions {peak_3 / 1e6:.2f} MB, 15 {peak_15 / 1e6:.2f} MB")
    assert peak_15 < 1.3 * peak_3


def test_export_entry_kit_command(world, period, tmp_path):
    out = tmp_path / "isian.zip"
    stdout = io.StringIO()
    call_command("export_entry_kit", "--period", str(period.year), "--out", str(out), stdout=stdout)
    archive = read_zip(out.read_bytes())
    assert len(archive.namelist()) == 2 + 4  # the workbook, the signature page
    assert "4 questions, 7 evidence files" in stdout.getvalue()
    assert "Rusak.pdf" in stdout.getvalue()  # what was not merged, and why
    # Info-ZIP reads the streamed entries (stored and deflated, with data descriptors) too.
    tested = subprocess.run(["unzip", "-t", str(out)], capture_output=True, text=True)
    assert tested.returncode == 0, tested.stdout + tested.stderr
    event = AuditEvent.objects.get(action=AuditEvent.Action.EXPORT, period=period)
    assert event.data["kind"] == "entry_kit"

    book = tmp_path / "isian.xlsx"
    call_command(
        "export_entry_kit",
        "--period",
        str(period.year),
        "--out",
        str(book),
        "--workbook",
        stdout=io.StringIO(),
    )
    assert load_workbook(book)["Isian"].cell(row=HEADER_ROW, column=1).value == "No"


def test_export_entry_kit_command_unknown_period(tmp_path):
    with pytest.raises(CommandError, match="No period 1999"):
        call_command("export_entry_kit", "--period", "1999", "--out", str(tmp_path / "x.zip"))
    assert not (tmp_path / "x.zip").exists()


def test_entry_kit_download_streams_and_is_audited(world, period, client_for, secretariat_user):
    response = client_for(secretariat_user).get(reverse("kla:report-entry-kit", args=[period.year]))
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "application/zip"
    assert f"isian-aplikasi-kla-{period.year}.zip" in response["Content-Disposition"]
    archive = read_zip(b"".join(response.streaming_content))
    assert len(archive.namelist()) == 2 + 4  # the workbook, the signature page
    event = AuditEvent.objects.get(action=AuditEvent.Action.EXPORT)
    assert event.actor == secretariat_user and event.period == period
    assert (event.data["kind"], event.data["questions"], event.data["files"]) == ("entry_kit", 4, 7)


def test_entry_workbook_download(world, period, client_for, secretariat_user):
    url = reverse("kla:report-entry-workbook", args=[period.year])
    response = client_for(secretariat_user).get(url)
    assert response.status_code == 200
    assert f"isian-aplikasi-kla-{period.year}.xlsx" in response["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.content))["Isian"]
    assert sheet.cell(row=HEADER_ROW + 1, column=6).value == world["question"].text
    assert AuditEvent.objects.get(action=AuditEvent.Action.EXPORT).data["kind"] == "entry_workbook"


def test_reports_page_says_the_kit_may_be_large(period, client_for, secretariat_user):
    html = client_for(secretariat_user).get(reverse("kla:reports")).content.decode()
    link = html.split(f'data-testid="entry-kit-{period.year}"', 1)[1].split("</a>", 1)[0]
    with translation.override("id"):
        warning = gettext(
            "A folder per question, named as in the ministry's application, with one PDF to "
            "upload: a cover with the answer and a signature line, then the PDF evidence and "
            "the photos. With the entry workbook. Every answer is included, its status on the "
            "cover. May be large and take a few minutes."
        )
    assert warning in link.replace("&#x27;", "'")


def _resident_bytes() -> int:
    for line in open("/proc/self/status").read().splitlines():  # noqa: SIM115
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


def test_resident_memory_stays_flat_question_after_question(period, lead_unit, monkeypatch):
    """What tracemalloc cannot see: fontconfig, pango and cairo keep what each WeasyPrint
    document loads unless the kit renders every document with one font configuration (the
    process grew by about 0.4 MB a question). The resident memory after the 8th question
    is that after the 24th."""
    from kla.reports import entry_kit

    indicator = factories.IndicatorFactory(group__period=period, max_points=D("1000"))
    for _ in range(24):
        q = factories.QuestionFactory(indicator=indicator, max_points=D("10"))
        factories.AssignmentFactory(question=q, unit=lead_unit, role=Assignment.Role.LEAD)
        answer = Answer.objects.create(question=q, unit=lead_unit, narrative="Terlampir.")
        add_file(answer, name="foto.png", content=samples.png_bytes(), content_type="image/png")
    resident = []
    build = entry_kit.question_pdf

    def measured(*args, **kwargs):
        path = build(*args, **kwargs)
        resident.append(_resident_bytes())
        return path

    monkeypatch.setattr(entry_kit, "question_pdf", measured)
    for _chunk in iter_entry_kit(entry_kit_plan(period=period)):
        pass
    growth = resident[-1] - resident[7]
    print(f"entry kit resident memory: {growth / 1e6:+.2f} MB from question 8 to 24")
    assert growth < 2 * 1024 * 1024


def test_typed_codes_cannot_break_out_of_the_cover_stylesheet(period, lead_unit, tmp_path):
    """The cover's footer names the question in a CSS string inside <style>: a code that
    closes the stylesheet stays text and adds no markup (nor a fetch) to the cover."""
    typed = "</style><b>Sisip"  # a question code holds 20 characters
    question = factories.QuestionFactory(indicator__group__period=period, code=typed)
    factories.AssignmentFactory(question=question, unit=lead_unit, role=Assignment.Role.LEAD)
    plan = entry_kit_plan(period=period)
    archive = read_zip(b"".join(iter_entry_kit(plan)))
    [name] = [n for n in archive.namelist() if n.endswith(".pdf") and "/" in n]
    text = pdf_text(archive.read(name), tmp_path)
    assert text.count(typed) == 2  # the heading and the footer, as typed
    assert f"{typed} ·" in text  # the footer's CSS string holds the whole code
    assert "font-size" not in text  # no stylesheet spilled onto the page


def test_an_abandoned_download_leaves_nothing_behind(world, period, tmp_path, monkeypatch):
    """A client that goes away mid-download closes the stream: the question's temporary
    directory is removed and the collector gets back the objects frozen for the kit."""
    import gc
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    chunks = iter_entry_kit(entry_kit_plan(period=period))

    def working():
        return [p for p in tmp_path.iterdir() if p.name.startswith("kla-isian-")]

    while not working():  # into the first question's PDF
        next(chunks)
    assert gc.get_freeze_count() > 0
    chunks.close()
    assert gc.get_freeze_count() == 0
    assert working() == []


def test_a_pdf_that_fails_only_when_written_is_listed_not_merged(
    period, question, lead_unit, monkeypatch, tmp_path
):
    """qpdf opens and repairs most damaged files; one whose damage shows only while the
    merged file is written is found, listed as not merged, and the file built without it."""
    answer = Answer.objects.create(question=question, unit=lead_unit, claimed_points=D("1"))
    odd = pikepdf.new()
    odd.add_blank_page(page_size=(111, 111))  # what the failing save below recognises
    buffer = io.BytesIO()
    odd.save(buffer)
    add_file(answer, name="Rusak saat ditulis.pdf", content=buffer.getvalue())
    add_file(answer, name="Baik.pdf", content=pdf_pages(2))
    save = pikepdf.Pdf.save

    def failing_save(self, *args, **kwargs):
        if any(round(float(page.mediabox[2])) == 111 for page in self.pages):
            raise pikepdf.PdfError("damaged stream data")
        return save(self, *args, **kwargs)

    monkeypatch.setattr(pikepdf.Pdf, "save", failing_save)
    data, plan = kit_bytes(period)
    pdf_data = _pdf_of(read_zip(data), question.code)
    with pikepdf.open(io.BytesIO(pdf_data)) as pdf:
        assert len(pdf.pages) == 1 + 2
    damaged = in_cover_language("Not merged: the PDF is damaged and cannot be read.")
    assert [(n.name, n.reason) for n in plan.not_merged] == [("Rusak saat ditulis.pdf", damaged)]
    assert damaged in pdf_text(pdf_data, tmp_path, page=1)


def test_entry_kit_from_a_bucket(s3_bucket, world, period):
    """Evidence in a bucket (a real S3 server, tests/conftest.py): the same merged PDF, and a
    missing object is listed, not fatal."""
    stored = sorted(set(EvidenceRevision.objects.values_list("file", flat=True)))
    assert s3_bucket.objects() == stored
    with pikepdf.open(io.BytesIO(_pdf_of(read_zip(kit_bytes(period)[0]), "1"))) as pdf:
        assert len(pdf.pages) == 1 + 3 + 2
    s3_bucket.client.delete_object(Bucket=s3_bucket.name, Key=world["files"]["pdf"].file.name)
    data, plan = kit_bytes(period)
    with pikepdf.open(io.BytesIO(_pdf_of(read_zip(data), "1"))) as pdf:
        assert len(pdf.pages) == 1 + 2
    reasons = {n.name: n.reason for n in plan.not_merged}
    assert reasons["Perbup KLA.pdf"] == in_cover_language(
        "Not merged: the file is missing from storage."
    )


def test_an_image_stored_before_the_pixel_limit_is_listed_not_merged_and_never_decoded(
    period, question, lead_unit
):
    """81 megapixels of black in a 60 KB PNG, stored before uploads were held to 50: decoded
    it would take hundreds of MB; read from its header, the kit lists it as not merged."""
    from bench.district import rss_peak_now, rss_reset

    answer = Answer.objects.create(question=question, unit=lead_unit, claimed_points=D("1"))
    add_file(
        answer, name="Peta.png", content=samples.png_black(9000, 9000), content_type="image/png"
    )
    add_file(answer, name="Foto.png", content=samples.png_bytes(), content_type="image/png")
    gc.collect()
    before = rss_reset()
    started = time.perf_counter()
    # Pillow warns past its guard (kla/reports/entry_kit.py answers it as "too many pixels").
    with pytest.warns(Image.DecompressionBombWarning):
        _data, plan = kit_bytes(period)
    seconds = time.perf_counter() - started
    grown = rss_peak_now() - before
    reason = in_cover_language(
        "Not merged: the image has more than %(mp)s megapixels; open it from its link in "
        "the workbook."
    )
    assert [(n.name, n.reason) for n in plan.not_merged] == [("Peta.png", reason % {"mp": 50})]
    assert seconds < 10
    assert grown < 60 * 2**20, f"the kit grew by {grown / 2**20:.0f} MB"
