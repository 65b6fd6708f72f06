"""The Excel recap of a period ("Rekap"): summary, one sheet per group, progress per unit.

Every figure is a plain value taken from the score document (indicators.score_document), not a
formula: a phone's viewer, a mail or WhatsApp preview shows a workbook's cached values and
openpyxl cannot write them, so formulas showed the headline totals blank there. An
indicator's subtotal is the engine's (capped at its maximum, rounded once), so the workbook's
totals equal the dashboard's. A question every kecamatan or desa answers shows the
engine's points (the share over the district's official number of units, through the
question's steps) and "Ya: k dari n (x%)" on its row, and each unit's answer on a detail row
below it (grouped, excluded from the sums). No figure is rounded here: the engine rounds once,
as the period says.

Every text cell goes through `write_cell`, so names, questions and notes people typed stay
text even when they start with "="; the workbook holds no formula at all.
"""

import re
from collections.abc import Iterable
from decimal import Decimal

from django.conf import settings
from django.utils import translation
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter, quote_sheetname

from core.text import write_cell
from indicators.models import Period
from kla.reports.common import (
    DETAIL_FONT,
    NUMBER_FORMAT,
    SUBTOTAL_FILL,
    SUBTOTAL_FONT,
    TOTAL_FILL,
    WRAP_TOP,
    as_float,
    jakarta,
    jakarta_now,
    print_setup,
    style_header_row,
)
from kla.reports.points import ReportScore, report_score
from kla.reports.rows import GroupRows, QuestionRow

SUMMARY_SHEET = "Ringkasan"
UNITS_SHEET = "Progres Unit"
DATETIME_FORMAT = "dd-mm-yyyy hh:mm"
PERCENT_FORMAT = "0.00%"

# Group sheets: (header, width). Points columns are I, J, K.
GROUP_COLUMNS = [
    ("Kelompok", 22),
    ("Kode indikator", 10),
    ("Nama indikator", 30),
    ("Kode pertanyaan", 10),
    ("Pertanyaan", 60),
    ("Unit utama", 14),
    ("Unit pendukung", 18),
    ("Status", 16),
    ("Nilai klaim", 10),
    ("Nilai terverifikasi", 12),
    ("Nilai maksimum", 10),
    ("Jumlah bukti", 9),
    ("Perubahan terakhir", 17),
    ("Catatan verifikator", 40),
    ("Dokumen terdaftar", 40),
]
COL_CLAIMED, COL_VERIFIED, COL_MAX, COL_EVIDENCE, COL_CHANGED = 9, 10, 11, 12, 13
GROUP_HEADER_ROW = 4

UNIT_COLUMNS = [
    ("Unit", 14),
    ("Nama unit", 36),
    ("Ditugaskan", 11),
    ("Dijawab", 10),
    ("Dengan bukti", 11),
    ("Diajukan", 10),
    ("Disetujui", 10),
    ("Persen diajukan", 11),
    ("Tertinggal jadwal", 11),
]
UNIT_HEADER_ROW = 4


def _indonesian(label) -> str:
    """A model's choice label as the Indonesian recap writes it, whatever the reader's
    language (the labels are the models' own, never a raw code)."""
    with translation.override("id"):
        return str(label)


_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


def sheet_title(name: str, taken: set[str]) -> str:
    """A valid, unique sheet name: no []:*?/\\, at most 31 characters, no quote at the ends."""
    base = _SHEET_FORBIDDEN.sub(" ", name)
    base = re.sub(r"\s+", " ", base).strip().strip("'").strip() or "Kelompok"
    candidate, n = base[:31].rstrip(), 1
    while candidate.lower() in taken:
        n += 1
        suffix = f" ({n})"
        candidate = base[: 31 - len(suffix)].rstrip() + suffix
    taken.add(candidate.lower())
    return candidate


def _names(units: Iterable) -> str:
    return ", ".join(u.short_name for u in units)


def _set_widths(ws, columns) -> None:
    for index, (_title, width) in enumerate(columns, start=1):
        ws.column_dimensions[get_column_letter(index)].width = width


def _write_header(ws, row: int, columns) -> None:
    for index, (title, _width) in enumerate(columns, start=1):
        write_cell(ws, row, index, title)
    style_header_row(ws, row, len(columns))
    ws.row_dimensions[row].height = 30


def _title(ws, text: str, subtitle: str) -> None:
    write_cell(ws, 1, 1, text).font = Font(bold=True, size=14)
    write_cell(ws, 2, 1, subtitle).font = Font(italic=True)


def _points(ws, row: int, column: int, value) -> None:
    # `value`: a number, never text.
    cell = ws.cell(row=row, column=column, value=value)
    cell.number_format = NUMBER_FORMAT


def _question_row(ws, row: int, group_name: str, item: QuestionRow, score: ReportScore) -> None:
    question = item.question
    indicator = question.indicator
    claimed, verified = score.question_points(question.pk)
    values = [
        group_name,
        indicator.code,
        indicator.name,
        question.code,
        question.text,
        item.lead.short_name if item.lead else "",
        _names(item.supporting),
        # A table: its share over the district's units beside the rows approved.
        f"{item.share_text} · {item.status_label}" if item.per_unit else item.status_label,
    ]
    for column, value in enumerate(values, start=1):
        write_cell(ws, row, column, value).alignment = WRAP_TOP
    _points(ws, row, COL_CLAIMED, as_float(claimed))
    _points(ws, row, COL_VERIFIED, as_float(verified))
    _points(ws, row, COL_MAX, as_float(question.max_points))
    ws.cell(row=row, column=COL_EVIDENCE, value=item.evidence_count)
    changed = ws.cell(row=row, column=COL_CHANGED, value=jakarta(item.last_change))
    changed.number_format = DATETIME_FORMAT
    write_cell(ws, row, 14, item.review_note).alignment = WRAP_TOP
    write_cell(ws, row, 15, "; ".join(item.documents)).alignment = WRAP_TOP


def _detail_rows(ws, row: int, item: QuestionRow) -> int:
    """One row per answering unit of a per-unit question, grouped under the question row."""
    for unit_answer in item.unit_answers:
        answer = unit_answer.answer
        write_cell(ws, row, 4, item.question.code)
        write_cell(ws, row, 5, f"↳ {unit_answer.unit.name}")
        write_cell(ws, row, 6, unit_answer.unit.short_name)
        write_cell(ws, row, 8, unit_answer.status_label)
        _points(ws, row, COL_CLAIMED, as_float(answer.claimed_points) if answer else 0.0)
        verified = answer.verified_points if answer and answer.is_final else None
        _points(ws, row, COL_VERIFIED, as_float(verified))
        _points(ws, row, COL_MAX, as_float(item.question.max_points))
        ws.cell(row=row, column=COL_EVIDENCE, value=unit_answer.evidence_count)
        changed = ws.cell(
            row=row, column=COL_CHANGED, value=jakarta(answer.updated_at) if answer else None
        )
        changed.number_format = DATETIME_FORMAT
        write_cell(ws, row, 14, answer.review_note if answer else "")
        write_cell(ws, row, 15, "; ".join(unit_answer.documents))
        for column in range(1, len(GROUP_COLUMNS) + 1):
            ws.cell(row=row, column=column).font = DETAIL_FONT
        ws.row_dimensions[row].outline_level = 1
        row += 1
    return row


def _style_total(ws, row: int, fill) -> None:
    for column in range(1, len(GROUP_COLUMNS) + 1):
        cell = ws.cell(row=row, column=column)
        cell.font = SUBTOTAL_FONT
        cell.fill = fill


def _indicator_points(score: ReportScore) -> dict[tuple[str, str], dict]:
    """(group name, indicator code) -> the document's indicator: its points as the engine
    counts them (the questions' exact sum, capped at the maximum, rounded once)."""
    return {
        (group["name"], indicator["code"]): indicator
        for group in score.document["groups"]
        for indicator in group["indicators"]
    }


def _decimal_float(text: str | None) -> float:
    return float(Decimal(text)) if text is not None else 0.0


def _group_sheet(ws, group_rows: GroupRows, score: ReportScore, district: str, year: int) -> int:
    """Write one group's sheet; returns the row of its total."""
    group = group_rows.group
    _title(ws, f"Rekap {group.name}", f"{district} · Periode {year}")
    _set_widths(ws, GROUP_COLUMNS)
    _write_header(ws, GROUP_HEADER_ROW, GROUP_COLUMNS)
    ws.sheet_properties.outlinePr.summaryBelow = False
    by_indicator = _indicator_points(score)

    row = GROUP_HEADER_ROW + 1
    totals = {COL_CLAIMED: 0.0, COL_VERIFIED: 0.0, COL_MAX: 0.0, COL_EVIDENCE: 0}
    for indicator_rows in group_rows.indicators:
        indicator = indicator_rows.indicator
        evidence = 0
        for item in indicator_rows.questions:
            _question_row(ws, row, group.name, item, score)
            evidence += item.evidence_count
            row += 1
            if item.per_unit:
                row = _detail_rows(ws, row, item)
        write_cell(ws, row, 1, group.name)
        write_cell(ws, row, 2, indicator.code)
        write_cell(ws, row, 3, f"Subtotal indikator {indicator.code}")
        points = by_indicator.get((group.name, indicator.code), {})
        subtotal = {
            COL_CLAIMED: _decimal_float(points.get("claimed")),
            COL_VERIFIED: _decimal_float(points.get("verified")),
            COL_MAX: as_float(indicator.max_points),
            COL_EVIDENCE: evidence,
        }
        for column, value in subtotal.items():
            if column == COL_EVIDENCE:
                ws.cell(row=row, column=column, value=value)
            else:
                _points(ws, row, column, value)
            totals[column] += value
        _style_total(ws, row, SUBTOTAL_FILL)
        row += 1

    write_cell(ws, row, 1, f"Total {group.name}")
    # The group's points as the engine adds them: the rounded indicators (the same sum).
    document_group = next((g for g in score.document["groups"] if g["name"] == group.name), {})
    totals[COL_CLAIMED] = _decimal_float(document_group.get("claimed"))
    totals[COL_VERIFIED] = _decimal_float(document_group.get("verified"))
    for column, value in totals.items():
        if column == COL_EVIDENCE:
            ws.cell(row=row, column=column, value=value)
        else:
            _points(ws, row, column, round(value, 2))
    _style_total(ws, row, TOTAL_FILL)
    total_row = row

    ws.freeze_panes = f"A{GROUP_HEADER_ROW + 1}"
    ws.auto_filter.ref = f"A{GROUP_HEADER_ROW}:{get_column_letter(len(GROUP_COLUMNS))}{total_row}"
    print_setup(ws, header_row=GROUP_HEADER_ROW)
    return total_row


def _units_sheet(ws, score: ReportScore, district: str, year: int) -> None:
    _title(ws, "Progres per unit", f"{district} · Periode {year}")
    _set_widths(ws, UNIT_COLUMNS)
    _write_header(ws, UNIT_HEADER_ROW, UNIT_COLUMNS)
    row = UNIT_HEADER_ROW + 1
    for progress in score.units:
        values = [
            progress.unit.short_name,
            progress.unit.name,
            progress.assigned,
            progress.answered,
            progress.with_evidence,
            progress.submitted,
            progress.approved,
        ]
        for column, value in enumerate(values, start=1):
            write_cell(ws, row, column, value)
        # As on the dashboard: the share of the unit's questions submitted (or approved).
        share = progress.submitted / progress.assigned if progress.assigned else 0
        percent = ws.cell(row=row, column=8, value=share)
        percent.number_format = "0%"
        write_cell(ws, row, 9, "Ya" if progress.behind else "")
        row += 1
    last = max(row - 1, UNIT_HEADER_ROW + 1)
    ws.freeze_panes = f"C{UNIT_HEADER_ROW + 1}"
    ws.auto_filter.ref = f"A{UNIT_HEADER_ROW}:{get_column_letter(len(UNIT_COLUMNS))}{last}"
    print_setup(ws, header_row=UNIT_HEADER_ROW)


SUMMARY_TABLE_ROW = 16  # header of the per-group table on the summary sheet
SUMMARY_COLUMNS = [
    ("Kelompok", 44),
    ("Nilai maksimum", 18),  # also "Dibuat pada": dd-mm-yyyy hh:mm needs 16 and a margin
    ("Maksimum tertulis", 14),
    ("Nilai klaim", 12),
    ("Nilai terverifikasi", 14),
    ("Nilai potensial", 12),
    ("Persen terverifikasi", 12),
    ("Lembar", 24),
]


def _summary_sheet(ws, period: Period, score: ReportScore, groups: list[tuple]) -> None:
    """Key figures on top, then one row per group pointing at the group sheets' totals."""
    _title(ws, "Rekapitulasi Evaluasi Kabupaten/Kota Layak Anak (KLA)", "Penilaian mandiri")
    _set_widths(ws, SUMMARY_COLUMNS)
    facts = [
        ("Kabupaten/Kota", settings.KLA_DISTRICT_NAME),
        ("Periode", period.year),
        ("Status periode", _indonesian(Period.Status(period.status).label)),
        ("Dibuat pada (WIB)", jakarta(jakarta_now())),
    ]
    for offset, (label, value) in enumerate(facts):
        write_cell(ws, 4 + offset, 1, label).font = SUBTOTAL_FONT
        cell = write_cell(ws, 4 + offset, 2, value)
        cell.alignment = Alignment(horizontal="left")
        if label.startswith("Dibuat"):
            cell.number_format = DATETIME_FORMAT

    first = SUMMARY_TABLE_ROW + 1
    total_row = first + len(groups)
    # Key figures: rows 9-14, columns A (label), B (points), C (rank).
    for column, title in enumerate(("Ukuran", "Nilai", "Peringkat"), start=1):
        write_cell(ws, 9, column, title)
    style_header_row(ws, 9, 3)
    document = score.document
    rank = document["rank"]
    verified = _decimal_float(document["verified"])
    key_rows = [
        ("Nilai klaim (penilaian mandiri)", _decimal_float(document["claimed"]), rank["claimed"]),
        ("Nilai terverifikasi", verified, rank["verified"]),
        ("Nilai potensial", _decimal_float(document["potential"]), rank["potential"]),
    ]
    if document["target"]:
        lower = as_float(score.target_lower)
        gap = document["gap_to_target"]
        key_rows += [
            ("Target peringkat (batas bawah)", lower, document["target"]),
            (
                "Kekurangan menuju target (dari nilai terverifikasi)",
                _decimal_float(gap) if gap is not None else round(max(0.0, lower - verified), 2),
                "",
            ),
        ]
    else:
        key_rows += [
            ("Target peringkat", None, "Belum ditetapkan"),
            ("Kekurangan menuju target", None, ""),
        ]
    for offset, (label, value, rank) in enumerate(key_rows):
        row = 10 + offset
        write_cell(ws, row, 1, label)
        if value is None:
            write_cell(ws, row, 2, "—")
        else:
            _points(ws, row, 2, value)
        write_cell(ws, row, 3, rank or "—")
    write_cell(
        ws,
        15,
        1,
        "Nilai potensial: nilai terverifikasi ditambah nilai klaim jawaban yang sedang "
        "menunggu verifikasi. Nilai indikator dibatasi pada nilai maksimumnya.",
    ).font = Font(italic=True)

    _write_header(ws, SUMMARY_TABLE_ROW, SUMMARY_COLUMNS)
    by_name = {g["name"]: g for g in document["groups"]}
    for offset, (group_rows, title, _total_row) in enumerate(groups):
        row = first + offset
        group = group_rows.group
        figures = by_name.get(group.name, {})
        maximum = _decimal_float(figures.get("max_points"))
        group_verified = _decimal_float(figures.get("verified"))
        write_cell(ws, row, 1, group.name)
        _points(ws, row, 2, maximum)
        _points(
            ws, row, 3, as_float(group.declared_max_points) if group.declared_max_points else None
        )
        _points(ws, row, 4, _decimal_float(figures.get("claimed")))
        _points(ws, row, 5, group_verified)
        _points(ws, row, 6, _decimal_float(figures.get("potential")))
        percent = ws.cell(row=row, column=7, value=group_verified / maximum if maximum else 0)
        percent.number_format = PERCENT_FORMAT
        link = write_cell(ws, row, 8, title)
        link.hyperlink = f"#{quote_sheetname(title)}!A1"
    write_cell(ws, total_row, 1, "Total")
    # No total of the declared maxima: the 2024 instrument's add up to 1035 next to 1000
    # effective points, which reads as if the district could earn 1035.
    maximum = _decimal_float(document["max_points"]) if groups else 0.0
    for column, value in (
        (2, maximum),
        (4, _decimal_float(document["claimed"])),
        (5, verified),
        (6, _decimal_float(document["potential"])),
    ):
        _points(ws, total_row, column, value if groups else 0.0)
    percent = ws.cell(
        row=total_row, column=7, value=verified / maximum if groups and maximum else 0
    )
    percent.number_format = PERCENT_FORMAT
    for column in range(1, len(SUMMARY_COLUMNS) + 1):
        ws.cell(row=total_row, column=column).font = SUBTOTAL_FONT
        ws.cell(row=total_row, column=column).fill = TOTAL_FILL

    ws.freeze_panes = f"A{SUMMARY_TABLE_ROW + 1}"
    ws.auto_filter.ref = f"A{SUMMARY_TABLE_ROW}:H{total_row}"
    print_setup(ws, header_row=SUMMARY_TABLE_ROW)


def rekap_workbook(*, period: Period) -> Workbook:
    """The recap of `period`, in a fixed number of queries whatever its size."""
    score = report_score(period=period)
    district = settings.KLA_DISTRICT_NAME
    wb = Workbook()
    summary = wb.active
    summary.title = SUMMARY_SHEET
    taken = {SUMMARY_SHEET.lower(), UNITS_SHEET.lower()}
    groups = []
    for group_rows in score.rows:
        title = sheet_title(group_rows.group.name, taken)
        total_row = _group_sheet(wb.create_sheet(title), group_rows, score, district, period.year)
        groups.append((group_rows, title, total_row))
    _units_sheet(wb.create_sheet(UNITS_SHEET), score, district, period.year)
    _summary_sheet(summary, period, score, groups)
    wb.properties.title = f"Rekap KLA {period.year}"
    wb.properties.creator = district
    return wb
