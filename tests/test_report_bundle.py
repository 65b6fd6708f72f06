"""The evidence bundle: folder layout, file integrity, index.xlsx, memory, access, audit."""

import datetime
import gc
import hashlib
import io
import os
import subprocess
import tracemalloc
import zipfile
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from kla.reports.bundle import bundle_plan, iter_bundle, write_bundle
from opd.models import Answer, Assignment, AuditEvent, Evidence, EvidenceRevision, Unit
from tests import factories, samples

pytestmark = pytest.mark.django_db


def add_file(answer, *, name, content, content_type="application/pdf", unit=None, when=None):
    """A file evidence with one revision, stored like the upload service stores it."""
    evidence = Evidence.objects.create(answer=answer, unit=unit or answer.unit, title=name)
    return add_revision(evidence, name=name, content=content, content_type=content_type, when=when)


def add_revision(evidence, *, name, content, content_type="application/pdf", when=None):
    stored = default_storage.save(f"evidence/test/{name}", ContentFile(content))
    return EvidenceRevision.objects.create(
        evidence=evidence,
        file=stored,
        original_name=name,
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        content_type=content_type,
        uploaded_at=when or timezone.now(),
    )


def approved(question, unit, *, claimed="8", verified="7.5", narrative="Perbup sudah terbit."):
    return Answer.objects.create(
        question=question,
        unit=unit,
        status=Answer.Status.APPROVED,
        narrative=narrative,
        claimed_points=Decimal(claimed),
        verified_points=Decimal(verified),
    )


@pytest.fixture
def world(period, question, lead_unit):
    """An approved ordinary answer with two files of the same name, a replaced file, a
    removed file and a link; an every-kecamatan question answered by two kecamatan; and
    answers that are not approved (their files stay out)."""
    group = question.indicator.group
    group.name = "Klaster II: Lingkungan/Keluarga"
    group.save(update_fields=["name"])
    answer = approved(question, lead_unit)
    first = add_file(answer, name="Perbup KLA.pdf", content=samples.pdf_bytes("satu"))
    second = add_file(answer, name="perbup kla.pdf", content=samples.pdf_bytes("dua"))
    replaced = Evidence.objects.create(answer=answer, unit=lead_unit, title="SK")
    add_revision(
        replaced,
        name="SK lama.pdf",
        content=samples.pdf_bytes("lama"),
        when=timezone.now() - datetime.timedelta(days=2),
    )
    newest = add_revision(
        replaced, name="SK Gugus Tugas.png", content=samples.png_bytes(), content_type="image/png"
    )
    removed = add_file(answer, name="salah.pdf", content=samples.pdf_bytes("salah"))
    removed.evidence.removed_at = timezone.now()
    removed.evidence.save(update_fields=["removed_at"])
    Evidence.objects.create(
        answer=answer, unit=lead_unit, kind=Evidence.Kind.LINK, url="https://example.test/perbup"
    )

    kec_question = factories.QuestionFactory(
        indicator__group=group, indicator__code="25", code="25.1", every_kecamatan=True
    )
    kecamatan = [
        factories.UnitFactory(
            name=f"Kecamatan {n}", short_name=f"Kec {n}", kind=Unit.Kind.KECAMATAN
        )
        for n in ("Tungkal Ilir", "Betara")
    ]
    kec_files = []
    for unit in kecamatan:
        factories.AssignmentFactory(question=kec_question, unit=unit, role=Assignment.Role.PER_UNIT)
        kec_answer = approved(kec_question, unit, claimed="4", verified="4")
        kec_files.append(
            add_file(
                kec_answer,
                name="Foto kegiatan.png",
                content=samples.png_bytes(rgb=(1, 2, 3)),
                content_type="image/png",
            )
        )

    draft_question = factories.QuestionFactory(indicator=question.indicator, code="9")
    draft = Answer.objects.create(
        question=draft_question, unit=lead_unit, status=Answer.Status.SUBMITTED
    )
    not_approved = add_file(draft, name="draft.pdf", content=samples.pdf_bytes("draft"))
    return {
        "answer": answer,
        "first": first,
        "second": second,
        "newest": newest,
        "removed": removed,
        "kec_files": kec_files,
        "not_approved": not_approved,
        "question": question,
        "kec_question": kec_question,
    }


def test_safe_names():
    from kla.reports.common import safe_component, safe_file_name, unique_name

    # The extension follows the detected type, not the name the uploader gave.
    assert (
        safe_file_name("Laporan Akhir (final).JPEG", "application/pdf") == "laporan-akhir-final.pdf"
    )
    assert safe_file_name("../../etc/passwd", "text/plain") == "passwd.txt"
    assert safe_file_name("Ρ.pdf", "application/pdf") == "berkas.pdf"
    assert safe_component('Klaster: "I"/II\\*') == "Klaster- -I-II"
    assert safe_component("..") == "tanpa-nama"
    taken: set[str] = set()
    assert [unique_name(n, taken) for n in ("a.pdf", "A.pdf", "a.pdf", "b")] == [
        "a.pdf",
        "A-2.pdf",
        "a-3.pdf",
        "b",
    ]


@pytest.mark.parametrize(
    ("name", "renamed"),
    [
        ("CON.pdf", "CON_.pdf"),
        ("nul.txt", "nul_.txt"),
        ("COM1.docx", "COM1_.docx"),
        ("LPT1", "LPT1_"),
        ("AUX", "AUX_"),
        ("PRN", "PRN_"),
        ("con.tar.gz", "con_.tar.gz"),
        ("Nul .pdf", "Nul_.pdf"),
        ("lpt9. .pdf", "lpt9_. .pdf"),
        ("CONOUT$", "CONOUT$_"),
        # Not device names: left alone.
        ("console.pdf", "console.pdf"),
        ("COM10.pdf", "COM10.pdf"),
        ("CONS", "CONS"),
        ("laporan.con", "laporan.con"),
    ],
)
def test_windows_device_names_are_renamed(name, renamed):
    from kla.reports.common import not_device_name, safe_component

    assert not_device_name(name) == renamed
    # Folders, and files named by the kit, strip trailing dots and blanks first.
    assert safe_component(f"{name}. ") == not_device_name(name.rstrip(". "))


def test_a_file_named_like_a_windows_device_gets_another_name_in_the_bundle(
    period, question, lead_unit
):
    """ "CON.pdf" unzips to nothing on Windows (the console), or stops Explorer with an
    error; the bundle names it con_.pdf, whatever case or blanks the uploader used."""
    answer = approved(question, lead_unit)
    for name in ("CON.pdf", "nul .pdf", "Com1.PDF", "aux"):
        add_file(answer, name=name, content=samples.pdf_bytes(name))
    names = [n.rsplit("/", 1)[-1] for n in read_zip(bundle_bytes(period)).namelist()]
    assert sorted(names) == ["aux_.pdf", "com1_.pdf", "con_.pdf", "index.xlsx", "nul_.pdf"]


def read_zip(data: bytes) -> zipfile.ZipFile:
    archive = zipfile.ZipFile(io.BytesIO(data))
    assert archive.testzip() is None
    return archive


def bundle_bytes(period) -> bytes:
    out = io.BytesIO()
    write_bundle(period=period, sink=out)
    return out.getvalue()


def test_bundle_layout_and_integrity(world, period):
    archive = read_zip(bundle_bytes(period))
    group = "Klaster II- Lingkungan-Keluarga"
    indicator = world["question"].indicator.code
    folder = f"{group}/{indicator}/{world['question'].code}"
    expected = {
        f"{folder}/perbup-kla.pdf": world["first"],
        f"{folder}/perbup-kla-2.pdf": world["second"],
        f"{folder}/sk-gugus-tugas.png": world["newest"],
        f"{group}/25/25.1 - Kec Betara/foto-kegiatan.png": world["kec_files"][1],
        f"{group}/25/25.1 - Kec Tungkal Ilir/foto-kegiatan.png": world["kec_files"][0],
    }
    assert sorted(archive.namelist()) == sorted([*expected, "index.xlsx"])
    for name, revision in expected.items():
        content = archive.read(name)
        assert hashlib.sha256(content).hexdigest() == revision.sha256
        assert len(content) == revision.size
    # The old revision, the removed file and the answer that is not approved stay out.
    names = " ".join(archive.namelist())
    assert "sk-lama" not in names and "salah" not in names and "draft" not in names


def test_bundle_index_lists_every_file_with_its_hash(world, period):
    archive = read_zip(bundle_bytes(period))
    sheet = load_workbook(io.BytesIO(archive.read("index.xlsx")))["Indeks"]
    header = [c.value for c in sheet[1]]
    rows = [dict(zip(header, (c.value for c in row), strict=True)) for row in sheet.iter_rows(2)]
    by_file = {r["Berkas di ZIP"]: r for r in rows if r["Berkas di ZIP"]}
    assert set(by_file) == {n for n in archive.namelist() if n != "index.xlsx"}
    for name, row in by_file.items():
        assert row["SHA-256"] == hashlib.sha256(archive.read(name)).hexdigest()
        assert row["Keterangan"] in ("", None)
    first = by_file[next(n for n in by_file if n.endswith("/perbup-kla.pdf"))]
    assert first["Nilai klaim"] == 8 and first["Nilai terverifikasi"] == 7.5
    assert first["Ringkasan jawaban"] == "Perbup sudah terbit."
    assert first["Tautan"] == "https://example.test/perbup"
    assert first["Unit penjawab"] == "Dinkes"
    assert sheet.freeze_panes == "E2"
    assert sheet.auto_filter.ref == f"A1:Q{len(rows) + 1}"


def test_long_narrative_is_truncated_in_the_index(period, question, lead_unit):
    approved(question, lead_unit, narrative="kata " * 500)
    archive = read_zip(bundle_bytes(period))
    sheet = load_workbook(io.BytesIO(archive.read("index.xlsx")))["Indeks"]
    summary = sheet["G2"].value
    assert len(summary) <= 300 and summary.endswith("…")
    assert sheet["P2"].value == "Tanpa berkas"


def test_empty_period_gives_a_zip_with_only_the_index(period):
    archive = read_zip(bundle_bytes(period))
    assert archive.namelist() == ["index.xlsx"]
    sheet = load_workbook(io.BytesIO(archive.read("index.xlsx")))["Indeks"]
    assert sheet.max_row == 1


def test_missing_or_altered_file_is_reported_not_fatal(world, period):
    os.remove(default_storage.path(world["first"].file.name))
    with default_storage.open(world["second"].file.name, "wb") as altered:
        altered.write(b"not what was uploaded")
    archive = read_zip(bundle_bytes(period))
    sheet = load_workbook(io.BytesIO(archive.read("index.xlsx")))["Indeks"]
    notes = {row[10].value: row[15].value for row in sheet.iter_rows(2)}
    assert notes["Perbup KLA.pdf"] == "Berkas tidak ditemukan di penyimpanan"
    assert notes["perbup kla.pdf"] == "SHA-256 berbeda dari catatan unggahan"
    assert not any(n.endswith("/perbup-kla.pdf") for n in archive.namelist())


def test_plan_uses_two_queries_whatever_the_size(world, period, django_assert_num_queries):
    with django_assert_num_queries(2):  # 1. approved answers, 2. their evidence + latest rev
        plan = bundle_plan(period=period)
    assert len(plan.files) == 5


def test_stream_chunks_stay_small(period, question, lead_unit):
    answer = approved(question, lead_unit)
    add_file(answer, name="besar.bin", content=os.urandom(3 * 1024 * 1024), content_type="x/y")
    chunks = list(iter_bundle(bundle_plan(period=period)))
    assert max(len(c) for c in chunks) < 1.1 * 1024 * 1024
    assert len(chunks) > 3
    archive = read_zip(b"".join(chunks))
    assert [n.rsplit("/", 1)[-1] for n in archive.namelist()] == ["besar.bin", "index.xlsx"]


def _peak_of_export(period, tmp_path) -> int:
    gc.collect()
    tracemalloc.start()
    try:
        with open(tmp_path / "bundle.zip", "wb") as out:
            write_bundle(period=period, sink=out)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_memory_stays_flat_with_more_files(period, lead_unit, tmp_path):
    indicator = factories.IndicatorFactory(group__period=period, max_points=Decimal("1000"))
    questions = [
        factories.QuestionFactory(indicator=indicator, code=f"{n}", max_points=Decimal("10"))
        for n in range(40)
    ]
    answers = [approved(q, lead_unit) for q in questions]

    def files_for(answers_):
        for answer in answers_:
            if not answer.evidence.exists():
                add_file(answer, name="bukti.pdf", content=os.urandom(200 * 1024))

    files_for(answers[:5])
    Answer.objects.filter(pk__in=[a.pk for a in answers[5:]]).update(status=Answer.Status.DRAFT)
    _peak_of_export(period, tmp_path)  # warm-up: imports and caches are not the export's
    peak_5 = _peak_of_export(period, tmp_path)

    Answer.objects.filter(pk__in=[a.pk for a in answers]).update(status=Answer.Status.APPROVED)
    files_for(answers)
    peak_40 = _peak_of_export(period, tmp_path)
    archive = zipfile.ZipFile(tmp_path / "bundle.zip")
    assert len(archive.namelist()) == 41
    print(f"bundle peak memory: 5 files {peak_5 / 1e6:.2f} MB, 40 files {peak_40 / 1e6:.2f} MB")
    assert peak_40 < 1.5 * peak_5
    assert peak_40 < 2 * 1024 * 1024


def test_export_bundle_command(world, period, tmp_path):
    out = tmp_path / "bukti.zip"
    stdout = io.StringIO()
    call_command("export_bundle", "--period", str(period.year), "--out", str(out), stdout=stdout)
    archive = read_zip(out.read_bytes())
    assert len(archive.namelist()) == 6
    assert "5 files" in stdout.getvalue()
    # Info-ZIP reads the streamed entries (stored and deflated, with data descriptors) too.
    tested = subprocess.run(["unzip", "-t", str(out)], capture_output=True, text=True)
    assert tested.returncode == 0, tested.stdout + tested.stderr
    assert "No errors detected" in tested.stdout
    assert AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT, period=period).exists()


def test_export_bundle_command_unknown_period(tmp_path):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="No period 1999"):
        call_command("export_bundle", "--period", "1999", "--out", str(tmp_path / "x.zip"))
    assert not (tmp_path / "x.zip").exists()


def test_bundle_download_streams_and_is_audited(world, period, client_for, secretariat_user):
    response = client_for(secretariat_user).get(reverse("kla:report-bundle", args=[period.year]))
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "application/zip"
    assert f"bukti-kla-{period.year}.zip" in response["Content-Disposition"]
    archive = read_zip(b"".join(response.streaming_content))
    assert len(archive.namelist()) == 6
    event = AuditEvent.objects.get(action=AuditEvent.Action.EXPORT)
    assert event.actor == secretariat_user and event.period == period
    assert event.data["kind"] == "bundle"


def test_bundle_download_of_unknown_period_is_404(client_for, secretariat_user):
    assert (
        client_for(secretariat_user).get(reverse("kla:report-bundle", args=[1999])).status_code
        == 404
    )


@pytest.mark.parametrize("typed", ['=HYPERLINK("x.test")', "+1+1", "-1+1", "@SUM(A1)", "#N/A"])
def test_index_keeps_typed_text_as_text(period, typed):
    """Group, question, unit, narrative and uploaded file name are typed by people: in the
    index each is a text cell showing what was typed, never a formula or an error value."""
    group = factories.GroupFactory(period=period, name=typed)
    question = factories.QuestionFactory(indicator__group=group, code=typed, text=typed)
    unit = factories.UnitFactory(name=f"Unit {typed}", short_name=typed)
    answer = approved(question, unit, narrative=typed)
    add_file(answer, name=f"{typed}.pdf", content=samples.pdf_bytes("x"))
    archive = read_zip(bundle_bytes(period))
    sheet = load_workbook(io.BytesIO(archive.read("index.xlsx")))["Indeks"]
    row = {header.value: cell for header, cell in zip(sheet[1], sheet[2], strict=True)}
    for column in (
        "Kelompok",
        "Kode pertanyaan",
        "Pertanyaan",
        "Unit penjawab",
        "Ringkasan jawaban",
    ):
        assert (row[column].value, row[column].data_type) == (typed, "s"), column
    original = row["Nama berkas asli"]
    assert (original.value, original.data_type) == (f"{typed}.pdf", "s")
    assert row["Berkas di ZIP"].data_type == "s"
    assert row["Berkas di ZIP"].value in archive.namelist()
    assert all(cell.data_type != "f" for cell in row.values())


def test_bundle_from_a_bucket(s3_bucket, world, period):
    """Evidence in a bucket (a real S3 server, tests/conftest.py): the files are streamed from
    it whole, and a missing or altered object is reported, not fatal."""
    stored = sorted(set(EvidenceRevision.objects.values_list("file", flat=True)))
    assert s3_bucket.objects() == stored
    archive = read_zip(bundle_bytes(period))
    content = archive.read(next(n for n in archive.namelist() if n.endswith("sk-gugus-tugas.png")))
    assert hashlib.sha256(content).hexdigest() == world["newest"].sha256
    s3_bucket.client.delete_object(Bucket=s3_bucket.name, Key=world["first"].file.name)
    s3_bucket.client.put_object(
        Bucket=s3_bucket.name, Key=world["second"].file.name, Body=b"not what was uploaded"
    )
    archive = read_zip(bundle_bytes(period))
    sheet = load_workbook(io.BytesIO(archive.read("index.xlsx")))["Indeks"]
    notes = {row[10].value: row[15].value for row in sheet.iter_rows(2)}
    assert notes["Perbup KLA.pdf"] == "Berkas tidak ditemukan di penyimpanan"
    assert notes["perbup kla.pdf"] == "SHA-256 berbeda dari catatan unggahan"
