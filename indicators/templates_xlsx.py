"""The instrument's xlsx template: one row per question, the columns the importer reads."""

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill

from indicators.importers import COLUMNS, SHEET

WIDTHS = {
    "group": 28, "indicator_name": 40, "question_text": 70, "units": 36, "indicator_code": 14,
    "question_code": 14,
}  # fmt: skip
HELP = [
    "Petunjuk pengisian templat instrumen KLA",
    "",
    "Satu baris untuk setiap pertanyaan pada lembar 'Instrumen'. Kolom kelompok dan indikator "
    "diulang pada setiap baris.",
    "group: nama kelompok (KELEMBAGAAN, KLASTER I, ...). group_max_points: nilai maksimal "
    "yang tertulis di instrumen (boleh kosong).",
    "indicator_code: misalnya 21 A. indicator_max_points: nilai maksimal indikator.",
    "question_code, question_text, question_order, max_points: data pertanyaan; nilai memakai "
    "titik atau koma desimal.",
    "every_kecamatan / every_desa: ya atau tidak; pertanyaan dijawab oleh setiap kecamatan "
    "atau desa/kelurahan.",
    "units: nama singkat unit dipisahkan titik koma; unit pertama adalah penanggung jawab.",
    "claimed_points / verified_points: opsional, untuk memuat hasil periode lalu.",
    "Impor tidak mengubah apa pun bila ada kesalahan; laporan menyebut lembar, baris dan kolomnya.",
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
        sheet.append([row.get(c) for c in COLUMNS])
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = sheet.dimensions
    for index, column in enumerate(COLUMNS, start=1):
        letter = sheet.cell(row=1, column=index).column_letter
        sheet.column_dimensions[letter].width = WIDTHS.get(column, 12)
    help_sheet = workbook.create_sheet("Petunjuk")
    for line in HELP:
        help_sheet.append([line])
    help_sheet["A1"].font = Font(bold=True)
    help_sheet.column_dimensions["A"].width = 120
    return workbook
