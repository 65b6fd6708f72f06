"""Reading what evidence files say (opd/uploads/reading.py): the number and date regexes, a
PDF's text layer, OCR of a generated scan with Debian's Tesseract, the problems (damaged,
encrypted, no OCR) as reasons never errors, at upload and by `manage.py evidence_read`."""

import datetime
import io

import pikepdf
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.utils import timezone

from opd import evidence as ev
from opd import services
from opd.models import EvidenceRevision
from opd.uploads.reading import read_date, read_here, read_number, same_number
from tests import samples

D = datetime.date

DECREE = (
    "KEPUTUSAN BUPATI CONTOH",
    "NOMOR: 188.45/123/2024",
    "TENTANG GUGUS TUGAS KLA",
    "Ditetapkan di Contoh",
    "pada tanggal 12 Maret 2024",
)


@pytest.mark.parametrize(
    "text, number",
    [
        ("KEPUTUSAN BUPATI\nNomor: 188.45/123/2024\nTENTANG", "188.45/123/2024"),
        ("NOMOR : 188.45 / 7/ 2023", "188.45/7/2023"),  # OCR spaces the slashes
        ("PERATURAN DAERAH KABUPATEN CONTOH NOMOR 5 TAHUN 2021", "5 TAHUN 2021"),
        ("SK No. 12/KPTS/2024 tentang", "12/KPTS/2024"),
        ("no.050/12/Bappeda", "050/12/Bappeda"),
        ("Nomor telepon kantor tidak ada", ""),  # a word, not a number
        ("Tidak ada nomornya", ""),
        ("", ""),
    ],
)
def test_the_number_is_read_after_nomor(text, number):
    assert read_number(text) == number


@pytest.mark.parametrize(
    "text, day",
    [
        ("Ditetapkan di Contoh pada tanggal 12 Maret 2024", D(2024, 3, 12)),
        ("tanggal : 12-03-2024", D(2024, 3, 12)),
        ("12/03/2024", D(2024, 3, 12)),
        ("1 Nopember 2023", D(2023, 11, 1)),
        ("5 agt. 2022", D(2022, 8, 5)),
        # The day it was set wins over a date the text mentions first.
        ("mengingat surat 2 Januari 2020; pada tanggal 30 Juni 2021", D(2021, 6, 30)),
        ("31 Februari 2024", None),  # no such day
        ("tahun 2024", None),
        ("", None),
    ],
)
def test_the_date_is_read_after_tanggal_else_the_first(text, day):
    assert read_date(text) == day


def test_numbers_compare_whatever_their_spacing_and_case():
    assert same_number("188.45 / 123 / 2024", "188.45/123/2024")
    assert same_number("5 Tahun 2021", "5 TAHUN 2021")
    assert not same_number("188.45/123/2024", "188.45/124/2024")


def _write(tmp_path, name, data):
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_ocr_reads_the_number_and_date_of_a_generated_scan(tmp_path):
    path = _write(tmp_path, "scan.pdf", samples.scan_pdf_bytes(DECREE))
    assert read_here(path, "pdf") == {
        "text_layer": False,
        "number": "188.45/123/2024",
        "date": "2024-03-12",
        "via": "ocr",
        "problem": "",
    }


def test_a_text_layer_is_read_without_ocr(tmp_path):
    path = _write(tmp_path, "sk.pdf", samples.pdf_bytes("Nomor: 188.45/77/2023 tanggal 5 Mei 2023"))
    reading = read_here(path, "pdf")
    assert (reading["text_layer"], reading["via"]) == (True, "text")
    assert (reading["number"], reading["date"]) == ("188.45/77/2023", "2023-05-05")


def test_without_ocr_installed_the_reading_says_so(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # no pdftoppm, no tesseract
    path = _write(tmp_path, "scan.pdf", samples.scan_pdf_bytes(DECREE))
    reading = read_here(path, "pdf")
    assert (reading["text_layer"], reading["problem"], reading["number"]) == (False, "no_ocr", "")


def test_a_damaged_or_encrypted_pdf_is_a_problem_not_an_error(tmp_path):
    damaged = _write(tmp_path, "bad.pdf", b"%PDF-1.4\n1 0 obj << /Type /Catalog >> garbage")
    assert read_here(damaged, "pdf")["problem"] == "damaged"
    out = io.BytesIO()
    with pikepdf.open(io.BytesIO(samples.pdf_bytes())) as pdf:
        pdf.save(out, encryption=pikepdf.Encryption(owner="o", user="secret"))
    encrypted = _write(tmp_path, "locked.pdf", out.getvalue())
    assert read_here(encrypted, "pdf")["problem"] == "encrypted"


def test_images_and_office_files_are_not_read(tmp_path):
    path = _write(tmp_path, "photo.png", samples.png_bytes())
    assert read_here(path, "png") == {
        "text_layer": None,
        "number": "",
        "date": None,
        "via": "",
        "problem": "",
    }


@pytest.mark.django_db
def test_an_upload_stores_what_its_scan_says_when_read_at_upload(
    question, lead_unit, opd_user, monkeypatch, settings
):
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: D(2026, 2, 10))
    settings.KLA_EVIDENCE_READ_AT_UPLOAD = True
    answer = services.answer_open(question=question, unit=lead_unit)
    revision = ev.evidence_add_file(
        answer=answer,
        unit=lead_unit,
        user=opd_user,
        uploaded_file=SimpleUploadedFile("sk.pdf", samples.scan_pdf_bytes(DECREE)),
    )
    revision.refresh_from_db()
    assert (revision.text_layer, revision.read_via) == (False, "ocr")
    assert (revision.read_number, revision.read_date) == ("188.45/123/2024", D(2024, 3, 12))
    assert revision.read_at is not None and revision.read_problem == ""


@pytest.mark.django_db
def test_evidence_read_reads_existing_files_once(
    question, lead_unit, opd_user, monkeypatch, settings
):
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: D(2026, 2, 10))
    # By default an upload is not read: the scheduled job reads it minutes later.
    answer = services.answer_open(question=question, unit=lead_unit)
    revision = ev.evidence_add_file(
        answer=answer,
        unit=lead_unit,
        user=opd_user,
        uploaded_file=SimpleUploadedFile("sk.pdf", samples.scan_pdf_bytes(DECREE)),
    )
    assert EvidenceRevision.objects.get(pk=revision.pk).read_at is None
    out = io.StringIO()
    call_command("evidence_read", stdout=out)
    assert "[1/1]" in out.getvalue() and "188.45/123/2024" in out.getvalue()
    revision.refresh_from_db()
    assert (revision.read_number, revision.read_date) == ("188.45/123/2024", D(2024, 3, 12))
    again = io.StringIO()
    call_command("evidence_read", stdout=again)
    assert again.getvalue().startswith("0 file(s) to read")
