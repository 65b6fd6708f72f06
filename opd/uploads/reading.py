"""What an evidence file's text says: whether a PDF has a text layer (or is a scan), and the
document's number and date, for the verification risk (indicators/risk.py, opd/risk.py).

Two halves. `read_number` and `read_date` are pure: text in, the number ("Nomor:
188.45/123/2024", "NOMOR 5 TAHUN 2021") and the date ("tanggal 12 Maret 2024", "12-03-2024")
out, table-tested. `read_here` looks at a file: qpdf (pikepdf) opens the PDF and looks for text
operators in its first pages' content; the text itself comes from poppler's pdftotext, and a
scan's first page is rasterised by poppler's pdftoppm and read by Tesseract with the
Indonesian model. It runs in the content check's child process (isolation.py, child.py), under
the same memory limit and its own time limit, once the file was accepted: reading never
refuses a file.

The programs are optional at run time (Debian's poppler-utils, tesseract-ocr,
tesseract-ocr-ind): without them the reading says so ("no_ocr"), and the rule that needed it
says it could not check. A damaged or encrypted file is a problem code too, never an error.
"""

import datetime
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

# Why a file could not be read: the codes stored on EvidenceRevision.read_problem, worded by
# opd/risk.py in the reader's language.
DAMAGED, ENCRYPTED, NO_OCR, OCR_FAILED, NO_TEXT_TOOL, TOO_SLOW, MISSING = (
    "damaged",
    "encrypted",
    "no_ocr",
    "ocr_failed",
    "no_pdftotext",
    "too_slow",
    "missing",
)
PROBLEMS = (DAMAGED, ENCRYPTED, NO_OCR, OCR_FAILED, NO_TEXT_TOOL, TOO_SLOW, MISSING)

# The pages looked at: a decree's number and date are on its first page (the heading and the
# "ditetapkan di ... pada tanggal" at the end of a one-page SK); two pages of text are cheap.
TEXT_PAGES = 2
OCR_PAGES = 1
OCR_DPI = 200
# The characters of text kept for the regexes: the heading and the signature block.
TEXT_KEPT = 20_000

_MONTHS = {
    "januari": 1,
    "jan": 1,
    "februari": 2,
    "pebruari": 2,
    "feb": 2,
    "peb": 2,
    "maret": 3,
    "mar": 3,
    "april": 4,
    "apr": 4,
    "mei": 5,
    "juni": 6,
    "jun": 6,
    "juli": 7,
    "jul": 7,
    "agustus": 8,
    "agu": 8,
    "agt": 8,
    "ags": 8,
    "september": 9,
    "sep": 9,
    "sept": 9,
    "oktober": 10,
    "okt": 10,
    "november": 11,
    "nov": 11,
    "nopember": 11,
    "nop": 11,
    "desember": 12,
    "des": 12,
}
_MONTH_WORDS = "|".join(sorted(_MONTHS, key=len, reverse=True))
# "12 Maret 2024", "1 Juli 2023", "12 Mar. 2024"
_WORDED_DATE = re.compile(
    rf"\b(\d{{1,2}})\s+({_MONTH_WORDS})\.?\s+((?:19|20)\d\d)\b", re.IGNORECASE
)
# "12-03-2024", "12/03/2024", "12.03.2024" (day first, as Indonesia writes it)
_NUMERIC_DATE = re.compile(r"\b(\d{1,2})[-/.](\d{1,2})[-/.]((?:19|20)\d\d)\b")
# The date a document was set: "tanggal 12 Maret 2024", "pada tanggal : 12-03-2024".
_SET_ON = re.compile(r"\btanggal\s*:?\s*", re.IGNORECASE)
# "Nomor: 188.45/123/2024", "NOMOR 5 TAHUN 2021", "No. 12/KPTS/2024": the word, then a token
# of digits, letters and separators that holds a digit, then "Tahun YYYY" for a regulation.
_NUMBER = re.compile(
    r"\b(?:nomor|no)\b\.?\s*:?\s*"
    r"((?=[\w./\-]*\d)\w[\w.\-]*(?:[ \t]*/[ \t]*[\w.\-]+)*(?:\s+tahun\s+(?:19|20)\d\d)?)",
    re.IGNORECASE,
)


def _date(day: str, month: int, year: str) -> datetime.date | None:
    try:
        return datetime.date(int(year), month, int(day))
    except ValueError:
        return None


def _dates(text: str):
    """Every date in the text, in order, with where it starts."""
    found = []
    for match in _WORDED_DATE.finditer(text):
        day = _date(match[1], _MONTHS[match[2].lower()], match[3])
        if day:
            found.append((match.start(), day))
    for match in _NUMERIC_DATE.finditer(text):
        day = _date(match[1], int(match[2]), match[3])
        if day:
            found.append((match.start(), day))
    return sorted(found, key=lambda item: item[0])


def read_date(text: str) -> datetime.date | None:
    """The document's date: the one after "tanggal" (the day it was set), else the first
    date in the text; None when it names none."""
    dates = _dates(text or "")
    if not dates:
        return None
    for match in _SET_ON.finditer(text):
        after = [day for start, day in dates if 0 <= start - match.end() <= 2]
        if after:
            return after[0]
    return dates[0][1]


def read_number(text: str) -> str:
    """The document's number as written after "Nomor" (the first one), "" when none."""
    match = _NUMBER.search(text or "")
    if not match:
        return ""
    # OCR spaces the slashes ("188.45 / 7 / 2023"): the number is written without.
    number = re.sub(r"\s*/\s*", "/", re.sub(r"\s+", " ", match[1])).strip(" .-/")
    return number[:100]


def same_number(a: str, b: str) -> bool:
    """Whether two numbers are the same, however spaced or cased ("188.45/123/2024" and
    "188.45 / 123 / 2024"; "5 Tahun 2021" and "5 TAHUN 2021")."""
    return re.sub(r"\s+", "", a).upper() == re.sub(r"\s+", "", b).upper()


# --- Looking at a file (in the content check's child process) ----------------------------------


def _tool(name: str) -> str | None:
    return shutil.which(name)


def _run(args: list[str], seconds: int) -> subprocess.CompletedProcess:
    # One thread: the child's address-space limit holds for the programs too, and a machine
    # serving uploads has other work.
    env = {**os.environ, "OMP_THREAD_LIMIT": "1", "LC_ALL": "C.UTF-8"}
    return subprocess.run(  # noqa: S603 - fixed programs, our own temporary paths
        args, capture_output=True, timeout=seconds, check=False, env=env
    )


def _has_text_layer(pdf) -> bool:
    import pikepdf

    for page in list(pdf.pages)[:TEXT_PAGES]:
        for _operands, operator in pikepdf.parse_content_stream(page):
            if str(operator) in ("Tj", "TJ", "'", '"'):
                return True
    return False


def _pdf_text(path: Path, seconds: int) -> str | None:
    tool = _tool("pdftotext")
    if tool is None:
        return None
    done = _run([tool, "-q", "-l", str(TEXT_PAGES), "-enc", "UTF-8", str(path), "-"], seconds)
    return done.stdout.decode("utf-8", "replace")[:TEXT_KEPT] if done.returncode == 0 else ""


def _ocr_text(path: Path, seconds: int) -> str | None:
    """The first page's text by OCR; None when the programs are not installed, raises
    RuntimeError when they failed."""
    pdftoppm, tesseract = _tool("pdftoppm"), _tool("tesseract")
    if pdftoppm is None or tesseract is None:
        return None
    with tempfile.TemporaryDirectory(prefix="kla-ocr-") as work:
        image = Path(work) / "page"
        done = _run(
            [pdftoppm, "-q", "-r", str(OCR_DPI), "-gray", "-png", "-f", "1", "-l", str(OCR_PAGES)]
            + ["-singlefile", str(path), str(image)],
            seconds,
        )
        if done.returncode != 0:
            raise RuntimeError("pdftoppm failed")
        done = _run([tesseract, f"{image}.png", "stdout", "-l", "ind", "--psm", "3"], seconds)
        if done.returncode != 0:
            # No Indonesian model is the commonest failure: OCR is not really installed.
            if b"ind" in done.stderr and b"traineddata" in done.stderr:
                return None
            raise RuntimeError("tesseract failed")
        return done.stdout.decode("utf-8", "replace")[:TEXT_KEPT]


def read_here(path: Path, kind: str, seconds: int = 20) -> dict:
    """What the file at `path` says, as a plain dict (it crosses a pipe): text_layer (True,
    False for a scan, None when not a PDF), number, date (ISO), via ("text", "ocr" or ""),
    problem (a code of PROBLEMS or ""). Never raises for what the file holds."""
    result = {"text_layer": None, "number": "", "date": None, "via": "", "problem": ""}
    if kind != "pdf":
        return result
    import pikepdf

    try:
        with pikepdf.open(path) as pdf:
            result["text_layer"] = _has_text_layer(pdf)
    except pikepdf.PasswordError:
        result["problem"] = ENCRYPTED
        return result
    except Exception:
        # Whatever qpdf or the content parser makes of a broken file: it could not be read.
        result["problem"] = DAMAGED
        return result
    try:
        if result["text_layer"]:
            text, via, missing = _pdf_text(path, seconds), "text", NO_TEXT_TOOL
        else:
            text, via, missing = _ocr_text(path, seconds), "ocr", NO_OCR
    except subprocess.TimeoutExpired:
        result["problem"] = TOO_SLOW
        return result
    except (RuntimeError, OSError):
        result["problem"] = OCR_FAILED if not result["text_layer"] else DAMAGED
        return result
    if text is None:
        result["problem"] = missing
        return result
    day = read_date(text)
    result.update(number=read_number(text), date=day.isoformat() if day else None, via=via)
    return result
