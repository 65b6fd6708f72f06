"""The instrument's xlsx template: one row per question, the columns the importer reads.

Empty, it is what the secretariat fills in; filled with a period's rows (see
kla.imports.instrument_rows), it imports back into the same period without any change.
"""

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from core.text import as_text
from indicators.importers import COLUMNS, HELP_SHEET, SHEET, clean_text

WIDTHS = {
    "group": 24,
    "indicator_code": 14,
    "indicator_name": 40,
    "question_code": 14,
    "question_text": 70,
    "units": 36,
    "options": 40,
    "rows_filled_by": 16,
    "steps": 36,
}
POINT_COLUMNS = {
    "group_max_points",
    "indicator_max_points",
    "max_points",
    "claimed_points",
    "verified_points",
}
FLAG_COLUMNS = ("every_kecamatan", "every_desa")
HELP = [
    "Petunjuk pengisian templat instrumen KLA",
    "",
    "Satu baris untuk setiap pertanyaan pada lembar 'Instrumen'. Jangan mengubah nama lembar "
    "atau judul kolom pada baris 1.",
    "Kolom kelompok dan indikator diulang pada setiap baris. Pada baris berikutnya dari "
    "kelompok atau indikator yang sama boleh dikosongkan; bila diisi, nilainya harus sama.",
    "group: nama kelompok (KELEMBAGAAN, KLASTER I, ...). group_order: urutan kelompok. "
    "group_max_points: nilai maksimal yang tertulis di instrumen (boleh kosong).",
    "indicator_code: misalnya 21 A (kata 'Indikator' boleh ditulis, akan dihapus). "
    "indicator_max_points: nilai maksimal indikator.",
    "question_code: misalnya 2a (kata 'Pertanyaan' boleh ditulis). question_text: teks "
    "pertanyaan; bila menyebut MATRIKS dan/atau foto, jenis bukti dukung mengikutinya.",
    "max_points, claimed_points, verified_points: angka tidak negatif; titik atau koma desimal.",
    "every_kecamatan / every_desa: ya atau tidak; pertanyaan dijawab oleh setiap kecamatan "
    "atau desa/kelurahan.",
    "units: nama singkat unit dipisahkan titik koma; unit pertama adalah penanggung jawab, "
    "yang lain pendukung. Nama yang belum dikenal ditanyakan dulu: dipetakan ke unit yang ada "
    "atau dibuat baru.",
    "options: pilihan jawaban dengan nilainya, dipisahkan titik koma, misalnya "
    "'Perda=24; Perbup=18; SK=12; Dalam penyusunan=6; Tidak ada=0' (boleh kosong: nilai "
    "diisi bebas). Pertanyaan setiap kecamatan/desa tanpa pilihan mendapat 'Ya' (nilai "
    "maksimal) dan 'Tidak' (0) untuk setiap baris tabelnya.",
    "rows_filled_by: untuk pertanyaan setiap kecamatan/desa, siapa mengisi baris tabelnya: "
    "'kecamatan' (setiap kecamatan untuk dirinya dan desanya; bawaan) atau 'koordinator' "
    "(unit koordinator untuk semua baris).",
    "steps: untuk pertanyaan persentase kecamatan/desa, tahapan nilai menurut persentase, "
    "misalnya '0-25: 0,75; 25-50: 1,2; 50-75: 2,25; 75-100: 2,4; 100-100: 3' (dari termasuk, "
    "sampai tidak termasuk; '100-100' berarti semua unit). Tahapan harus mulai dari 0%, "
    "bersambung tanpa celah atau tumpang tindih sampai 100%, dan nilainya tidak menurun. "
    "Kosong: nilai = persentase x max_points.",
    "claimed_points / verified_points: opsional, untuk memuat hasil periode lalu; tidak boleh "
    "melebihi max_points. Nilai terverifikasi membuat jawaban berstatus disetujui. Nilai "
    "pertanyaan setiap kecamatan/desa disimpan untuk pertanyaan itu sendiri (bukan per baris).",
    "Impor tidak mengubah apa pun bila ada kesalahan; laporan menyebut lembar, baris dan kolomnya. "
    "Impor ulang berkas yang sama tidak mengubah apa pun.",
]


def instrument_workbook(rows: list[dict] | None = None) -> Workbook:
    """The template, empty or filled with `rows` (dicts keyed by COLUMNS)."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = SHEET
    sheet.append(COLUMNS)
    for cell in sheet[1]:
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = PatternFill("solid", fgColor="0B6E4F")
        cell.alignment = Alignment(vertical="top")
    for row in rows or []:
        # xlsx cannot hold control characters (text pasted from Word into the admin).
        values = [row.get(c) for c in COLUMNS]
        sheet.append([clean_text(v) if isinstance(v, str) else v for v in values])
        for cell in sheet[sheet.max_row]:
            as_text(cell)  # a question "=..." stays text, not a formula; "#N/A" not an error
    last = max(sheet.max_row, 1000)  # room to type below the rows, with the same rules
    for index, column in enumerate(COLUMNS, start=1):
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = WIDTHS.get(column, 12)
        if column in POINT_COLUMNS:
            for row_number in range(2, sheet.max_row + 1):
                sheet.cell(row=row_number, column=index).number_format = "0.00"
        if column in FLAG_COLUMNS:
            flags = DataValidation(type="list", formula1='"ya,tidak"', allow_blank=True)
            flags.add(f"{letter}2:{letter}{last}")
            sheet.add_data_validation(flags)
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = sheet.dimensions
    help_sheet = workbook.create_sheet(HELP_SHEET)
    for line in HELP:
        help_sheet.append([line])
    help_sheet["A1"].font = Font(bold=True, size=13)
    help_sheet.column_dimensions["A"].width = 120
    for (cell,) in help_sheet.iter_rows(min_row=2):
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    return workbook
