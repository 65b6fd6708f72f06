"""The score updated from the changed answers (engine.score_update, and the service's kept
score with the notes of the score's raises) equals the score computed whole, to the cent:
every total, group, indicator and question, the ranks, the gap to the target and the largest
gaps, after thousands of random changes."""

import random
from decimal import Decimal as D

import pytest
from django.db import transaction

from core import page_cache
from indicators import scoring as engine
from indicators.models import DEFAULT_RANK_BANDS, AnswerOption
from opd import scoring
from opd.models import Answer, Assignment
from tests import factories

BANDS = [engine.Band(name, bound) for name, bound in DEFAULT_RANK_BANDS]
MAXIMA = [D("0"), D("1"), D("2.5"), D("3.33"), D("5"), D("10"), D("12.75")]


def _cents(score: engine.PeriodScore) -> tuple:
    """Everything a score shows, as text: 5.0 and 5.00 would differ here."""

    def points(p):
        return tuple(str(x) for x in p)

    return (
        str(score.max_points),
        points(score.points),
        score.rank_claimed,
        score.rank_verified,
        score.rank_potential,
        score.target,
        str(score.gap_to_target),
        tuple((b.name, str(b.lower_bound)) for b in score.bands),
        tuple((q.id, str(q.missing), points(q.points)) for q in score.gaps),
        tuple(
            (
                g.id,
                g.name,
                str(g.max_points),
                points(g.points),
                tuple(
                    (
                        i.id,
                        i.code,
                        str(i.max_points),
                        points(i.points),
                        tuple(
                            (
                                q.id,
                                q.indicator_id,
                                q.code,
                                str(q.max_points),
                                points(q.points),
                                q.order,
                                str(q.missing),
                            )
                            for q in i.questions
                        ),
                    )
                    for i in g.indicators
                ),
            )
            for g in score.groups
        ),
    )


# Step tables of a question worth 1 (scaled by each question's maximum): a percentage
# question's share in steps, or none (the straight share).
STEPS = [
    (),
    ((D("0"), D("0.25")), (D("25"), D("0.4")), (D("50"), D("0.75")), (D("75"), D("0.8"))),
    ((D("0"), D("0")), (D("50"), D("0.5")), (D("100"), D("1"))),
]


def _steps(rng: random.Random, maximum: D) -> tuple:
    return tuple((low, (share * maximum).quantize(D("0.01"))) for low, share in rng.choice(STEPS))


def _instrument(
    rng: random.Random, rounding: str = engine.ROUND_QUESTION
) -> tuple[engine.Instrument, list[engine.QuestionInput]]:
    groups, indicators, questions = [], [], []
    for g in range(rng.randint(1, 4)):
        # Orders repeat and run against the ids: the engine orders by (order, id).
        groups.append(engine.GroupInput(100 + g, f"Klaster {g}", rng.randint(0, 2)))
        for n in range(rng.randint(0, 5)):
            pk = len(indicators) + 1
            cap = rng.choice([D("0"), D("4"), D("10"), D("17"), D("30"), D("100")])
            indicators.append(
                engine.IndicatorInput(pk, 100 + g, f"{g}.{n}", "I", cap, rng.randint(0, 3))
            )
            for _ in range(rng.randint(0, 8)):
                qid = len(questions) + 1
                maximum, n_units = rng.choice(MAXIMA), rng.choice([1, 1, 1, 2, 3, 7])
                # Per-unit questions may have steps; any question may keep imported points.
                kept = _answer(rng, maximum) if rng.random() < 0.15 else None
                questions.append(
                    engine.QuestionInput(
                        qid,
                        pk,
                        f"Q{qid}",
                        maximum,
                        (),
                        n_units,
                        rng.randint(0, 4),
                        _steps(rng, maximum) if n_units > 1 else (),
                        kept,
                    )
                )
    # Now and then a question of an indicator no group holds: it counts nowhere.
    if rng.random() < 0.2:
        questions.append(engine.QuestionInput(len(questions) + 1, 999, "X", D("5")))
    prepared = engine.prepare(
        groups=groups, indicators=indicators, questions=questions, bands=BANDS, rounding=rounding
    )
    return prepared, questions


def _answer(rng: random.Random, maximum: D) -> engine.UnitAnswer:
    """Any answer, in or out of range: negative and over-max points are clamped."""
    claimed = rng.choice(
        [None, D("0"), maximum, maximum + 3, D("-1"), D(rng.randint(0, 1275)) / 100]
    )
    state = rng.choice(["draft", "submitted", "revision", "approved"])
    if state == "approved":
        verified = rng.choice([D("0"), maximum, D(rng.randint(0, 1275)) / 100, maximum + 1])
        return engine.UnitAnswer(claimed, verified, False)
    return engine.UnitAnswer(claimed, None, state == "submitted")


@pytest.mark.parametrize("rounding", [engine.ROUND_QUESTION, engine.ROUND_INDICATOR])
@pytest.mark.parametrize("seed", range(12))
def test_updated_score_equals_the_whole_score_after_random_changes(seed, rounding):
    rng = random.Random(seed)
    instrument, questions = _instrument(rng, rounding)
    assert instrument.rounding == rounding
    target = rng.choice([None, "Pratama", "Madya", "Nindya", "Utama", "KLA"])
    n_gaps = rng.choice([3, 10])
    answers: dict[int, dict[int, engine.UnitAnswer]] = {}
    state = engine.score_prepared(instrument, {}, target=target, n_gaps=n_gaps)
    if not questions:
        return
    changes = 0
    for _ in range(400):
        changed = {}
        for _ in range(rng.choice([1, 1, 1, 2, 5])):
            q = rng.choice(questions)
            rows = answers.setdefault(q.id, {})
            unit = rng.randint(1, max(q.n_units, 1) + 1)  # the extra unit: one no longer assigned
            if rows and rng.random() < 0.25:
                rows.pop(rng.choice(list(rows)))  # an answer (or a per-unit row) deleted
            else:
                rows[unit] = _answer(rng, q.max_points)
            changed[q.id] = tuple(rows.values())
            changes += 1
        state = engine.score_update(state, changed)
        whole = engine.score_prepared(
            instrument,
            {pk: tuple(rows.values()) for pk, rows in answers.items()},
            target=target,
            n_gaps=n_gaps,
        )
        assert _cents(state.score) == _cents(whole.score)
        assert state.valued == whole.valued
    assert changes >= 400


@pytest.mark.parametrize("rounding", [engine.ROUND_QUESTION, engine.ROUND_INDICATOR])
def test_the_whole_score_of_the_reference_function_is_the_prepared_one(rounding):
    """score_period, the reference the pages were computed with, is score_prepared at once."""
    rng = random.Random(7)
    instrument, questions = _instrument(rng, rounding)
    with_answers = [
        q._replace(answers=tuple(_answer(rng, q.max_points) for _ in range(rng.randint(0, 3))))
        for q in questions
    ]
    whole = engine.score_period(
        groups=[g.group for g in instrument.groups],
        indicators=[i.indicator for g in instrument.groups for i in g.indicators],
        questions=with_answers,
        bands=BANDS,
        target="Madya",
        rounding=rounding,
    )
    prepared = engine.score_prepared(
        instrument, {q.id: q.answers for q in with_answers}, target="Madya"
    )
    assert _cents(whole) == _cents(prepared.score)
    assert whole.gaps and whole.gaps[0].missing >= whole.gaps[-1].missing


def test_an_update_of_nothing_scored_keeps_the_state():
    instrument, _questions = _instrument(random.Random(3))
    state = engine.score_prepared(instrument, {})
    assert engine.score_update(state, {123456: (engine.UnitAnswer(D("5")),)}) is state


# --- The service: notes of the score's raises, across transactions ------------------------------


def _whole(period) -> tuple:
    """The score computed whole from the database, nothing kept."""
    instrument = scoring._instrument(period)
    return _cents(
        engine.score_prepared(
            instrument["prepared"],
            scoring._answers(period, instrument),
            target=period.target_rank or None,
        ).score
    )


@pytest.mark.django_db(transaction=True)
def test_the_kept_score_follows_random_committed_changes(
    page_cache_on, django_assert_max_num_queries
):
    """Answers appear, go, change points, state and option, per-unit rows come and go, each
    change committed as a service commits it; the score kept in this process, updated from the
    notes, equals the score computed whole after every one. A raise without a note (a change
    the notes do not describe) makes it compute whole, and stays right."""
    rng = random.Random(2027)
    period = factories.PeriodFactory(year=2026, target_rank="Madya")
    lead = factories.UnitFactory(name="Dinas Kesehatan", short_name="Dinkes")
    kecamatan = [
        factories.UnitFactory(name=f"Kecamatan {n}", short_name=f"Kec. {n}", kind="kecamatan")
        for n in range(3)
    ]
    questions, options = [], {}
    for n in range(4):
        indicator = factories.IndicatorFactory(
            group__period=period, max_points=D(rng.choice([6, 10, 30]))
        )
        for _ in range(3):
            q = factories.QuestionFactory(indicator=indicator, max_points=D(rng.choice([2, 5, 10])))
            if n == 3:  # an every-kecamatan question: the mean of the rows
                q.every_kecamatan = True
                q.save()
                for unit in kecamatan:
                    factories.AssignmentFactory(
                        question=q, unit=unit, role=Assignment.Role.PER_UNIT
                    )
            else:
                factories.AssignmentFactory(question=q, unit=lead, role=Assignment.Role.LEAD)
                options[q.pk] = [
                    AnswerOption.objects.create(question=q, label=f"Opsi {p}", points=D(p), order=p)
                    for p in (0, 1, 2)
                ]
            questions.append(q)
    assert scoring.score_period(period=period) is not None

    def change(step):
        q = rng.choice(questions)
        unit = rng.choice(kecamatan) if q.every_kecamatan else lead
        answer = Answer.objects.filter(question=q, unit=unit).first()
        with transaction.atomic():
            if answer is not None and rng.random() < 0.2:
                answer.delete()
            else:
                answer = answer or Answer(question=q, unit=unit)
                status = rng.choice(["draft", "submitted", "revision_requested", "approved"])
                option = (
                    rng.choice(options[q.pk]) if q.pk in options and rng.random() < 0.5 else None
                )
                answer.option = option
                answer.claimed_points = (
                    option.points if option else D(rng.randint(0, int(q.max_points) * 100)) / 100
                )
                answer.status = status
                answer.verified_points = (
                    D(rng.randint(0, int(answer.claimed_points * 100))) / 100
                    if status == "approved"
                    else rng.choice([None, answer.claimed_points])
                )
                answer.save()
            if step % 37 == 0:  # a raise the notes do not describe: computed whole
                page_cache.changed(page_cache.score_scope(period.pk))

    updated = 0
    for step in range(150):
        change(step)
        if step % 50 == 25:  # further behind than one join reads: the notes, then the answers
            for _ in range(scoring.JOINED_RAISES + 1):
                change(step)
        # Versions, the notes joined to the changed question's answers (or, computed whole,
        # the instrument's four queries and the answers).
        with django_assert_max_num_queries(6) as queries:
            kept = _cents(scoring.score_period(period=period))
        updated += len(queries) == 2
        assert kept == _whole(period), f"step {step}"
    assert updated > 100  # most scores were updates, not computed whole
