"""The ministry's points from a workbook: the product's template (code, official points, note)
or a ministry export whose headers differ ("Kode", "Nilai Verifikasi", "Keterangan").

Reading is in three steps, so the page can ask when a header is not recognised: read the
sheet (headers and rows), map the columns (by known header spellings, or as the secretariat
chose), then check every row against the period's codes. One bad row refuses the file:
every row's problem is listed and nothing is written (the service records the rest).
"""

import io
import re
import string
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font, PatternFill

from core.formats import points as points_text
from core.text import as_text

SHEET = "Nilai Resmi"
FIELDS = ("code", "points", "note")
TEMPLATE_HEADERS = {"code": "kode", "points": "nilai_resmi", "note": "catatan"}
# Header spellings seen in templates and ministry exports, normalised (see _normal).
SPELLINGS = {
    "code": {
        "kode",
        "code",
        "kode pertanyaan",
        "kode indikator",
        "kode soal",
        "kode butir",
        "no pertanyaan",
        "nomor",
        "no",
    },
    "points": {
        "nilai resmi",
        "official points",
        "points",
        "nilai",
        "nilai verifikasi",
        "nilai hasil verifikasi",
        "nilai akhir",
        "nilai kementerian",
        "skor",
        "skor verifikasi",
        "poin",
        "nilai verifikator",
    },
    "note": {"catatan", "note", "keterangan", "catatan verifikator", "catatan verifikasi"},
}
_PUNCTUATION = re.compile(f"[{re.escape(string.punctuation)}]+")
MAX_ROWS = 5000


def _normal(text) -> str:
    """A header or code as compared: case folded, punctuation and underscores as spaces,
    spaces collapsed."""
    return " ".join(_PUNCTUATION.sub(" ", str(text or "")).casefold().split())


def code_key(text) -> str:
    """A code as looked up: "21 A / 2a", "21A/2A" and "21a / 2a" are the same question."""
    return "".join(str(text or "").casefold().split())


class OfficialFileError(Exception):
    """The file is not a workbook this importer can read."""


@dataclass
class Sheet:
    headers: list[str]
    rows: list[tuple[int, tuple]]  # (row number in the sheet, cell values)


def read_sheet(data: bytes) -> Sheet:
    """The first sheet's header row (its first row with any text) and the rows under it."""
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # noqa: BLE001 - any unreadable file is the same answer to the person
        raise OfficialFileError(_("The file is not an .xlsx workbook.")) from None
    sheet = workbook[SHEET] if SHEET in workbook.sheetnames else workbook.worksheets[0]
    headers, rows = None, []
    for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
        if headers is None:
            if any(isinstance(v, str) and v.strip() for v in values):
                headers = [str(v).strip() if v is not None else "" for v in values]
            continue
        if all(v is None or (isinstance(v, str) and not v.strip()) for v in values):
            continue
        rows.append((number, tuple(values)))
        if len(rows) > MAX_ROWS:
            raise OfficialFileError(_("The file has more than %(n)s rows.") % {"n": MAX_ROWS})
    workbook.close()
    if headers is None:
        raise OfficialFileError(_("The file has no header row."))
    return Sheet(headers=headers, rows=rows)


def guess_mapping(headers: list[str]) -> dict[str, int | None]:
    """Each field's column by its header's spelling (the first match), None when none fits."""
    mapping: dict[str, int | None] = dict.fromkeys(FIELDS)
    normal = [_normal(h) for h in headers]
    for name in FIELDS:
        mapping[name] = next((i for i, h in enumerate(normal) if h in SPELLINGS[name]), None)
    return mapping


def mapping_complete(mapping: dict[str, int | None]) -> bool:
    return mapping.get("code") is not None and mapping.get("points") is not None


def parse_number(value) -> Decimal:
    """A cell's number: a number cell, or text with a decimal comma or point (588,40; 588.40;
    1.000,50). Raises ValueError for anything else."""
    if isinstance(value, bool):
        raise ValueError(value)
    if isinstance(value, int | float | Decimal):
        number = Decimal(str(value))
    else:
        text = str(value).strip().replace(" ", "")
        if "," in text and "." in text:
            text = text.replace(".", "").replace(",", ".")
        else:
            text = text.replace(",", ".")
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise ValueError(value) from None
    if not number.is_finite():
        raise ValueError(value)
    return number


@dataclass(frozen=True)
class Target:
    """What a code names: a level (question, indicator, group), its id, maximum and label."""

    level: str
    id: int
    maximum: Decimal
    label: str


@dataclass
class Parsed:
    entries: list[tuple[str, int, Decimal, str]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def parse_rows(sheet: Sheet, mapping: dict[str, int | None], targets: dict[str, Target]) -> Parsed:
    """Every row checked against `targets` (code_key -> Target): unknown codes, text where a
    number belongs, more than two decimals, points above the maximum, a code given twice.
    A row without points is skipped (nothing to record)."""
    parsed = Parsed()
    seen: dict[str, int] = {}

    def cell(values, name):
        index = mapping.get(name)
        return values[index] if index is not None and index < len(values) else None

    for number, values in sheet.rows:
        code, raw, note = cell(values, "code"), cell(values, "points"), cell(values, "note")
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            continue
        label = _("Row %(n)s") % {"n": number}
        if code is None or not str(code).strip():
            parsed.problems.append(_("%(row)s: the code is empty.") % {"row": label})
            continue
        target = targets.get(code_key(code))
        if target is None:
            parsed.problems.append(
                _(
                    "%(row)s: the code “%(code)s” is not a question, indicator or group of "
                    "this period."
                )
                % {"row": label, "code": code}
            )
            continue
        try:
            points = parse_number(raw)
        except ValueError:
            parsed.problems.append(
                _("%(row)s: “%(value)s” is not a number (official points of %(code)s).")
                % {"row": label, "value": raw, "code": code}
            )
            continue
        if points != points.quantize(Decimal("0.01")):
            parsed.problems.append(
                _("%(row)s: %(value)s has more than two decimals.") % {"row": label, "value": raw}
            )
            continue
        points = points.quantize(Decimal("0.01"))
        if points < 0:
            parsed.problems.append(
                _("%(row)s: the points of %(code)s cannot be negative.")
                % {"row": label, "code": code}
            )
            continue
        if points > target.maximum:
            parsed.problems.append(
                _("%(row)s: %(points)s points for %(code)s is above its maximum of %(max)s.")
                % {
                    "row": label,
                    "points": points_text(points),
                    "code": code,
                    "max": points_text(target.maximum),
                }
            )
            continue
        key = (target.level, target.id)
        if key in seen:
            parsed.problems.append(
                _("%(row)s: %(code)s was already given in row %(first)s.")
                % {"row": label, "code": code, "first": seen[key]}
            )
            continue
        seen[key] = number
        parsed.entries.append((target.level, target.id, points, str(note or "").strip()))
    return parsed


def template_workbook(rows: list[tuple[str, str, Decimal]]) -> bytes:
    """The template: one row per code (question, then its indicator and group where only
    those are published), with its text and maximum to read; the secretariat fills in the
    official points and notes."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = SHEET
    headers = [TEMPLATE_HEADERS["code"], "uraian", "nilai_maksimal", TEMPLATE_HEADERS["points"]]
    headers.append(TEMPLATE_HEADERS["note"])
    sheet.append(headers)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
    for code, text, maximum in rows:
        sheet.append([code, text, float(maximum), None, None])
        for cell in sheet[sheet.max_row]:
            as_text(cell)
    for letter, width in zip("ABCDE", (14, 70, 14, 14, 40), strict=True):
        sheet.column_dimensions[letter].width = width
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
