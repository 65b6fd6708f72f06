"""Reading an instrument file (JSON or the xlsx template) into plain, validated values.

No database access here: the parse either yields a complete ParsedInstrument with a list of
issues (warnings and errors), or raises InstrumentFileError naming where the file is broken
(sheet, row and column, or a JSON path). The importer writes only when there is no error.
"""

import json
import zipfile
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

from django.utils.translation import gettext as _

SHEET = "Instrumen"
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
]
REQUIRED_COLUMNS = COLUMNS[:14]
TWO = Decimal("0.01")


class InstrumentFileError(Exception):
    """The file cannot be read as an instrument; `problems` says where and why."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class ImportIssue:
    level: str  # "error" or "warning"
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
    units: list[str]
    evidence: str
    claimed_points: Decimal | None = None
    verified_points: Decimal | None = None
    where: str = ""


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
        return [i for i in self.issues if i.level == "error"]

    @property
    def warnings(self) -> list[ImportIssue]:
        return [i for i in self.issues if i.level == "warning"]

    @property
    def indicators(self) -> list[ParsedIndicator]:
        return [i for g in self.groups for i in g.indicators]

    @property
    def questions(self) -> list[ParsedQuestion]:
        return [q for i in self.indicators for q in i.questions]

    @property
    def max_points(self) -> Decimal:
        return sum((i.max_points for i in self.indicators), Decimal("0.00"))


def strip_prefix(code: str, prefix: str) -> str:
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


def _points(value, where: str, problems: list[str], *, required: bool = True) -> Decimal | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            problems.append(_("%(where)s: a number is required.") % {"where": where})
        return None
    if isinstance(value, bool):
        problems.append(
            _("%(where)s: “%(value)s” is not a number.") % {"where": where, "value": value}
        )
        return None
    try:
        number = Decimal(str(value).strip().replace(",", "."))
    except InvalidOperation:
        problems.append(
            _("%(where)s: “%(value)s” is not a number.") % {"where": where, "value": value}
        )
        return None
    if not number.is_finite():
        problems.append(
            _("%(where)s: “%(value)s” is not a number.") % {"where": where, "value": value}
        )
        return None
    if number < 0:
        problems.append(
            _("%(where)s: points cannot be negative (%(value)s).")
            % {"where": where, "value": value}
        )
        return None
    return number.quantize(TWO)


def _order(value, where: str, problems: list[str], default: int) -> int:
    if value is None or value == "":
        return default
    try:
        number = int(Decimal(str(value)))
    except (InvalidOperation, ValueError):
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


# --- JSON ----------------------------------------------------------------------------------


def parse_json(text: str) -> ParsedInstrument:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise InstrumentFileError(
            [
                _("Not valid JSON: line %(line)s, column %(col)s: %(msg)s")
                % {"line": error.lineno, "col": error.colno, "msg": error.msg}
            ]
        ) from None
    problems: list[str] = []
    if not isinstance(data, dict) or not isinstance(data.get("clusters"), list):
        raise InstrumentFileError([_("The JSON has no list “clusters” at the top level.")])
    groups = []
    for gi, cluster in enumerate(data["clusters"]):
        gw = f"clusters[{gi}]"
        if not isinstance(cluster, dict):
            problems.append(_("%(where)s: an object is expected.") % {"where": gw})
            continue
        group = ParsedGroup(
            name=" ".join(str(cluster.get("name") or "").split()),
            order=_order(cluster.get("order"), f"{gw}.order", problems, gi + 1),
            declared_max_points=_points(
                cluster.get("declared_max_points"),
                f"{gw}.declared_max_points",
                problems,
                required=False,
            ),
            where=gw,
        )
        for ii, raw in enumerate(cluster.get("indicators") or []):
            iw = f"{gw}.indicators[{ii}]"
            if not isinstance(raw, dict):
                problems.append(_("%(where)s: an object is expected.") % {"where": iw})
                continue
            indicator = ParsedIndicator(
                code=strip_prefix(raw.get("code") or "", "Indikator"),
                name=" ".join(str(raw.get("name") or "").split()),
                order=_order(raw.get("order"), f"{iw}.order", problems, ii + 1),
                max_points=_points(raw.get("max_points"), f"{iw}.max_points", problems)
                or Decimal("0.00"),
                where=iw,
            )
            for qi, q in enumerate(raw.get("questions") or []):
                qw = f"{iw}.questions[{qi}]"
                if not isinstance(q, dict):
                    problems.append(_("%(where)s: an object is expected.") % {"where": qw})
                    continue
                units = q.get("opds") or q.get("units") or []
                if isinstance(units, str):
                    units = [u for u in units.split(";")]
                text = str(q.get("text") or "").strip()
                indicator.questions.append(
                    ParsedQuestion(
                        code=strip_prefix(q.get("code") or "", "Pertanyaan"),
                        text=text,
                        order=_order(q.get("order"), f"{qw}.order", problems, qi + 1),
                        max_points=_points(q.get("max_points"), f"{qw}.max_points", problems)
                        or Decimal("0.00"),
                        every_kecamatan=_flag(
                            q.get("every_kecamatan"), f"{qw}.every_kecamatan", problems
                        ),
                        every_desa=_flag(q.get("every_desa"), f"{qw}.every_desa", problems),
                        units=[" ".join(str(u).split()) for u in units if str(u).strip()],
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
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError):
        raise InstrumentFileError(
            [_("The file is not a readable .xlsx workbook (damaged, or another format renamed).")]
        ) from None
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
    finally:
        workbook.close()


def _column_letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(index + 1)


def _rows_to_instrument(rows, index) -> ParsedInstrument:
    problems: list[str] = []
    groups: dict[str, ParsedGroup] = {}
    indicators: dict[tuple[str, str], ParsedIndicator] = {}
    for number, values in enumerate(rows, start=2):
        values = list(values)
        if not any(v not in (None, "") for v in values):
            continue
        values += [None] * (max(index.values()) + 1 - len(values))

        def cell(name, _values=values):
            return _values[index[name]] if name in index else None

        def where(name, _number=number):
            return _("sheet “%(sheet)s”, row %(row)s, column %(col)s (%(name)s)") % {
                "sheet": SHEET,
                "row": _number,
                "col": _column_letter(index[name]),
                "name": name,
            }

        group_name = " ".join(str(cell("group") or "").split())
        group = groups.get(group_name)
        if group is None:
            group = groups[group_name] = ParsedGroup(
                name=group_name,
                order=_order(cell("group_order"), where("group_order"), problems, len(groups) + 1),
                declared_max_points=_points(
                    cell("group_max_points"), where("group_max_points"), problems, required=False
                ),
                where=where("group"),
            )
        code = strip_prefix(cell("indicator_code") or "", "Indikator")
        indicator = indicators.get((group_name, code))
        if indicator is None:
            indicator = indicators[(group_name, code)] = ParsedIndicator(
                code=code,
                name=" ".join(str(cell("indicator_name") or "").split()),
                order=_order(cell("indicator_order"), where("indicator_order"), problems, 0),
                max_points=_points(
                    cell("indicator_max_points"), where("indicator_max_points"), problems
                )
                or Decimal("0.00"),
                where=where("indicator_code"),
            )
            group.indicators.append(indicator)
        text = str(cell("question_text") or "").strip()
        units = [" ".join(u.split()) for u in str(cell("units") or "").split(";") if u.strip()]
        indicator.questions.append(
            ParsedQuestion(
                code=strip_prefix(cell("question_code") or "", "Pertanyaan"),
                text=text,
                order=_order(cell("question_order"), where("question_order"), problems, 0),
                max_points=_points(cell("max_points"), where("max_points"), problems)
                or Decimal("0.00"),
                every_kecamatan=_flag(cell("every_kecamatan"), where("every_kecamatan"), problems),
                every_desa=_flag(cell("every_desa"), where("every_desa"), problems),
                units=units,
                evidence=evidence_kind(text),
                claimed_points=_points(
                    cell("claimed_points"), where("claimed_points"), problems, required=False
                )
                if "claimed_points" in index
                else None,
                verified_points=_points(
                    cell("verified_points"), where("verified_points"), problems, required=False
                )
                if "verified_points" in index
                else None,
                where=_("sheet “%(sheet)s”, row %(row)s") % {"sheet": SHEET, "row": number},
            )
        )
    if problems:
        raise InstrumentFileError(problems)
    return validate(ParsedInstrument(groups=list(groups.values())))


# --- Validation ----------------------------------------------------------------------------


def validate(parsed: ParsedInstrument) -> ParsedInstrument:
    """Add errors (the import refuses) and warnings (reported, imported as they are)."""
    issues = parsed.issues
    if not parsed.groups:
        issues.append(ImportIssue("error", "-", _("The file holds no groups.")))
    seen_groups = set()
    seen_indicators: dict[str, str] = {}
    for group in parsed.groups:
        if not group.name:
            issues.append(ImportIssue("error", group.where, _("The group has no name.")))
        if group.name in seen_groups:
            issues.append(
                ImportIssue(
                    "error", group.where, _("Duplicate group “%(name)s”.") % {"name": group.name}
                )
            )
        seen_groups.add(group.name)
        total = sum((i.max_points for i in group.indicators), Decimal("0.00"))
        if group.declared_max_points is not None and group.declared_max_points != total:
            issues.append(
                ImportIssue(
                    "warning",
                    group.name,
                    _("declares %(declared)s points but its indicators add up to %(total)s.")
                    % {"declared": group.declared_max_points, "total": total},
                )
            )
        for indicator in group.indicators:
            label = f"{group.name} / {indicator.code}"
            if not indicator.code:
                issues.append(
                    ImportIssue("error", indicator.where, _("The indicator has no code."))
                )
            elif indicator.code in seen_indicators:
                issues.append(
                    ImportIssue(
                        "error",
                        indicator.where,
                        _("Duplicate indicator code “%(code)s” (also in %(other)s).")
                        % {"code": indicator.code, "other": seen_indicators[indicator.code]},
                    )
                )
            seen_indicators.setdefault(indicator.code, group.name)
            if not indicator.name:
                issues.append(
                    ImportIssue("error", indicator.where, _("The indicator has no name."))
                )
            if not indicator.questions:
                issues.append(ImportIssue("warning", label, _("The indicator has no questions.")))
            q_total = sum((q.max_points for q in indicator.questions), Decimal("0.00"))
            if indicator.questions and q_total != indicator.max_points:
                issues.append(
                    ImportIssue(
                        "warning",
                        f"Indikator {indicator.code}",
                        _("its questions add up to %(total)s points, its maximum is %(max)s.")
                        % {"total": q_total, "max": indicator.max_points},
                    )
                )
            codes = set()
            for q in indicator.questions:
                if not q.code:
                    issues.append(ImportIssue("error", q.where, _("The question has no code.")))
                elif q.code in codes:
                    issues.append(
                        ImportIssue(
                            "error",
                            q.where,
                            _("Duplicate question code “%(code)s” in indicator %(ind)s.")
                            % {"code": q.code, "ind": indicator.code},
                        )
                    )
                codes.add(q.code)
                if not q.text:
                    issues.append(ImportIssue("error", q.where, _("The question text is empty.")))
                # Questions every kecamatan or desa answers need no listed unit: the units of
                # that kind answer them.
                if not q.units and not (q.every_kecamatan or q.every_desa):
                    issues.append(
                        ImportIssue("warning", q.where, _("No unit answers this question."))
                    )
                for name, value in (
                    ("claimed_points", q.claimed_points),
                    ("verified_points", q.verified_points),
                ):
                    if value is not None and value > q.max_points:
                        issues.append(
                            ImportIssue(
                                "error",
                                q.where,
                                _("%(field)s %(value)s is above the question's maximum of %(max)s.")
                                % {"field": name, "value": value, "max": q.max_points},
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
    if not path.exists():
        raise FileNotFoundError(path)
    if suffix == ".json":
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            raise InstrumentFileError([_("The JSON file is not UTF-8 text.")]) from None
        return parse_json(text)
    return parse_xlsx(path)
