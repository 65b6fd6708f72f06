"""Reading an instrument file (JSON or the xlsx template) into plain, validated values.

No database access here: the parse either yields a complete ParsedInstrument with a list of
issues (warnings and errors), or raises InstrumentFileError naming every place where the file
is broken (sheet, row and column, or a JSON path such as clusters[1].indicators[0].max_points).
The importer writes only when there is no error.
"""

import json
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

from django.utils.translation import gettext as _

from indicators.steps import parse_steps

SHEET = "Instrumen"
HELP_SHEET = "Petunjuk"
COLUMNS = [
    "group",
    "group_order",
    "group_max_points",
    "indicator_code",
    "indicator_name",
    "indicator_order",
    "indicator_max_points",
    "question_code",
    "question_text",
    "question_order",
    "max_points",
    "every_kecamatan",
    "every_desa",
    "units",
    "claimed_points",
    "verified_points",
    "options",
    "rows_filled_by",
    "steps",
]
REQUIRED_COLUMNS = COLUMNS[:14]
TWO = Decimal("0.01")
ZERO = Decimal("0.00")
# The scale is 1000 points (rank bands stop there): a larger number is a typing mistake.
MAX_POINTS = Decimal("1000.00")
MAX_ORDER = 32767  # PositiveSmallIntegerField
# Sizes of the model fields the importer writes, checked here so the database never has to.
MAX_LENGTH = {
    "group": 200,
    "indicator_code": 20,
    "indicator_name": 500,
    "question_code": 20,
    "unit": 60,
}
ERROR, WARNING = "error", "warning"
# Control characters (pasted from word processors) that xlsx cannot hold; a vertical tab is
# Word's line break.
CONTROL = re.compile(r"[\x00-\x08\x0c\x0e-\x1f]")


def clean_text(value: str) -> str:
    return CONTROL.sub("", value.replace("\x0b", "\n"))


class InstrumentFileError(Exception):
    """The file cannot be read as an instrument; `problems` says where and why."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class ImportIssue:
    level: str  # ERROR (the import refuses) or WARNING (reported, imported as it is)
    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.level.upper()}: {self.where}: {self.message}"


@dataclass
class ParsedQuestion:
    code: str
    text: str
    order: int
    max_points: Decimal
    every_kecamatan: bool
    every_desa: bool
    units: list[str]  # short names, lead first
    evidence: str  # a Question.Evidence value
    claimed_points: Decimal | None = None
    verified_points: Decimal | None = None
    where: str = ""
    # Answer options with their points, in order: [("Perda", Decimal("24.00")), ...].
    options: list[tuple[str, Decimal]] = field(default_factory=list)
    # Question.RowsFilledBy: who fills the rows of a question every kecamatan or desa answers.
    rows_filled_by: str = "units"
    # A percentage question's steps in their stored form (indicators.steps): [[lower %, points]].
    steps: list[list[str]] = field(default_factory=list)


@dataclass
class ParsedIndicator:
    code: str
    name: str
    order: int
    max_points: Decimal
    questions: list[ParsedQuestion] = field(default_factory=list)
    where: str = ""


@dataclass
class ParsedGroup:
    name: str
    order: int
    declared_max_points: Decimal | None
    indicators: list[ParsedIndicator] = field(default_factory=list)
    where: str = ""


@dataclass
class ParsedInstrument:
    groups: list[ParsedGroup]
    issues: list[ImportIssue] = field(default_factory=list)

    @property
    def errors(self) -> list[ImportIssue]:
        return [i for i in self.issues if i.level == ERROR]

    @property
    def warnings(self) -> list[ImportIssue]:
        return [i for i in self.issues if i.level == WARNING]

    @property
    def indicators(self) -> list[ParsedIndicator]:
        return [i for g in self.groups for i in g.indicators]

    @property
    def questions(self) -> list[ParsedQuestion]:
        return [q for i in self.indicators for q in i.questions]

    @property
    def max_points(self) -> Decimal:
        """The total of the indicators' maxima (1000.00 for a complete instrument)."""
        return sum((i.max_points for i in self.indicators), ZERO)

    @property
    def unit_names(self) -> list[str]:
        return list(dict.fromkeys(u for q in self.questions for u in q.units))


def strip_prefix(code: str, prefix: str) -> str:
    """ "Indikator 21 A" -> "21 A", "Pertanyaan 2a" -> "2a" (whitespace normalised)."""
    code = " ".join(str(code).split())
    if code.lower().startswith(prefix.lower() + " "):
        code = code[len(prefix) + 1 :]
    return code


def evidence_kind(text: str) -> str:
    """What the question asks to attach, from its wording ("Lampirkan MATRIKS ... foto")."""
    lowered = text.lower()
    if "matriks" in lowered and "foto" in lowered:
        return "photo"
    if "matriks" in lowered:
        return "matrix"
    return "document"


# --- Cell and value readers: each appends a problem naming `where` instead of raising --------


def _not_a_number(where, value, problems) -> None:
    problems.append(_("%(where)s: “%(value)s” is not a number.") % {"where": where, "value": value})


def _points(value, where: str, problems: list[str], *, required: bool = True) -> Decimal | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            problems.append(_("%(where)s: a number is required.") % {"where": where})
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float, str, Decimal)):
        _not_a_number(where, value, problems)
        return None
    try:
        number = Decimal(str(value).strip().replace(",", "."))
    except InvalidOperation:
        _not_a_number(where, value, problems)
        return None
    if not number.is_finite():
        _not_a_number(where, value, problems)
        return None
    if number < 0:
        problems.append(
            _("%(where)s: points cannot be negative (%(value)s).")
            % {"where": where, "value": value}
        )
        return None
    if number > MAX_POINTS:
        problems.append(
            _("%(where)s: %(value)s is more than %(max)s points.")
            % {"where": where, "value": value, "max": MAX_POINTS}
        )
        return None
    return number.quantize(TWO)


def _order(value, where: str, problems: list[str], default: int) -> int:
    if value is None or value == "":
        return default
    try:
        if isinstance(value, bool):
            raise ValueError
        number = int(Decimal(str(value).strip()))
    except (InvalidOperation, ValueError, OverflowError):
        problems.append(
            _("%(where)s: “%(value)s” is not a whole number.") % {"where": where, "value": value}
        )
        return default
    if number > MAX_ORDER:
        problems.append(
            _("%(where)s: “%(value)s” is not a whole number.") % {"where": where, "value": value}
        )
        return default
    return max(number, 0)


def _flag(value, where: str, problems: list[str]) -> bool:
    if isinstance(value, bool):
        return value
    text = "" if value is None else str(value).strip().lower()
    if text in ("", "0", "false", "no", "tidak", "n"):
        return False
    if text in ("1", "true", "yes", "ya", "y", "x"):
        return True
    problems.append(_("%(where)s: “%(value)s” is not yes/no.") % {"where": where, "value": value})
    return False


def _text(value, where: str, problems: list[str]) -> str:
    """A name or code: text or a number (Excel turns code 1 into 1 or 1.0); whitespace folded."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, (str, int, float, Decimal)):
        problems.append(_("%(where)s: a text is expected.") % {"where": where})
        return ""
    return " ".join(clean_text(str(value)).split())


def _body(value, where: str, problems: list[str]) -> str:
    """A question text as written (line breaks kept), trimmed, without control characters."""
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, (str, int, float, Decimal)):
        problems.append(_("%(where)s: a text is expected.") % {"where": where})
        return ""
    return clean_text(str(value)).strip()


def _list(container: dict, key: str, where: str, problems: list[str]) -> list:
    value = container.get(key)
    if not isinstance(value, list):
        problems.append(_("%(where)s: a list is expected.") % {"where": f"{where}.{key}"})
        return []
    return value


def _units(value, where: str, problems: list[str]) -> list[str]:
    """Unit names, lead first: a JSON list or a "Dinkes; Dinsos" string."""
    if value is None:
        return []
    if isinstance(value, str):
        value = value.split(";")
    if not isinstance(value, list):
        problems.append(_("%(where)s: a list is expected.") % {"where": where})
        return []
    names = []
    for index, item in enumerate(value):
        name = _text(item, f"{where}[{index}]", problems)
        if name and name not in names:
            names.append(name)
    return names


def _options(value, where: str, problems: list[str]) -> list[tuple[str, Decimal]]:
    """Answer options: a JSON list of {"label", "points"}, or "Perda=24; Perbup=18"."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return []
    if isinstance(value, str):
        items = []
        for index, part in enumerate(p for p in value.split(";") if p.strip()):
            label, sep, points = part.rpartition("=")
            if not sep:
                problems.append(
                    _("%(where)s: write each option as label=points, got “%(part)s”.")
                    % {"where": where, "part": part.strip()}
                )
                continue
            items.append({"label": label, "points": points, "at": f"{where}[{index}]"})
    elif isinstance(value, list):
        items = [
            {**item, "at": f"{where}[{index}]"} if isinstance(item, dict) else {"at": None}
            for index, item in enumerate(value)
        ]
    else:
        problems.append(_("%(where)s: a list is expected.") % {"where": where})
        return []
    options = []
    for item in items:
        if item["at"] is None:
            problems.append(_("%(where)s: an object is expected.") % {"where": where})
            continue
        label = _text(item.get("label"), f"{item['at']}.label", problems)
        points = _points(item.get("points"), f"{item['at']}.points", problems)
        if label and points is not None:
            options.append((label[:300], points))
    return options


_ROWS_FILLED_BY = {
    "units": "units",
    "unit": "units",
    "kecamatan": "units",
    "sendiri": "units",
    "coordinator": "coordinator",
    "koordinator": "coordinator",
}


def _rows_filled_by(value, where: str, problems: list[str]) -> str:
    """Who fills a per-unit question's rows: "units" (each kecamatan, the default) or
    "coordinator"; Indonesian words are taken too."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return "units"
    found = _ROWS_FILLED_BY.get(str(value).strip().casefold())
    if found is None:
        problems.append(
            _("%(where)s: write “kecamatan” or “koordinator”, got “%(value)s”.")
            % {"where": where, "value": value}
        )
        return "units"
    return found


def _steps(value, max_points, where: str, problems: list[str]) -> list[list[str]]:
    """A percentage question's steps (indicators.steps): "0-25: 0,75; 25-100: 3" or a JSON
    list; a table that leaves a share uncovered or overlaps is a problem naming the place."""
    count = len(problems)
    maximum = _points(max_points, where, problems, required=False)
    del problems[count:]  # the maximum's own problem is reported at its own column
    stored, found = parse_steps(value, maximum or ZERO, where)
    problems += found
    return stored


# --- JSON ----------------------------------------------------------------------------------


def parse_json(text: str) -> ParsedInstrument:
    """The shape of instrument-2024.json: clusters -> indicators -> questions."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise InstrumentFileError(
            [
                _("Not valid JSON: line %(line)s, column %(col)s: %(msg)s")
                % {"line": error.lineno, "col": error.colno, "msg": error.msg}
            ]
        ) from None
    except RecursionError:
        raise InstrumentFileError([_("The JSON is nested too deeply.")]) from None
    if not isinstance(data, dict) or not isinstance(data.get("clusters"), list):
        raise InstrumentFileError([_("The JSON has no list “clusters” at the top level.")])
    problems: list[str] = []
    groups = []
    for gi, cluster in enumerate(data["clusters"]):
        gw = f"clusters[{gi}]"
        if not isinstance(cluster, dict):
            problems.append(_("%(where)s: an object is expected.") % {"where": gw})
            continue
        group = ParsedGroup(
            name=_text(cluster.get("name"), f"{gw}.name", problems),
            order=_order(cluster.get("order"), f"{gw}.order", problems, gi + 1),
            declared_max_points=_points(
                cluster.get("declared_max_points"),
                f"{gw}.declared_max_points",
                problems,
                required=False,
            ),
            where=gw,
        )
        for ii, raw in enumerate(_list(cluster, "indicators", gw, problems)):
            iw = f"{gw}.indicators[{ii}]"
            if not isinstance(raw, dict):
                problems.append(_("%(where)s: an object is expected.") % {"where": iw})
                continue
            indicator = ParsedIndicator(
                code=strip_prefix(_text(raw.get("code"), f"{iw}.code", problems), "Indikator"),
                name=_text(raw.get("name"), f"{iw}.name", problems),
                order=_order(raw.get("order"), f"{iw}.order", problems, ii + 1),
                max_points=_points(raw.get("max_points"), f"{iw}.max_points", problems) or ZERO,
                where=iw,
            )
            for qi, q in enumerate(_list(raw, "questions", iw, problems)):
                qw = f"{iw}.questions[{qi}]"
                if not isinstance(q, dict):
                    problems.append(_("%(where)s: an object is expected.") % {"where": qw})
                    continue
                key = "opds" if "opds" in q else "units"
                text = _body(q.get("text"), f"{qw}.text", problems)
                indicator.questions.append(
                    ParsedQuestion(
                        code=strip_prefix(
                            _text(q.get("code"), f"{qw}.code", problems), "Pertanyaan"
                        ),
                        text=text,
                        order=_order(q.get("order"), f"{qw}.order", problems, qi + 1),
                        max_points=_points(q.get("max_points"), f"{qw}.max_points", problems)
                        or ZERO,
                        every_kecamatan=_flag(
                            q.get("every_kecamatan"), f"{qw}.every_kecamatan", problems
                        ),
                        every_desa=_flag(q.get("every_desa"), f"{qw}.every_desa", problems),
                        units=_units(q.get(key), f"{qw}.{key}", problems),
                        evidence=evidence_kind(text),
                        claimed_points=_points(
                            q.get("claimed_points"),
                            f"{qw}.claimed_points",
                            problems,
                            required=False,
                        ),
                        verified_points=_points(
                            q.get("verified_points"),
                            f"{qw}.verified_points",
                            problems,
                            required=False,
                        ),
                        options=_options(q.get("options"), f"{qw}.options", problems),
                        rows_filled_by=_rows_filled_by(
                            q.get("rows_filled_by"), f"{qw}.rows_filled_by", problems
                        ),
                        steps=_steps(q.get("steps"), q.get("max_points"), f"{qw}.steps", problems),
                        where=qw,
                    )
                )
            group.indicators.append(indicator)
        groups.append(group)
    if problems:
        raise InstrumentFileError(problems)
    return validate(ParsedInstrument(groups=groups))


# --- xlsx ----------------------------------------------------------------------------------


def parse_xlsx(path) -> ParsedInstrument:
    """The template: sheet "Instrumen", a header row, one row per question."""
    from openpyxl import load_workbook

    unreadable = _(
        "The file is not a readable .xlsx workbook (damaged, or another format renamed)."
    )
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception:  # noqa: BLE001 - zipfile, XML and openpyxl errors: many kinds
        raise InstrumentFileError([unreadable]) from None
    try:
        if SHEET not in workbook.sheetnames:
            raise InstrumentFileError(
                [
                    _(
                        "The workbook has no sheet “%(sheet)s” (it has: %(names)s). "
                        "Use the template."
                    )
                    % {"sheet": SHEET, "names": ", ".join(workbook.sheetnames)}
                ]
            )
        rows = workbook[SHEET].iter_rows(values_only=True)
        header = [" ".join(str(h or "").split()).lower() for h in next(rows, ())]
        missing = [c for c in REQUIRED_COLUMNS if c not in header]
        if missing:
            raise InstrumentFileError(
                [
                    _("Sheet “%(sheet)s”, row 1: missing column(s): %(cols)s.")
                    % {"sheet": SHEET, "cols": ", ".join(missing)}
                ]
            )
        index = {c: header.index(c) for c in COLUMNS if c in header}
        return _rows_to_instrument(rows, index)
    except InstrumentFileError:
        raise
    except Exception:  # noqa: BLE001 - rows are read lazily: a damaged sheet fails here
        raise InstrumentFileError([unreadable]) from None
    finally:
        workbook.close()


def _column_letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(index + 1)


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


# How the group and indicator columns that repeat on every row are read (value, where, problems).
REPEATED = {
    "group_order": lambda v, w, p: _order(v, w, p, 0),
    "group_max_points": lambda v, w, p: _points(v, w, p, required=False),
    "indicator_name": _text,
    "indicator_order": lambda v, w, p: _order(v, w, p, 0),
    "indicator_max_points": _points,
}


def _rows_to_instrument(rows, index) -> ParsedInstrument:
    """Rows to the tree. Group and indicator columns repeat on every row; a repeated value may
    be left blank, but one that differs from the first row of its group or indicator is an
    error (which of the two would be meant?)."""
    problems: list[str] = []
    groups: dict[str, ParsedGroup] = {}
    indicators: dict[tuple[str, str], ParsedIndicator] = {}
    first_row: dict[tuple, int] = {}
    width = max(index.values()) + 1
    for number, values in enumerate(rows, start=2):
        values = list(values)
        if all(_blank(v) for v in values):
            continue
        values += [None] * (width - len(values))

        def cell(name, _values=values):
            return _values[index[name]] if name in index else None

        def where(name, _number=number):
            return _("sheet “%(sheet)s”, row %(row)s, column %(col)s (%(name)s)") % {
                "sheet": SHEET,
                "row": _number,
                "col": _column_letter(index[name]),
                "name": name,
            }

        def repeated(key, name, expected, _problems=problems):
            """A repeated column must agree with the first row of its group or indicator."""
            if _blank(cell(name)):
                return
            count = len(_problems)
            value = REPEATED[name](cell(name), where(name), _problems)
            if len(_problems) == count and value != expected:
                _problems.append(
                    _("%(where)s: “%(value)s” differs from row %(row)s (“%(first)s”).")
                    % {
                        "where": where(name),
                        "value": cell(name),
                        "row": first_row[key],
                        "first": "" if expected is None else expected,
                    }
                )

        group_name = _text(cell("group"), where("group"), problems)
        group = groups.get(group_name)
        if group is None:
            first_row[("g", group_name)] = number
            group = groups[group_name] = ParsedGroup(
                name=group_name,
                order=_order(cell("group_order"), where("group_order"), problems, len(groups) + 1),
                declared_max_points=_points(
                    cell("group_max_points"), where("group_max_points"), problems, required=False
                ),
                where=where("group"),
            )
        else:
            repeated(("g", group_name), "group_order", group.order)
            repeated(("g", group_name), "group_max_points", group.declared_max_points)

        code = strip_prefix(
            _text(cell("indicator_code"), where("indicator_code"), problems), "Indikator"
        )
        indicator = indicators.get((group_name, code))
        if indicator is None:
            first_row[("i", group_name, code)] = number
            indicator = indicators[(group_name, code)] = ParsedIndicator(
                code=code,
                name=_text(cell("indicator_name"), where("indicator_name"), problems),
                order=_order(cell("indicator_order"), where("indicator_order"), problems, 0),
                max_points=_points(
                    cell("indicator_max_points"), where("indicator_max_points"), problems
                )
                or ZERO,
                where=where("indicator_code"),
            )
            group.indicators.append(indicator)
        else:
            for column in ("indicator_name", "indicator_order", "indicator_max_points"):
                field_name = column.removeprefix("indicator_")
                repeated(("i", group_name, code), column, getattr(indicator, field_name))

        text = _body(cell("question_text"), where("question_text"), problems)
        optional = {
            column: _points(cell(column), where(column), problems, required=False)
            if column in index
            else None
            for column in ("claimed_points", "verified_points")
        }
        indicator.questions.append(
            ParsedQuestion(
                code=strip_prefix(
                    _text(cell("question_code"), where("question_code"), problems), "Pertanyaan"
                ),
                text=text,
                order=_order(cell("question_order"), where("question_order"), problems, 0),
                max_points=_points(cell("max_points"), where("max_points"), problems) or ZERO,
                every_kecamatan=_flag(cell("every_kecamatan"), where("every_kecamatan"), problems),
                every_desa=_flag(cell("every_desa"), where("every_desa"), problems),
                units=_units(str(cell("units") or ""), where("units"), problems),
                evidence=evidence_kind(text),
                where=_("sheet “%(sheet)s”, row %(row)s") % {"sheet": SHEET, "row": number},
                options=_options(cell("options"), where("options"), problems)
                if "options" in index
                else [],
                rows_filled_by=_rows_filled_by(
                    cell("rows_filled_by"), where("rows_filled_by"), problems
                )
                if "rows_filled_by" in index
                else "units",
                steps=_steps(cell("steps"), cell("max_points"), where("steps"), problems)
                if "steps" in index
                else [],
                **optional,
            )
        )
    if problems:
        raise InstrumentFileError(problems)
    return validate(ParsedInstrument(groups=list(groups.values())))


# --- Validation ----------------------------------------------------------------------------


def _too_long(issues, where: str, value: str, limit: int) -> None:
    if len(value) > limit:
        issues.append(
            ImportIssue(
                ERROR,
                where,
                _("“%(value)s” is longer than %(max)s characters.")
                % {"value": value[:40] + "…", "max": limit},
            )
        )


def validate(parsed: ParsedInstrument) -> ParsedInstrument:
    """Add errors (the import refuses) and warnings (reported, imported as they are)."""
    issues = parsed.issues
    if not parsed.groups:
        issues.append(ImportIssue(ERROR, "-", _("The file holds no groups.")))
    seen_groups = set()
    seen_indicators: dict[str, str] = {}
    for group in parsed.groups:
        if not group.name:
            issues.append(ImportIssue(ERROR, group.where, _("The group has no name.")))
        _too_long(issues, group.where, group.name, MAX_LENGTH["group"])
        if group.name in seen_groups:
            issues.append(
                ImportIssue(
                    ERROR, group.where, _("Duplicate group “%(name)s”.") % {"name": group.name}
                )
            )
        seen_groups.add(group.name)
        total = sum((i.max_points for i in group.indicators), ZERO)
        if group.declared_max_points is not None and group.declared_max_points != total:
            issues.append(
                ImportIssue(
                    WARNING,
                    group.name,
                    _("declares %(declared)s points but its indicators add up to %(total)s.")
                    % {"declared": group.declared_max_points, "total": total},
                )
            )
        for indicator in group.indicators:
            label = f"{group.name} / {indicator.code}"
            if not indicator.code:
                issues.append(ImportIssue(ERROR, indicator.where, _("The indicator has no code.")))
            elif indicator.code in seen_indicators:
                issues.append(
                    ImportIssue(
                        ERROR,
                        indicator.where,
                        _("Duplicate indicator code “%(code)s” (also in %(other)s).")
                        % {"code": indicator.code, "other": seen_indicators[indicator.code]},
                    )
                )
            seen_indicators.setdefault(indicator.code, group.name)
            _too_long(issues, indicator.where, indicator.code, MAX_LENGTH["indicator_code"])
            if not indicator.name:
                issues.append(ImportIssue(ERROR, indicator.where, _("The indicator has no name.")))
            _too_long(issues, indicator.where, indicator.name, MAX_LENGTH["indicator_name"])
            if not indicator.questions:
                issues.append(ImportIssue(WARNING, label, _("The indicator has no questions.")))
            q_total = sum((q.max_points for q in indicator.questions), ZERO)
            if indicator.questions and q_total != indicator.max_points:
                issues.append(
                    ImportIssue(
                        WARNING,
                        f"Indikator {indicator.code}",
                        _("its questions add up to %(total)s points, its maximum is %(max)s.")
                        % {"total": q_total, "max": indicator.max_points},
                    )
                )
            codes = set()
            for q in indicator.questions:
                if not q.code:
                    issues.append(ImportIssue(ERROR, q.where, _("The question has no code.")))
                elif q.code in codes:
                    issues.append(
                        ImportIssue(
                            ERROR,
                            q.where,
                            _("Duplicate question code “%(code)s” in indicator %(ind)s.")
                            % {"code": q.code, "ind": indicator.code},
                        )
                    )
                codes.add(q.code)
                _too_long(issues, q.where, q.code, MAX_LENGTH["question_code"])
                if not q.text:
                    issues.append(ImportIssue(ERROR, q.where, _("The question text is empty.")))
                for name in q.units:
                    _too_long(issues, q.where, name, MAX_LENGTH["unit"])
                # Questions every kecamatan or desa answers need no listed unit: the units of
                # that kind answer them.
                if not q.units and not (q.every_kecamatan or q.every_desa):
                    issues.append(
                        ImportIssue(WARNING, q.where, _("No unit answers this question."))
                    )
                for name, value in (
                    ("claimed_points", q.claimed_points),
                    ("verified_points", q.verified_points),
                ):
                    if value is not None and value > q.max_points:
                        issues.append(
                            ImportIssue(
                                ERROR,
                                q.where,
                                _("%(field)s %(value)s is above the question's maximum of %(max)s.")
                                % {"field": name, "value": value, "max": q.max_points},
                            )
                        )
                if q.steps and not (q.every_kecamatan or q.every_desa):
                    issues.append(
                        ImportIssue(
                            ERROR,
                            q.where,
                            _("Only a question every kecamatan or desa answers has steps."),
                        )
                    )
                labels = [label for label, _points in q.options]
                if len(set(labels)) != len(labels):
                    issues.append(ImportIssue(ERROR, q.where, _("Two options have one label.")))
                for label, points in q.options:
                    if points > q.max_points:
                        issues.append(
                            ImportIssue(
                                ERROR,
                                q.where,
                                _(
                                    "Option “%(label)s” is worth %(points)s, above the question's "
                                    "maximum of %(max)s."
                                )
                                % {"label": label, "points": points, "max": q.max_points},
                            )
                        )
    return parsed


def parse_file(path) -> ParsedInstrument:
    """Parse by extension: .json or .xlsx. Raises InstrumentFileError or FileNotFoundError."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".json", ".xlsx"):
        raise InstrumentFileError(
            [
                _("Unknown file type “%(ext)s”: use .xlsx (the template) or .json.")
                % {"ext": suffix or "?"}
            ]
        )
    if not path.is_file():
        raise FileNotFoundError(path)
    if suffix == ".json":
        try:
            text = path.read_text(encoding="utf-8-sig")  # Windows editors add a BOM
        except UnicodeDecodeError:
            raise InstrumentFileError([_("The JSON file is not UTF-8 text.")]) from None
        except OSError as error:
            raise InstrumentFileError([str(error)]) from None
        return parse_json(text)
    return parse_xlsx(path)
