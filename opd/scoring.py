"""The score service: feeds the pure engine from the database and keeps snapshots.

A fixed number of queries whatever the size of the instrument: groups, indicators,
assignments of per-unit questions, questions with their answers, rank bands. With the page
cache on, a score after answers changed reads what changed, not the period (score_state).
"""

import datetime
import json
from decimal import Decimal

from django.db import connection, transaction
from django.utils import timezone

from core import page_cache, sql
from core.models import DataChange
from indicators import scoring as engine
from indicators.models import Period, Question, ScoreSnapshot
from indicators.score_document import score_document
from indicators.steps import as_decimals
from opd.models import Answer, Assignment

SNAPSHOT_EVERY = datetime.timedelta(minutes=1)


def _instrument(period: Period) -> dict:
    """What scoring reads of the instrument and of who answers, as plain values: groups,
    indicators, questions, the per-unit questions' units, the bands, and the engine's prepared
    structure of them (ordered and rounded once). Four queries, kept until anything
    district-wide changes (instrument, assignments and units all raise "all"), so a score after
    an answer's change reads only the answers: in the March rush the instrument does not move."""
    decimal, new, question = sql.Decimals(), tuple.__new__, engine.QuestionInput
    groups_by_id: dict[int, engine.GroupInput] = {}
    indicators = []
    for group_id, group_name, group_order, pk, code, name, maximum, order in sql.fetch(
        _STRUCTURE_SQL, [period.pk]
    ):
        if group_id not in groups_by_id:
            groups_by_id[group_id] = engine.GroupInput(group_id, group_name, group_order)
        if pk is not None:  # a group without indicators yet comes once, with none
            indicators.append(
                engine.IndicatorInput(pk, group_id, code, name, decimal(maximum), order)
            )
    # The questions by their indicators' ids, not joined through them to the period: planning
    # the join cost PostgreSQL a fifth of running it.
    rows = sql.fetch_listed(_QUESTIONS_SQL, (i.id for i in indicators))
    question_ids = frozenset(row[0] for row in rows)
    question_range = (min(question_ids, default=0), max(question_ids, default=0))
    # A question answered per unit scores the share over its units (registered here). By the
    # range of the question ids, as the answers are read (_answers): a join through the
    # instrument cost more to plan than to run.
    n_units: dict[int, int] = {}
    answering: set[tuple[int, int]] = set()
    for question_id, unit_id in sql.fetch(
        _PER_UNIT_SQL, [Assignment.Role.PER_UNIT.value, *question_range]
    ):
        if question_id in question_ids:
            n_units[question_id] = n_units.get(question_id, 0) + 1
            answering.add((question_id, unit_id))
    kecamatan, desa = period.official_kecamatan, period.official_desa
    questions = []
    # Thousands of questions a period at ten times a district: the loop does per question only
    # what every question needs; the rare ones (per unit, steps, kept points) branch off.
    for pk, indicator_id, code, maximum, order, rare in rows:
        if rare is None:
            units, steps, kept = n_units.get(pk, 1), (), None
        else:
            flags, claimed, verified, steps = rare.split(" ", 3)
            units = share_denominator(
                every_kecamatan=flags[0] == "k",
                every_desa=flags[1] == "d",
                registered=n_units.get(pk, 1),
                kecamatan=kecamatan,
                desa=desa,
            )
            steps = as_decimals(json.loads(steps)) if steps not in _NO_STEPS else ()
            kept = kept_answer(decimal(claimed or None), decimal(verified or None))
        questions.append(
            new(question, (pk, indicator_id, code, decimal(maximum), (), units, order, steps, kept))
        )
    bands = [
        engine.Band(name, decimal(lower_bound))
        for name, lower_bound in sql.fetch(_BANDS_SQL, [period.pk])
    ]
    groups = list(groups_by_id.values())
    prepared = engine.prepare(
        groups=groups,
        indicators=indicators,
        questions=questions,
        bands=bands,
        rounding=period.rounding,
    )
    return {
        "groups": groups,
        "indicators": indicators,
        "questions": questions,
        "question_ids": question_ids,
        "question_range": question_range,
        "n_units": n_units,
        "answering": answering,
        "bands": bands,
        "prepared": prepared,
    }


def share_denominator(
    *, every_kecamatan: bool, every_desa: bool, registered: int, kecamatan, desa
) -> int:
    """The number a per-unit question's share is over: the district's official number of
    kecamatan (desa) when the period holds it (a kecamatan without an account still counts,
    as "no"), else the units registered to answer it. The one statement of the rule: the
    score and the question's table page both ask here."""
    if every_kecamatan or every_desa:
        official = [kecamatan if every_kecamatan else 0, desa if every_desa else 0]
        if None not in official and sum(official):
            return sum(official)
    return max(registered, 1)


def unit_answer(
    claimed: Decimal | None, verified: Decimal | None, status: str
) -> engine.UnitAnswer:
    """An answer as the engine reads it: its claimed points, any status; verified points only
    once approved; awaiting review while submitted. The one statement of the rule: the score's
    reads, the question tables and the reports' rows all make their records here."""
    return engine.UnitAnswer(
        claimed,
        verified if status == Answer.Status.APPROVED else None,
        status == Answer.Status.SUBMITTED,
    )


def says_yes(claimed: Decimal | None, maximum: Decimal) -> bool:
    """Whether a row of a per-unit question counts as "Ya" in its share ("k dari n"): its
    claimed points are the question's maximum. Pages, the recap and the entry kit ask here."""
    return claimed is not None and claimed == maximum


def kept_answer(claimed: Decimal | None, verified: Decimal | None) -> engine.UnitAnswer | None:
    """A question's kept (imported) points as the engine reads them: approved with verified
    points, handed in and awaiting review with claimed points only."""
    if claimed is None and verified is None:
        return None
    return engine.UnitAnswer(
        claimed if claimed is not None else verified, verified, verified is None
    )


def question_input(*, question: Question, registered: int, answers=()) -> engine.QuestionInput:
    """One question as the engine reads it, from its model row (a page's single question)."""
    period = question.indicator.group.period
    return engine.QuestionInput(
        question.pk,
        question.indicator_id,
        question.code,
        question.max_points,
        tuple(answers),
        share_denominator(
            every_kecamatan=question.every_kecamatan,
            every_desa=question.every_desa,
            registered=registered,
            kecamatan=period.official_kecamatan,
            desa=period.official_desa,
        ),
        question.order,
        as_decimals(question.steps) if question.steps else (),
        kept_answer(question.kept_claimed_points, question.kept_verified_points),
    )


_NO_STEPS = ("[]", "null")  # an empty JSON list as the database writes it (no steps)


# The reads of a whole score through the instrument's joins, written out: Django building and
# compiling them cost a tenth of a score at ten times a district. Decimals of questions and
# answers as text, for sql.Decimals; the steps' JSON as text, of the per-unit questions alone (the
# only ones with steps, Question.clean): writing every question's empty list out cost the
# database a sixth of the read.
# The groups with their indicators in one read (a round trip and a plan fewer than two); the
# decimals as text here too: SQLite gives a numeric column back as a float (12.5), where the
# engine's inputs are Decimals (1.1 as a float is not 1.10).
_STRUCTURE_SQL = """
    SELECT g.id, g.name, g."order", i.id, i.code, i.name, CAST(i.max_points AS text), i."order"
    FROM indicators_group g
    LEFT JOIN indicators_indicator i ON i.group_id = g.id
    WHERE g.period_id = %s"""
_BANDS_SQL = """
    SELECT name, CAST(lower_bound AS text) FROM indicators_rankband WHERE period_id = %s"""
_PER_UNIT_SQL = """
    SELECT question_id, unit_id FROM opd_assignment
    WHERE role = %s AND question_id >= %s AND question_id <= %s"""
# The columns few questions use, in one that is NULL for the others (per unit: "k" every
# kecamatan, "d" every desa; kept points; steps, of the per-unit questions alone), and an
# answer's status and points as one text (the key its engine record is made once for): each
# column read cost the database and the driver about a tenth of reading thousands of rows.
_QUESTIONS_SQL = """
    SELECT id, indicator_id, code, CAST(max_points AS text), "order",
           CASE WHEN every_kecamatan OR every_desa
                     OR kept_claimed_points IS NOT NULL OR kept_verified_points IS NOT NULL
                THEN CASE WHEN every_kecamatan THEN 'k' ELSE '-' END
                     || CASE WHEN every_desa THEN 'd' ELSE '-' END
                     || ' ' || COALESCE(CAST(kept_claimed_points AS text), '')
                     || ' ' || COALESCE(CAST(kept_verified_points AS text), '')
                     || ' ' || CASE WHEN every_kecamatan OR every_desa
                                    THEN CAST(steps AS text) ELSE '[]' END
           END
    FROM indicators_question
    WHERE indicator_id IN ({listed})"""
# (Column names alone: the notes joined to the answers in _changed_answers have none of them.)
_ANSWER_STATE = """status || ' ' || COALESCE(CAST(claimed_points AS text), '')
    || ' ' || COALESCE(CAST(verified_points AS text), '')"""
_ANSWERS_SQL = f"""
    SELECT question_id, unit_id, {_ANSWER_STATE}
    FROM opd_answer
    WHERE question_id >= %s AND question_id <= %s"""  # noqa: S608 - our own text
_QUESTIONS_ANSWERS_SQL = f"""
    SELECT question_id, unit_id, {_ANSWER_STATE}
    FROM opd_answer
    WHERE question_id IN ({{listed}})"""  # noqa: S608 - our own text


def _kept_instrument(period: Period) -> dict:
    return page_cache.remember(
        "score-instrument", parts=[period.pk], compute=lambda: _instrument(period)
    )


def period_questions(*, period: Period) -> tuple[frozenset[int], int, int]:
    """The ids of the period's questions with the lowest and the highest, from the instrument
    the score keeps until anything district-wide changes. A read of some units' answers
    filters by the range and keeps those of the set: joined through the instrument to the
    period, PostgreSQL walked (and planned) every question of a large period instead."""
    instrument = _kept_instrument(period)
    return (instrument["question_ids"], *instrument["question_range"])


def _answers(
    period: Period | None, instrument: dict, question_ids: set[int] | None = None
) -> dict[int, list[engine.UnitAnswer]]:
    """The answers of the period's questions (or of `question_ids` alone, each present, with
    none if it has none), as the engine reads them: one query of plain values, never model
    rows, without the models' default ordering (the engine orders them itself, and sorting by
    the joined instrument and unit names cost the database more than reading)."""
    if question_ids is None:
        # The range of the period's question ids, not a join through the instrument to the
        # period (which cost the database five times the reading at ten times a district);
        # answers of another period's questions inside the range are left by _unit_answers.
        values = sql.fetch(_ANSWERS_SQL, list(instrument["question_range"]))
    else:
        values = sql.fetch_listed(_QUESTIONS_ANSWERS_SQL, question_ids)
    return _unit_answers(instrument, values, question_ids or ())


def _unit_answers(instrument: dict, rows, question_ids) -> dict[int, list[engine.UnitAnswer]]:
    """(question id, unit id, status and points as text: _ANSWER_STATE) rows as the engine
    reads them, per question; each of `question_ids` present, with none if it has none."""
    n_units, answering = instrument["n_units"], instrument["answering"]
    found: dict[int, list[engine.UnitAnswer]] = {pk: [] for pk in question_ids}
    decimal = sql.Decimals()
    scored = instrument["question_ids"]
    # Answers of the same status and points are one record, made once per read: thousands of
    # answers hold a few dozen, and making each cost a sixth of reading them.
    made = {}
    for pk, unit_id, state in rows:
        if pk not in scored:
            continue  # another period's question
        if pk in n_units and (pk, unit_id) not in answering:
            continue  # a unit no longer assigned: it does not count in the mean
        answer = made.get(state)
        if answer is None:
            status, claimed, verified = state.split(" ")
            answer = made[state] = unit_answer(
                decimal(claimed or None), decimal(verified or None), status
            )
        if pk in found:
            found[pk].append(answer)
        else:
            found[pk] = [answer]
    return found


# Raises read with their questions' answers in one join; further behind, the notes first.
JOINED_RAISES = 20


def _changed_answers(
    instrument: dict, scope: str, after: int, upto: int
) -> dict[int, list[engine.UnitAnswer]] | None:
    """The answers now of the questions the raises of the score's `scope` after `after` up to
    `upto` noted (core.page_cache.changes_since), each question present, with none if it has
    none; None when a raise has no note (computed whole then). One query: the notes joined to
    the answers of the questions they name."""
    if not 0 < upto - after <= JOINED_RAISES:
        question_ids = page_cache.changes_since(scope, after, upto)
        if question_ids is None:
            return None
        return _answers(None, instrument, question_ids)
    name = connection.ops.quote_name
    notes, answers = name(DataChange._meta.db_table), name(Answer._meta.db_table)
    value, key, scope_ = name("value"), name("key"), name("scope")
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT n.{value}, n.{key}, a.unit_id, "  # noqa: S608 - our own names
            f"{_ANSWER_STATE} "
            f"FROM {notes} n LEFT JOIN {answers} a ON a.question_id = n.{key} "
            f"WHERE n.{scope_} = %s AND n.{value} > %s AND n.{value} <= %s",
            [scope, after, upto],
        )
        rows = cursor.fetchall()
    # A question noted by several raises comes once per raise: its answers by unit.
    values, found = set(), {}
    for value, question_id, unit_id, state in rows:
        values.add(value)
        by_unit = found.setdefault(question_id, {})
        if unit_id is not None:
            by_unit[unit_id] = (question_id, unit_id, state)
    if len(values) != upto - after:
        return None
    return _unit_answers(
        instrument, (row for by_unit in found.values() for row in by_unit.values()), found
    )


def engine_inputs(*, period: Period) -> dict:
    """The engine's inputs as plain values, each question with its answers: what the reports
    read beside the score. The instrument's four queries are kept (_instrument); the answers
    are one."""
    instrument = _kept_instrument(period)
    answers = _answers(period, instrument)
    return {
        "groups": instrument["groups"],
        "indicators": instrument["indicators"],
        "questions": [
            q._replace(answers=tuple(answers.get(q.id, ()))) for q in instrument["questions"]
        ],
        "bands": instrument["bands"],
        "target": period.target_rank or None,
        "rounding": period.rounding,
    }


def score_period(*, period: Period) -> engine.PeriodScore:
    """The period's claimed, verified and potential points, ranks and largest gaps."""
    return score_state(period=period).score


_STATE = "score-state"


def score_state(*, period: Period) -> engine.ScoreState:
    """The period's score with what updating it needs. With the page cache on, the last one is
    kept in this process with the numbers of "all" and of the period's score it was computed
    at; when the score's number has moved since, whichever process made the change, only the
    questions the raises noted (core.page_cache.changes_since: one query) are read again (one
    more) and the engine derives only their indicators and groups again (engine.score_update).
    Computed whole when the instrument moved, the notes are incomplete or gone, or this
    transaction has written answers not yet committed (the numbers do not show them yet)."""
    if not page_cache.enabled() or page_cache.pending():
        instrument = _instrument(period)
        return engine.score_prepared(
            instrument["prepared"], _answers(period, instrument), target=period.target_rank or None
        )
    scope = page_cache.score_scope(period.pk)
    numbers = page_cache.numbers([scope])
    everything, now = numbers[page_cache.GLOBAL], numbers[scope]
    with page_cache.known(numbers):
        instrument = _kept_instrument(period)
    target = period.target_rank or None
    state = None
    kept = page_cache.memo.get((_STATE, period.pk))
    if kept is not None and kept[0] == everything and kept[2] == target:
        if kept[1] == now:
            return kept[3]
        # The answers are read after the numbers, so the state is at least as new as `now`:
        # a change read twice is read the same (its answers as they are now).
        changed = _changed_answers(instrument, scope, kept[1], now)
        if changed is not None:
            state = engine.score_update(kept[3], changed)
    if state is None:
        state = engine.score_prepared(
            instrument["prepared"], _answers(period, instrument), target=target
        )
    page_cache.memo.set((_STATE, period.pk), (everything, now, target, state))
    return state


@transaction.atomic
def snapshot_take(
    *, period: Period, reason: str, force: bool = False, now: datetime.datetime | None = None
) -> ScoreSnapshot | None:
    """Store the score now. Verified-point changes are kept at most once a minute per period;
    milestones (window closed, period locked) always are."""
    now = now or timezone.now()
    Period.objects.select_for_update().filter(pk=period.pk).first()  # serialise snapshots
    if reason == ScoreSnapshot.Reason.VERIFIED_CHANGE and not force:
        last = ScoreSnapshot.objects.filter(period=period).order_by("-taken_at").first()
        if last is not None and now - last.taken_at < SNAPSHOT_EVERY:
            return None
    score = score_period(period=period)
    return ScoreSnapshot.objects.create(
        period=period,
        taken_at=now,
        reason=reason,
        claimed=score.claimed,
        verified=score.verified,
        potential=score.potential,
        rank_claimed=score.rank_claimed or "",
        rank_verified=score.rank_verified or "",
        detail=score_document(period=period, score=score),
    )


def snapshot_after_verified_change(*, period: Period) -> ScoreSnapshot | None:
    """Called by the review workflow after a commit that changed verified points."""
    return snapshot_take(period=period, reason=ScoreSnapshot.Reason.VERIFIED_CHANGE)


def snapshot_milestones(*, today: datetime.date | None = None) -> list[ScoreSnapshot]:
    """For cron: one snapshot per period whose window has closed and has none for it yet."""
    today = today or timezone.localdate()
    taken = []
    for period in Period.objects.filter(window_closes__lt=today):
        if not ScoreSnapshot.objects.filter(
            period=period, reason=ScoreSnapshot.Reason.WINDOW_CLOSED
        ).exists():
            taken.append(snapshot_take(period=period, reason=ScoreSnapshot.Reason.WINDOW_CLOSED))
    return taken
