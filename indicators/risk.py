"""Verification risk of an answer: will the province and the ministry accept what it claims?
The rules, written once, pure: an answer's facts in (what it claims, what is attached, what
the documents say), a level and its reasons out. Nothing here touches the database or a file:
the caller reads the facts (opd/risk.py), the pages, the review queue, the PDF report, the API
and `manage.py kla_risk` read the verdict.

Risk informs; it never blocks a submission and never changes points. A rule that could not
check (a damaged or encrypted file, no OCR on the machine) says so ("unchecked") and does not
raise the level. Points at risk are the claimed points of a high-risk answer: what the
verifiers are likely to take away.

    no_evidence       points claimed, nothing attached                              high
    weak_evidence     a regulation, decree or data asked (by the question or the
                      chosen option), only photos and links attached                high
    document_kind     the option names a kind (Perda, Perbup, SK) and the document
                      attached is registered as another                             high
    lapsing           a document attached lapses before the day it must hold
                      (the field verification, else the entry)                      high
    reused_lost       the same file as an answer that lost points or was returned
                      last year                                                     high
    undescribed_scan  a scanned PDF (no text layer) that no registered document
                      describes (number, date), nor OCR could read them from        medium
    old_data          the question asks for a year's data; the newest year in the
                      answer is older                                               medium
    short_narrative   points claimed with a narrative too short to say what the
                      evidence shows                                                medium
    dated_late        a document's date (registered, else read from its text) is
                      after the entry date: it was not in force when entered        high
    document_text     a registered document's number or date differs from what
                      its text says (read at upload: text layer or OCR)             medium
"""

import datetime
import re
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import gettext, gettext_noop

from core import formats

ZERO = Decimal("0.00")

NONE, LOW, MEDIUM, HIGH = "none", "low", "medium", "high"
UNCHECKED = "unchecked"  # a rule could not look: said, but never raises the level
_ORDER = {NONE: 0, UNCHECKED: 0, LOW: 1, MEDIUM: 2, HIGH: 3}
LEVELS = (NONE, LOW, MEDIUM, HIGH)

# The fewest words a narrative needs to say what the evidence shows ("Perda Nomor 5 Tahun 2021
# tentang KLA, disahkan 3 Mei 2021, terlampir" is nine).
MIN_NARRATIVE_WORDS = 8


@dataclass(frozen=True)
class EvidenceFacts:
    """One piece of evidence of an answer, as the rules read it."""

    name: str  # what people call it: the file's name, the link, the document's title
    kind: str = "file"  # "file" or "link"
    content_type: str = ""  # the detected type of a stored file
    sha256: str = ""
    # A PDF's text layer: True (it has text), False (a scan), None (not a PDF, or not read).
    text_layer: bool | None = None
    read_problem: str = ""  # why the file could not be read, in words; "" when it was
    # The registered document it is, if any: its kind's code (perda, perbup, sk, ...), the
    # kind as people read it, and its validity.
    document_kind: str = ""
    document_label: str = ""
    document_valid_until: datetime.date | None = None
    document_number: str = ""
    document_issued_on: datetime.date | None = None
    # What the file's text says (opd/uploads/reading.py): its number and date, "" / None
    # when it names none or was not read.
    read_number: str = ""
    read_date: datetime.date | None = None

    @property
    def is_photo(self) -> bool:
        return self.kind == "file" and self.content_type.startswith("image/")

    @property
    def is_scan(self) -> bool:
        return self.content_type == "application/pdf" and self.text_layer is False


@dataclass(frozen=True)
class AnswerFacts:
    question_text: str
    option_label: str = ""
    claimed: Decimal | None = None
    narrative: str = ""
    data_text: str = ""  # the answer's data values, as "label: value" lines
    evidence: tuple[EvidenceFacts, ...] = ()
    # The day its documents must still be valid on: the field verification, else the entry.
    needed_until: datetime.date | None = None
    # The year whose data the instrument asks for when it says "the year evaluated".
    evaluated_year: int | None = None
    # SHA-256 of last year's evidence whose answer lost points or was returned.
    lost_before: frozenset[str] = frozenset()
    # The day of the entry into the ministry's application: a document dated later was not
    # in force when the answer was entered.
    entry_date: datetime.date | None = None


@dataclass(frozen=True)
class Finding:
    rule: str
    level: str
    params: dict = field(default_factory=dict, compare=False)

    @property
    def reason(self) -> str:
        """The reason in the active language: texts are translated and dates written when
        read, so a kept verdict serves both languages."""
        return gettext(REASONS[self.rule]) % {k: _shown(v) for k, v in self.params.items()}


@dataclass(frozen=True)
class Risk:
    level: str
    findings: tuple[Finding, ...]
    points_at_risk: Decimal

    @property
    def reasons(self) -> list[str]:
        return [f.reason for f in self.findings if f.level != UNCHECKED]

    @property
    def unchecked(self) -> list[str]:
        return [f.reason for f in self.findings if f.level == UNCHECKED]

    @property
    def rules(self) -> tuple[str, ...]:
        return tuple(f.rule for f in self.findings if f.level != UNCHECKED)


def _shown(value):
    return formats.day(value) if isinstance(value, datetime.date) else value


REASONS = {
    "no_evidence": gettext_noop("points are claimed but no evidence is attached"),
    "weak_evidence": gettext_noop(
        "the question asks for a regulation, decree or data, but only photos or links are attached"
    ),
    "document_kind": gettext_noop(
        "the option claimed is “%(option)s”, but the document attached is registered as %(kind)s"
    ),
    "lapsing": gettext_noop(
        "“%(document)s” is valid until %(until)s, before %(needed)s when it must still hold"
    ),
    "reused_lost": gettext_noop(
        "“%(name)s” is the same file as evidence that lost points or was returned last year"
    ),
    "undescribed_scan": gettext_noop(
        "“%(name)s” is a scan without a text layer and no registered document gives its "
        "number and date"
    ),
    "old_data": gettext_noop(
        "the question asks for data of %(year)s, but the newest year in the answer is %(newest)s"
    ),
    "short_narrative": gettext_noop(
        "the narrative is too short to say what the evidence shows (%(words)s words)"
    ),
    "dated_late": gettext_noop(
        "“%(name)s” is dated %(date)s, after the entry on %(entry)s: it was not in force yet"
    ),
    "document_text": gettext_noop(
        "“%(name)s” is registered as %(registered)s, but its text says %(read)s"
    ),
    "unreadable": gettext_noop("“%(name)s” could not be checked: %(problem)s"),
}


# What a question or an option names that a photo or a link cannot prove: a regulation, a
# decree, a policy, data. "Data dukung" / "data pendukung" is the instrument's generic word
# for evidence and names nothing.
_NAMES_PAPER = re.compile(
    r"\b(perda|perbup|perwal|perkada|peraturan|keputusan|sk|surat edaran|regulasi|kebijakan|"
    r"dasar hukum|data(?!\s+(?:dukung|pendukung)))\b",
    re.IGNORECASE,
)
# The kind of document an option names, by the codes of opd.Document.Kind.
_OPTION_KINDS = (
    ("perda", re.compile(r"\b(perda|peraturan daerah)\b", re.IGNORECASE)),
    ("perbup", re.compile(r"\b(perbup|perwal|peraturan (bupati|wali ?kota))\b", re.IGNORECASE)),
    ("sk", re.compile(r"\b(sk|surat keputusan|keputusan)\b", re.IGNORECASE)),
)
_YEAR = re.compile(r"\b(19[89]\d|20\d\d)\b")
_EVALUATED = re.compile(
    r"tahun yang dievaluasi|tahun evaluasi|tahun terakhir|tahun sebelumnya", re.IGNORECASE
)
_WORD = re.compile(r"\w+")


def _claims(facts: AnswerFacts) -> bool:
    return facts.claimed is not None and facts.claimed > 0


def _no_evidence(facts: AnswerFacts):
    if _claims(facts) and not facts.evidence:
        yield Finding("no_evidence", HIGH)


def _weak_evidence(facts: AnswerFacts):
    if not facts.evidence or not _claims(facts):
        return
    asked = f"{facts.question_text}\n{facts.option_label}"
    if not _NAMES_PAPER.search(asked):
        return
    if all(e.is_photo or e.kind == "link" for e in facts.evidence):
        yield Finding("weak_evidence", HIGH)


def _document_kind(facts: AnswerFacts):
    wanted = next((kind for kind, words in _OPTION_KINDS if words.search(facts.option_label)), "")
    documents = [e for e in facts.evidence if e.document_kind]
    if not wanted or not documents or any(e.document_kind == wanted for e in documents):
        return
    kinds = ", ".join(sorted({e.document_label or e.document_kind for e in documents}))
    yield Finding("document_kind", HIGH, {"option": facts.option_label, "kind": kinds})


def _lapsing(facts: AnswerFacts):
    if facts.needed_until is None:
        return
    for e in facts.evidence:
        if e.document_valid_until is not None and e.document_valid_until < facts.needed_until:
            yield Finding(
                "lapsing",
                HIGH,
                {
                    "document": e.name,
                    "until": e.document_valid_until,
                    "needed": facts.needed_until,
                },
            )


def _reused_lost(facts: AnswerFacts):
    for e in facts.evidence:
        if e.sha256 and e.sha256 in facts.lost_before:
            yield Finding("reused_lost", HIGH, {"name": e.name})


def _undescribed_scan(facts: AnswerFacts):
    for e in facts.evidence:
        if e.read_problem:
            yield Finding("unreadable", UNCHECKED, {"name": e.name, "problem": e.read_problem})
        elif e.is_scan and not e.document_kind and not (e.read_number and e.read_date):
            # OCR read both from the scan: the verifiers will find them too.
            yield Finding("undescribed_scan", MEDIUM, {"name": e.name})


def year_asked(question_text: str, evaluated_year: int | None) -> int | None:
    """The year whose data a question asks for: the latest year it names, else the year
    evaluated when it says so ("tahun yang dievaluasi"), else none."""
    named = [int(y) for y in _YEAR.findall(question_text)]
    if named:
        return max(named)
    if evaluated_year and _EVALUATED.search(question_text):
        return evaluated_year
    return None


def _old_data(facts: AnswerFacts):
    asked = year_asked(facts.question_text, facts.evaluated_year)
    if asked is None:
        return
    found = [int(y) for y in _YEAR.findall(f"{facts.data_text}\n{facts.narrative}")]
    if found and max(found) < asked:
        yield Finding("old_data", MEDIUM, {"year": asked, "newest": max(found)})


def _short_narrative(facts: AnswerFacts):
    words = len(_WORD.findall(facts.narrative))
    if _claims(facts) and words < MIN_NARRATIVE_WORDS:
        yield Finding("short_narrative", MEDIUM, {"words": words})


def _dated_late(facts: AnswerFacts):
    if facts.entry_date is None:
        return
    for e in facts.evidence:
        dated = e.document_issued_on or e.read_date
        if dated is not None and dated > facts.entry_date:
            yield Finding(
                "dated_late", HIGH, {"name": e.name, "date": dated, "entry": facts.entry_date}
            )


def _same_number(a: str, b: str) -> bool:
    return re.sub(r"\s+", "", a).upper() == re.sub(r"\s+", "", b).upper()


def _document_text(facts: AnswerFacts):
    for e in facts.evidence:
        if (
            e.document_number
            and e.read_number
            and not _same_number(e.document_number, e.read_number)
        ):
            yield Finding(
                "document_text",
                MEDIUM,
                {"name": e.name, "registered": e.document_number, "read": e.read_number},
            )
        if e.document_issued_on and e.read_date and e.document_issued_on != e.read_date:
            yield Finding(
                "document_text",
                MEDIUM,
                {"name": e.name, "registered": e.document_issued_on, "read": e.read_date},
            )


RULES = (
    _no_evidence,
    _weak_evidence,
    _document_kind,
    _lapsing,
    _reused_lost,
    _undescribed_scan,
    _old_data,
    _short_narrative,
    _dated_late,
    _document_text,
)
# The rules by name, for the prediction report and the secretariat's page.
RULE_NAMES = (
    "no_evidence",
    "weak_evidence",
    "document_kind",
    "lapsing",
    "reused_lost",
    "undescribed_scan",
    "old_data",
    "short_narrative",
    "dated_late",
    "document_text",
)


def assess(facts: AnswerFacts) -> Risk:
    """The answer's level (the highest of its findings'), its findings in the rules' order,
    and its points at risk."""
    findings = tuple(finding for rule in RULES for finding in rule(facts))
    level = max((f.level for f in findings), key=_ORDER.__getitem__, default=NONE)
    if level == UNCHECKED:
        level = NONE
    at_risk = facts.claimed if level == HIGH and _claims(facts) else ZERO
    return Risk(level, findings, at_risk)


def sort_key(risk: Risk) -> tuple:
    """Highest level first, then the most points at risk."""
    return (-_ORDER[risk.level], -risk.points_at_risk)


# --- How well the rules predicted a year's losses ------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """An answer's verdict before submission and what the verifiers made of it: the points it
    lost (claimed minus official, never below zero) and whether the province returned it."""

    risk: Risk
    lost: Decimal = ZERO
    returned: bool = False

    @property
    def was_lost(self) -> bool:
        return self.lost > 0 or self.returned


@dataclass(frozen=True)
class RuleRecord:
    rule: str
    flagged: int  # answers it flagged
    flagged_lost: int  # of those, answers that lost points or were returned
    points_lost: Decimal  # points those answers lost

    @property
    def precision(self) -> Decimal | None:
        """Of the answers it flagged, the share that lost: whether it earned its place."""
        return Decimal(self.flagged_lost) / self.flagged if self.flagged else None


@dataclass(frozen=True)
class Prediction:
    points_lost: Decimal  # by every answer
    points_lost_flagged: Decimal  # by answers flagged high before submission
    flagged: int  # answers flagged high
    flagged_lost: int  # of those, answers that lost points or were returned
    rules: tuple[RuleRecord, ...]

    @property
    def caught(self) -> Decimal | None:
        """Of the points lost, the share the high flags had foreseen."""
        return self.points_lost_flagged / self.points_lost if self.points_lost else None

    @property
    def precision(self) -> Decimal | None:
        """Of the answers flagged high, the share that lost points or was returned."""
        return Decimal(self.flagged_lost) / self.flagged if self.flagged else None


def prediction(outcomes) -> Prediction:
    """How the verdicts compared with a year's official points."""
    outcomes = list(outcomes)
    lost = sum((o.lost for o in outcomes), ZERO)
    high = [o for o in outcomes if o.risk.level == HIGH]
    records = []
    for rule in RULE_NAMES:
        flagged = [o for o in outcomes if rule in o.risk.rules]
        records.append(
            RuleRecord(
                rule,
                len(flagged),
                sum(1 for o in flagged if o.was_lost),
                sum((o.lost for o in flagged), ZERO),
            )
        )
    return Prediction(
        points_lost=lost,
        points_lost_flagged=sum((o.lost for o in high), ZERO),
        flagged=len(high),
        flagged_lost=sum(1 for o in high if o.was_lost),
        rules=tuple(records),
    )
