"""The facts the verification-risk rules read (indicators/risk.py), read from the database once:
for one unit's answers or a whole period in a fixed number of queries whatever its size, and
kept by the page cache per answering unit, so a page rebuilt after one unit's change reassesses
that unit's answers alone.

What each answer's facts hold, and from where:
    the question's text, the option chosen, the points claimed, the narrative and data values;
    its evidence not removed: a file's latest revision (its detected type, SHA-256, text layer,
    the number and date read from it at upload, opd/uploads/reading.py, and why it could not
    be read), a link, the registered document it is (kind, number, date, validity);
    needed_until: Period.documents_needed_until (the field verification, else the entry);
    entry_date: Period.review_deadline (the entry into the ministry's application, else the
    window's close): a document dated later was not in force when entered;
    evaluated_year: the period's year minus one. The evaluation of year N (KLA N) is filled in
    early in N and asks for the data of the year before, the last complete one ("tahun yang
    dievaluasi"): the 2025 instrument asks for 2024's figures;
    lost_before: the SHA-256 of last year's evidence of the same question (found through
    indicators.identity.previous_question_ids) when that question lost official points
    (OfficialPoints below the points claimed) or the province returned it (ProvincialReturn).

Risk informs: nothing here writes, blocks a submission or changes points.
"""

import datetime
import json
from collections import defaultdict
from decimal import Decimal
from typing import NamedTuple

from django.db.models import Sum
from django.utils.translation import gettext_lazy as _

from core import page_cache, sql
from indicators import risk as rules
from indicators.identity import previous_period, previous_question_ids
from indicators.models import AnswerOption, OfficialPoints, Period, Question
from opd.models import (
    Answer,
    Assignment,
    Document,
    Evidence,
    EvidenceRevision,
    ProvincialReturn,
)
from opd.scoring import period_questions
from opd.uploads import reading

ZERO = Decimal("0.00")

# Why a file could not be read (EvidenceRevision.read_problem), in the reader's language.
PROBLEMS = {
    reading.DAMAGED: _("the file is damaged"),
    reading.ENCRYPTED: _("the file is protected by a password"),
    reading.NO_OCR: _("OCR is not installed"),
    reading.OCR_FAILED: _("OCR could not read it"),
    reading.NO_TEXT_TOOL: _("the PDF text reader is not installed"),
    reading.TOO_SLOW: _("reading it took too long"),
    reading.MISSING: _("the stored file is missing"),
}


# What each rule looks for, as the prediction page names it.
RULE_LABELS = {
    "no_evidence": _("Points claimed without evidence"),
    "weak_evidence": _("Only photos or links for a regulation, decree or data"),
    "document_kind": _("A document of another kind than the option claimed"),
    "lapsing": _("A document lapsing before it must still hold"),
    "reused_lost": _("Last year's lost or returned file again"),
    "undescribed_scan": _("A scan whose number and date nobody gave"),
    "old_data": _("Data older than the year asked"),
    "short_narrative": _("A narrative too short"),
    "dated_late": _("A document dated after the entry"),
    "document_text": _("A registered number or date other than the text's"),
}


def evaluated_year(period: Period) -> int:
    """The year whose data the instrument asks for: the year before the evaluation's."""
    return period.year - 1


class _Period:
    """What every answer of a period shares: its days and last year's lost files."""

    def __init__(self, period: Period):
        # The period's own rule of the day documents must hold (the field verification, else
        # the entry), kept until anything district-wide changes: the official result raises
        # "all", and a unit's reassessment after each save need not read it again.
        self.needed_until = page_cache.remember(
            "documents-needed-until",
            parts=[period.pk],
            compute=lambda: (
                Period.objects.select_related("official").get(pk=period.pk).documents_needed_until
            ),
        )
        self.entry_date = period.review_deadline
        self.evaluated_year = evaluated_year(period)
        self._lost = None
        self.period = period

    def lost_before(self, question_id: int) -> frozenset[str]:
        if self._lost is None:
            # Kept until anything district-wide changes (an official figure, a return, a
            # question pair, the instrument: "all"): working out which of last year's
            # questions are this year's reads both instruments whole, a quarter of a second at
            # ten times a district, and a unit's reassessment after each save must not pay it.
            period = self.period
            self._lost = page_cache.remember(
                "lost-files", parts=[period.pk], compute=lambda: lost_files(period)
            )
        return self._lost.get(question_id, frozenset())


def lost_files(period: Period) -> dict[int, frozenset[str]]:
    """This year's question id -> SHA-256 of the files of last year's same question, when that
    question lost official points or was returned by the province. At most six queries."""
    ids = previous_question_ids(period)
    if not ids:
        return {}
    old_ids = set(ids.values())
    source = previous_period(period)
    official = dict(
        OfficialPoints.objects.filter(
            period=source, level=OfficialPoints.Level.QUESTION, question_id__in=old_ids
        ).values_list("question_id", "points")
    )
    claimed = dict(
        Answer.objects.filter(question_id__in=official)
        .values("question_id")
        .annotate(total=Sum("claimed_points"))
        .values_list("question_id", "total")
    )
    lost = {q for q, points in official.items() if points < (claimed.get(q) or ZERO)}
    lost |= set(
        ProvincialReturn.objects.filter(question_id__in=old_ids).values_list(
            "question_id", flat=True
        )
    )
    if not lost:
        return {}
    files = defaultdict(set)
    for question_id, sha256 in EvidenceRevision.objects.filter(
        evidence__answer__question_id__in=lost, evidence__removed_at__isnull=True
    ).values_list("evidence__answer__question_id", "sha256"):
        files[question_id].add(sha256)
    return {new: frozenset(files[old]) for new, old in ids.items() if files.get(old)}


class _AnswerRow(NamedTuple):
    """What the rules read of an answer: a row of plain values (model rows with the question
    and option joined cost more to build than the rest of a unit's reassessment)."""

    pk: int
    unit_id: int
    question_id: int
    question_text: str
    option_label: str | None
    claimed: Decimal | None
    narrative: str
    data_values: dict | None


# Of a piece of evidence not removed, with the registered document it is (if any).
_EVIDENCE_COLUMNS = (
    "answer_id",
    "pk",
    "kind",
    "title",
    "url",
    "document_id",
    "document__kind",
    "document__title",
    "document__number",
    "document__issued_on",
    "document__valid_until",
)
_OWN_EVIDENCE_COLUMNS = tuple(c for c in _EVIDENCE_COLUMNS if not c.startswith("document__"))
_NO_DOCUMENT = {c: None for c in _EVIDENCE_COLUMNS if c.startswith("document__")}
# Of a file's latest revision.
_REVISION_COLUMNS = (
    "evidence_id",
    "original_name",
    "content_type",
    "sha256",
    "text_layer",
    "read_problem",
    "read_number",
    "read_date",
)

# The answers' live evidence (_OWN_EVIDENCE_COLUMNS, then its creation time) with each of a
# file's revisions (its upload time, its id, _REVISION_COLUMNS; none for a link): written out
# (core.sql), as Django building the query cost more than PostgreSQL running it. Unordered:
# _facts orders the few rows it keeps.
_EVIDENCE_COLUMNS_SQL = """e.answer_id, e.id, e.kind, e.title, e.url, e.document_id, e.created_at,
           r.uploaded_at, r.id, r.evidence_id, r.original_name, r.content_type, r.sha256,
           r.text_layer, r.read_problem, r.read_number, r.read_date"""
_EVIDENCE_SQL = f"""
    SELECT {_EVIDENCE_COLUMNS_SQL}
    FROM opd_evidence e
    LEFT JOIN opd_evidencerevision r ON r.evidence_id = e.id
    WHERE e.removed_at IS NULL AND e.answer_id IN ({{listed}})"""  # noqa: S608 - constants
# A unit's answers (_ANSWER_COLUMNS) each with its evidence as above (an answer without any
# once, its evidence columns empty), read again after each of the unit's saves: one query, not
# two (the round trip to PostgreSQL cost more than either read). The points as text
# (sql.Decimals), the data values as the JSON text both databases return (each answer's parsed
# once, however many rows its evidence takes).
_ANSWER_COLUMNS = 7
_UNIT_SQL = f"""
    SELECT a.id, a.unit_id, a.question_id, a.option_id, CAST(a.claimed_points AS text),
           a.narrative, a.data_values, {_EVIDENCE_COLUMNS_SQL}
    FROM opd_answer a
    LEFT JOIN opd_evidence e ON e.answer_id = a.id AND e.removed_at IS NULL
    LEFT JOIN opd_evidencerevision r ON r.evidence_id = e.id
    WHERE a.question_id >= %s AND a.question_id <= %s AND a.unit_id IN ({{listed}})
    ORDER BY a.id"""  # noqa: S608 - constants


def _row_of(answer: Answer) -> _AnswerRow:
    """An answer read as a model row (its question and option with it) as the rules read it."""
    return _AnswerRow(
        answer.pk,
        answer.unit_id,
        answer.question_id,
        answer.question.text,
        answer.option.label if answer.option_id else "",
        answer.claimed_points,
        answer.narrative,
        answer.data_values,
    )


def _values_of(item, columns) -> dict:
    """A model row's `columns` as values() names them ("document__kind": None when there is
    no document)."""
    values = {}
    for column in columns:
        value = item
        for name in column.split("__"):
            value = None if value is None else getattr(value, name)
        values[column] = value
    return values


def _evidence_facts(item: dict, revision: dict | None) -> rules.EvidenceFacts:
    """One piece of evidence (_EVIDENCE_COLUMNS) and its file's latest revision
    (_REVISION_COLUMNS; None for a link) as the rules read them."""
    document_fields = {}
    document_name = None
    if item["document_id"] is not None:
        kind, number = item["document__kind"], item["document__number"]
        document_name = Document.name_of(kind=kind, number=number, title=item["document__title"])
        document_fields = {
            "document_kind": kind,
            "document_label": Document.kind_label(kind),
            "document_valid_until": item["document__valid_until"],
            "document_number": number,
            "document_issued_on": item["document__issued_on"],
        }
    title = item["title"]
    if item["kind"] == Evidence.Kind.LINK:
        return rules.EvidenceFacts(title or item["url"], kind="link", **document_fields)
    if revision is None:
        return rules.EvidenceFacts(title or f"#{item['pk']}", **document_fields)
    problem = revision["read_problem"]
    return rules.EvidenceFacts(
        document_name or title or revision["original_name"],
        content_type=revision["content_type"],
        sha256=revision["sha256"],
        text_layer=revision["text_layer"],
        read_problem=PROBLEMS.get(problem, problem),
        read_number=revision["read_number"],
        read_date=revision["read_date"],
        **document_fields,
    )


def _data_text(values) -> str:
    if not isinstance(values, dict):
        return ""
    return "\n".join(f"{key}: {value}" for key, value in values.items())


def facts_of(answers: list[_AnswerRow], shared: _Period) -> dict[int, rules.AnswerFacts]:
    """Answer id -> its facts, for saved answers of one period. One query of plain values:
    their evidence with its file's revisions."""
    return _facts(answers, sql.fetch_listed(_EVIDENCE_SQL, [a.pk for a in answers]), shared)


def _facts(answers: list[_AnswerRow], rows, shared: _Period) -> dict[int, rules.AnswerFacts]:
    """Answer id -> its facts, from their evidence `rows` (_EVIDENCE_SQL's columns): the newest
    of a file's revisions kept (a file has a few), each document from the kept documents,
    ordered here."""
    own = len(_OWN_EVIDENCE_COLUMNS)
    created, uploaded, revision_pk, revision = own, own + 1, own + 2, own + 3
    newest: dict[int, tuple] = {}  # evidence id -> its row with its newest revision
    for row in rows:
        kept = newest.get(row[1])
        # A file's rows each have a revision; a link's one row has none.
        if kept is None or (row[uploaded], row[revision_pk]) > (kept[uploaded], kept[revision_pk]):
            newest[row[1]] = row
    # The kept documents, read (once until anything district-wide changes) only when some
    # evidence is one.
    document = _OWN_EVIDENCE_COLUMNS.index("document_id")
    documents = _documents() if any(row[document] for row in newest.values()) else {}
    evidence = defaultdict(list)
    for row in sorted(newest.values(), key=lambda r: (r[0], r[created], r[1])):
        item = dict(zip(_OWN_EVIDENCE_COLUMNS, row, strict=False))
        item.update(documents.get(item["document_id"], _NO_DOCUMENT))
        found = None
        if item["kind"] == Evidence.Kind.FILE and row[revision] is not None:
            found = _revision_of(row[revision:])
        evidence[item["answer_id"]].append(_evidence_facts(item, found))
    return {
        answer.pk: answer_facts(answer, tuple(evidence.get(answer.pk, ())), shared)
        for answer in answers
    }


def _revision_of(values: tuple) -> dict:
    """A revision's _REVISION_COLUMNS as the ORM gives them. SQLite returns a boolean as 0 or 1
    and a date as its ISO text; the rules test `text_layer is False` and compare dates."""
    found = dict(zip(_REVISION_COLUMNS, values, strict=True))
    if found["text_layer"] is not None:
        found["text_layer"] = bool(found["text_layer"])
    if isinstance(found["read_date"], str):
        found["read_date"] = datetime.date.fromisoformat(found["read_date"])
    return found


def _documents() -> dict[int, dict]:
    """Every registered document's kind, title, number and dates, by id (_EVIDENCE_COLUMNS'
    names), kept until anything district-wide changes (a document's change raises "all"):
    a unit's reassessment after each save then reads its evidence without joining them."""
    columns = [c for c in _EVIDENCE_COLUMNS if c.startswith("document__")]
    return page_cache.remember(
        "risk-documents",
        compute=lambda: {
            pk: dict(zip(columns, values, strict=True))
            for pk, *values in Document.objects.order_by().values_list(
                "pk", *(c.removeprefix("document__") for c in columns)
            )
        },
    )


def answer_facts(answer: _AnswerRow, evidence: tuple, shared: _Period) -> rules.AnswerFacts:
    return rules.AnswerFacts(
        question_text=answer.question_text,
        option_label=answer.option_label or "",
        claimed=answer.claimed,
        narrative=answer.narrative,
        data_text=_data_text(answer.data_values),
        evidence=evidence,
        needed_until=shared.needed_until,
        evaluated_year=shared.evaluated_year,
        lost_before=shared.lost_before(answer.question_id),
        entry_date=shared.entry_date,
    )


def _texts(period: Period) -> tuple[dict[int, str], dict[int, str]]:
    """The period's question texts and option labels by id, kept until anything district-wide
    changes (the instrument raises "all"): a unit's reassessment after each save then reads
    its answers alone, not joined to them (the joins were a quarter of the read)."""
    return page_cache.remember(
        "risk-texts",
        parts=[period.pk],
        compute=lambda: (
            dict(
                Question.objects.filter(indicator__group__period=period).values_list("pk", "text")
            ),
            dict(
                AnswerOption.objects.filter(question__indicator__group__period=period).values_list(
                    "pk", "label"
                )
            ),
        ),
    )


def _answers(period: Period, unit_ids) -> tuple[list[_AnswerRow], list[tuple]]:
    """The answers the units give in the period, and their evidence rows (_EVIDENCE_SQL's
    columns): one query."""
    ids, first, last = period_questions(period=period)
    questions, options = _texts(period)
    decimal = sql.Decimals()
    answers, evidence = {}, []
    for row in sql.fetch_listed(_UNIT_SQL, unit_ids, [first, last]):
        pk, unit_id, question_id, option_id, claimed, narrative, data_values = row[:_ANSWER_COLUMNS]
        if question_id not in ids:
            continue
        if pk not in answers:
            answers[pk] = _AnswerRow(
                pk,
                unit_id,
                question_id,
                questions[question_id],
                options.get(option_id, "") if option_id else "",
                decimal(claimed),
                narrative,
                json.loads(data_values) if isinstance(data_values, str) else data_values,
            )
        if row[_ANSWER_COLUMNS + 1] is not None:  # the evidence's id: it has some
            evidence.append(row[_ANSWER_COLUMNS:])
    return list(answers.values()), evidence


def assess_units(period: Period, unit_ids) -> dict[int, dict[int, rules.Risk]]:
    """unit id -> {answer id -> Risk} for the answers those units give, assessed now."""
    shared = _Period(period)
    answers, evidence = _answers(period, unit_ids)
    facts = _facts(answers, evidence, shared)
    out = {unit_id: {} for unit_id in unit_ids}
    for answer in answers:
        out.setdefault(answer.unit_id, {})[answer.pk] = rules.assess(facts[answer.pk])
    return out


def _answering_units(period: Period) -> list[int]:
    """The units that give answers in the period (lead or per-unit assignments), kept until
    the assignments change ("all")."""
    return page_cache.remember(
        "risk-units",
        parts=(period.pk,),
        compute=lambda: sorted(
            set(
                Assignment.objects.answering()
                .filter(question__indicator__group__period=period)
                .values_list("unit_id", flat=True)
            )
        ),
    )


def _per_unit(period: Period, unit_ids) -> dict[int, dict[int, rules.Risk]]:
    """unit id -> {answer id -> Risk}, kept per answering unit until that unit's answers (or
    anything global) change."""
    return page_cache.remember_each(
        "risk",
        scopes={unit_id: page_cache.answers_scope(unit_id) for unit_id in unit_ids},
        compute=lambda stale: assess_units(period, stale),
        parts=(period.pk,),
    )


def risks(period: Period, *, unit_ids=None) -> dict[int, rules.Risk]:
    """Answer id -> Risk for the period's answers (those of `unit_ids` when given)."""
    if unit_ids is None:
        unit_ids = _answering_units(period)
    found = {}
    for verdicts in _per_unit(period, unit_ids).values():
        found.update(verdicts)
    return found


def answer_risk(answer: Answer, *, period: Period | None = None, evidence=None) -> rules.Risk:
    """The verdict on one answer, assessed from its own facts (its evidence and their files:
    two queries). Not from its unit's kept verdicts: the answer page, the commonest, follows
    every save, when those are stale, and assessing a large agency's hundred answers again
    there cost more than the page itself. The same rules and facts, so the same verdict.
    `evidence`: the answer's live evidence with its documents and its revisions newest first,
    when the caller has read them (opd.selectors.answer_page_data)."""
    period = period or answer.question.indicator.group.period
    row = _row_of(answer)
    if answer.pk is None:  # a draft nobody wrote yet
        return rules.assess(answer_facts(row, (), _Period(period)))
    if evidence is not None:  # what the page read already: not read a second time
        facts = tuple(
            _evidence_facts(
                _values_of(e, _EVIDENCE_COLUMNS),
                _revision_values(e) if e.kind == e.Kind.FILE else None,
            )
            for e in evidence
        )
        return rules.assess(answer_facts(row, facts, _Period(period)))
    return answers_risk([answer], period=period)[answer.pk]


def _revision_values(item: Evidence) -> dict | None:
    latest = next(iter(item.revisions.all()), None)
    return None if latest is None else _values_of(latest, _REVISION_COLUMNS)


def answers_risk(answers, *, period: Period) -> dict[int, rules.Risk]:
    """Answer id -> the verdict, for some saved answers of `period` (their question and option
    read with them), assessed from their own facts: two queries."""
    facts = facts_of([_row_of(a) for a in answers], _Period(period))
    return {pk: rules.assess(found) for pk, found in facts.items()}


def listed_risks(answers, *, period: Period) -> dict[int, rules.Risk]:
    """Answer id -> the verdict, for the answers a page lists (the review queue's fifty, their
    question and option read with them): each kept until its unit's answers change
    (answers_scope), so a page rebuilt after a save elsewhere assesses the listed answers of
    the units that changed alone, from their own facts."""
    by_pk = {answer.pk: answer for answer in answers}
    return page_cache.remember_each(
        "answer-risk",
        scopes={answer.pk: page_cache.answers_scope(answer.unit_id) for answer in answers},
        compute=lambda stale: answers_risk([by_pk[pk] for pk in stale], period=period),
        parts=(period.pk,),
    )


def points_at_risk(period: Period, *, unit_ids=None) -> Decimal:
    """The claimed points of the period's high-risk answers."""
    return sum((r.points_at_risk for r in risks(period, unit_ids=unit_ids).values()), ZERO)


def summary(period: Period) -> dict:
    """Points at risk and the answers per level, for the secretariat's and the Bupati's pages:
    kept while no answer or evidence of the period (nor anything global: documents, official
    points, returns) changes, so a page from the cache reads one version for it."""
    return page_cache.remember(
        "risk-summary",
        scopes=[page_cache.period_scope(period.pk)],
        parts=(period.pk,),
        compute=lambda: _summary(period),
    )


def _summary(period: Period) -> dict:
    """The sums of each unit's tally, itself kept per unit: after one unit's save, one unit is
    reassessed and tallied, and the page adds a few hundred small tuples, not every answer."""
    tallies = page_cache.remember_each(
        "risk-tally",
        scopes={unit_id: page_cache.answers_scope(unit_id) for unit_id in _answering_units(period)},
        compute=lambda stale: {
            unit_id: _tally(verdicts.values())
            for unit_id, verdicts in _per_unit(period, stale).items()
        },
        parts=(period.pk,),
    )
    points, high, medium, answers = ZERO, 0, 0, 0
    for unit_points, unit_high, unit_medium, unit_answers in tallies.values():
        points += unit_points
        high, medium, answers = high + unit_high, medium + unit_medium, answers + unit_answers
    return {"points": points, "high": high, "medium": medium, "answers": answers}


def _tally(verdicts) -> tuple[Decimal, int, int, int]:
    """Points at risk, high and medium answers, and answers, of some verdicts."""
    verdicts = list(verdicts)
    return (
        sum((r.points_at_risk for r in verdicts), ZERO),
        sum(1 for r in verdicts if r.level == rules.HIGH),
        sum(1 for r in verdicts if r.level == rules.MEDIUM),
        len(verdicts),
    )


def flagged_rows(period: Period, *, everything: bool = False) -> list[dict]:
    """The period's answers with something to say (a level, or a file not checked), the
    highest level and most points at risk first: question code, unit, level, reasons, points
    at risk. For `kla_risk`, the report and the API. Reasons in the active language."""
    verdicts = risks(period)
    answers = Answer.objects.filter(pk__in=verdicts).select_related("question__indicator", "unit")
    rows = []
    for answer in answers:
        verdict = verdicts[answer.pk]
        if not everything and verdict.level == rules.NONE and not verdict.unchecked:
            continue
        rows.append(
            {
                "answer": answer.pk,
                "question": f"{answer.question.indicator.code}/{answer.question.code}",
                "question_id": answer.question_id,
                "unit": answer.unit.short_name or answer.unit.name,
                "level": verdict.level,
                "reasons": [str(reason) for reason in verdict.reasons],
                "unchecked": [str(reason) for reason in verdict.unchecked],
                "rules": list(verdict.rules),
                "points_at_risk": verdict.points_at_risk,
                "_key": (*rules.sort_key(verdict), answer.question_id, answer.unit_id),
            }
        )
    rows.sort(key=lambda row: row["_key"])
    for row in rows:
        del row["_key"]
    return rows


def read_of(revision: EvidenceRevision) -> dict | None:
    """What a file's text says, for the register form: its number and date, how they were
    read, why it could not be, and whether the date falls after its period's entry (then the
    document was not in force when entered: the rule dated_late)."""
    if revision.read_at is None:
        return None
    period = revision.evidence.answer.question.indicator.group.period
    entry = period.review_deadline
    return {
        "number": revision.read_number,
        "date": revision.read_date,
        "via": revision.read_via,
        "problem": PROBLEMS.get(revision.read_problem, revision.read_problem),
        "entry": entry,
        "late": bool(revision.read_date and entry and revision.read_date > entry),
    }


# --- How well the rules predicted a past year -------------------------------------------------


def outcomes(period: Period) -> list[rules.Outcome]:
    """Each answer's verdict now beside what the verifiers made of its question: the points
    the ministry did not give (claimed minus official per question, shared among the
    question's answers by their claimed points) and whether the province returned it."""
    official = dict(
        OfficialPoints.objects.filter(
            period=period, level=OfficialPoints.Level.QUESTION
        ).values_list("question_id", "points")
    )
    returned = set(
        ProvincialReturn.objects.filter(question__indicator__group__period=period).values_list(
            "question_id", flat=True
        )
    )
    verdicts = risks(period)
    answers = list(
        Answer.objects.filter(pk__in=verdicts).values_list("pk", "question_id", "claimed_points")
    )
    claimed = defaultdict(lambda: ZERO)
    for _pk, question_id, points in answers:
        claimed[question_id] += points or ZERO
    found = []
    for pk, question_id, points in answers:
        lost = ZERO
        if question_id in official and claimed[question_id] > 0:
            question_lost = max(claimed[question_id] - official[question_id], ZERO)
            lost = (question_lost * (points or ZERO) / claimed[question_id]).quantize(ZERO)
        found.append(rules.Outcome(verdicts[pk], lost=lost, returned=question_id in returned))
    return found


def prediction(period: Period) -> rules.Prediction:
    return rules.prediction(outcomes(period))


def has_official_points(period: Period) -> bool:
    return OfficialPoints.objects.filter(
        period=period, level=OfficialPoints.Level.QUESTION
    ).exists()


__all__ = [
    "answer_risk",
    "answers_risk",
    "assess_units",
    "evaluated_year",
    "facts_of",
    "flagged_rows",
    "has_official_points",
    "listed_risks",
    "lost_files",
    "outcomes",
    "points_at_risk",
    "prediction",
    "read_of",
    "risks",
    "summary",
]
