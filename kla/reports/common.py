"""Small helpers shared by the workbook builders: time, safe names, text cells, styling."""

import contextlib
import datetime
import mimetypes
import os
import re
import tempfile
import zoneinfo
from decimal import Decimal
from pathlib import Path

from django.utils import timezone
from django.utils.text import slugify
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.worksheet.worksheet import Worksheet

JAKARTA = zoneinfo.ZoneInfo("Asia/Jakarta")
NUMBER_FORMAT = "0.00"

# What the upload check accepts, with the extension a file of that type gets in a bundle.
EXTENSIONS = {
    "application/pdf": ".pdf",
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "image/webp": ".webp",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ".xlsx",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": ".pptx",
    "application/msword": ".doc",
    "application/vnd.ms-excel": ".xls",
    "application/vnd.ms-powerpoint": ".ppt",
    "application/vnd.oasis.opendocument.text": ".odt",
    "application/vnd.oasis.opendocument.spreadsheet": ".ods",
    "application/zip": ".zip",
    "text/csv": ".csv",
    "text/plain": ".txt",
    "video/mp4": ".mp4",
}

HEADER_FONT = Font(bold=True, color="FFFFFF")
HEADER_FILL = PatternFill("solid", fgColor="0B6E4F")
SUBTOTAL_FONT = Font(bold=True)
SUBTOTAL_FILL = PatternFill("solid", fgColor="E8F3EE")
TOTAL_FILL = PatternFill("solid", fgColor="C9E4D8")
DETAIL_FONT = Font(italic=True, color="555555")
THIN = Side(style="thin", color="B0B0B0")
HEADER_BORDER = Border(bottom=THIN)
WRAP_TOP = Alignment(wrap_text=True, vertical="top")
HEADER_ALIGNMENT = Alignment(wrap_text=True, vertical="center")


def jakarta_now() -> datetime.datetime:
    return timezone.now().astimezone(JAKARTA)


def jakarta(moment: datetime.datetime | None) -> datetime.datetime | None:
    """A stored moment as Jakarta wall-clock time without tzinfo (Excel has no time zones)."""
    if moment is None:
        return None
    return moment.astimezone(JAKARTA).replace(tzinfo=None)


def as_float(value: Decimal | None) -> float:
    """Points as a number for a cell; two decimals are exact enough for a float."""
    return float(value) if value is not None else 0.0


_UNSAFE = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*]+')


# Names Windows keeps for devices, in any case, with any extension and trailing dots or
# blanks: "CON.pdf" unzips to nothing, or makes Explorer stop with an error.
_DEVICE_NAMES = frozenset(
    ["CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"]
    + [f"{port}{n}" for port in ("COM", "LPT") for n in [*"0123456789", "¹", "²", "³"]]
)


def not_device_name(name: str) -> str:
    """`name`, with "_" after its first part if Windows reserves that part for a device:
    "CON.pdf" -> "CON_.pdf", "lpt1" -> "lpt1_"; every other name unchanged."""
    first, dot, rest = name.partition(".")
    if first.rstrip(" .").upper() not in _DEVICE_NAMES:
        return name
    return f"{first.rstrip(' .')}_{dot}{rest}"


def safe_component(text: str, *, max_length: int = 80, fallback: str = "tanpa-nama") -> str:
    """A folder or file name that every unzip tool and file system accepts, still readable."""
    cleaned = _UNSAFE.sub("-", str(text))
    cleaned = re.sub(r"\s+", " ", cleaned).strip(" .-")
    cleaned = cleaned[:max_length].rstrip(" .-")
    return not_device_name(cleaned or fallback)


def extension_for(content_type: str, original_name: str = "") -> str:
    """The extension of the detected type; the uploaded name is only a last resort."""
    if content_type in EXTENSIONS:
        return EXTENSIONS[content_type]
    guessed = mimetypes.guess_extension(content_type or "")
    if guessed:
        return guessed
    suffix = original_name.rsplit(".", 1)[-1] if "." in original_name else ""
    suffix = slugify(suffix)[:8]
    return f".{suffix}" if suffix else ".bin"


def safe_file_name(original_name: str, content_type: str, *, max_length: int = 80) -> str:
    """A slugified name with the extension of the detected type: 'perbup-kla-2024.pdf'."""
    base = re.split(r"[\\/]", original_name)[-1]
    stem = base.rsplit(".", 1)[0] if "." in base else base
    stem = slugify(stem)[:max_length].strip("-") or "berkas"
    return not_device_name(stem + extension_for(content_type, original_name))


def unique_name(name: str, taken: set[str]) -> str:
    """`name`, or `name-2`, `name-3`... before the extension; `taken` is updated (no case)."""
    stem, dot, ext = name.rpartition(".")
    if not dot:
        stem, ext = name, ""
    candidate, n = name, 1
    while candidate.lower() in taken:
        n += 1
        candidate = f"{stem}-{n}.{ext}" if dot else f"{stem}-{n}"
    taken.add(candidate.lower())
    return candidate


def unique_folder(folder: str, taken: set[str]) -> str:
    """`folder`, or `folder (2)`, `folder (3)`... ; `taken` is updated (no case: Windows and
    macOS would merge two folders that differ only in case)."""
    candidate, n = folder, 1
    while candidate.lower() in taken:
        n += 1
        candidate = f"{folder} ({n})"
    taken.add(candidate.lower())
    return candidate


def style_header_row(ws, row: int, n_columns: int) -> None:
    for column in range(1, n_columns + 1):
        cell = ws.cell(row=row, column=column)
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL
        cell.alignment = HEADER_ALIGNMENT
        cell.border = HEADER_BORDER


def print_setup(ws, *, header_row: int) -> None:
    """A4 landscape, fit to the page width, header row repeated on every printed page."""
    ws.page_setup.paperSize = Worksheet.PAPERSIZE_A4
    ws.page_setup.orientation = Worksheet.ORIENTATION_LANDSCAPE
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = f"{header_row}:{header_row}"
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.page_margins.top = ws.page_margins.bottom = 0.5


@contextlib.contextmanager
def atomic_output(path: str | os.PathLike):
    """A binary file that appears at `path` only once it is completely written."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(
        dir=target.parent, prefix=f".{target.name}.", suffix=".part"
    )
    try:
        with os.fdopen(handle, "wb") as out:
            yield out
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
