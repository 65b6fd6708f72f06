"""Text that people typed, written into workbooks safely (instrument template, recap, bundle)."""

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell


def as_text(cell: Cell) -> Cell:
    """`cell`, a str value in it stored as text whatever it starts with.

    openpyxl stores a str that starts with "=" as a formula (and "#N/A" and the like as an
    error value), so a unit name, question or review note typed as "=HYPERLINK(...)" would run
    in the reader's Excel. An xlsx cell marked as text is never evaluated, whatever it starts
    with ("=", "+", "-", "@"), and shows exactly what was typed: no apostrophe, unlike the CSV
    export. Numbers, dates and empty cells keep their type. Works on write-only cells too.
    """
    if isinstance(cell.value, str):
        cell.data_type = "s"
    return cell


def printable(value):
    """`value` without the control characters an xlsx cannot hold (a vertical tab pasted from
    Word would make openpyxl refuse the whole workbook); other values unchanged."""
    if isinstance(value, str):
        return ILLEGAL_CHARACTERS_RE.sub("", value)
    return value


def write_cell(ws, row: int, column: int, value) -> Cell:
    """ws.cell(row, column, value) for a value that may be someone's text: never a formula,
    never a character that breaks the workbook.

    The formulas a builder writes on purpose (totals) go through ws.cell directly.
    """
    return as_text(ws.cell(row=row, column=column, value=printable(value)))
