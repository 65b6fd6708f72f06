"""The score service against the database: the 2024 instrument, snapshots, query budget."""

import datetime
import functools
import json
from decimal import Decimal as D
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.utils import timezone

from indicators.models import Period, Question, RankBand, ScoreSnapshot
from opd import scoring
from opd.models import Answer, Assignment
from tests import factories

pytestmark = pytest.mark.django_db
INSTRUMENT = Path(settings.BASE_DIR) / "fixtures" / "instrument-2024.json"


def _with_points(tmp_path):
    """The 2024 instrument with deterministic claimed/verified points on every other question."""
    data = json.loads(INSTRUMENT.read_text())
    n = 0
    for cluster in data["clusters"]:
        for indicator in cluster["indicators"]:
            for q in indicator["questions"]:
                n += 1
                mx = D(str(q["max_points"]))
                if n % 2 or q["every_kecamatan"] or q["every_desa"] or not q["opds"]:
                    continue
                q["claimed_points"] = str(mx)
                q["verified_points"] = str((mx * D("0.75")).quantize(D("0.25"))) if n % 3 else None
    path = tmp_path / "with-points.json"
    path.write_text(json.dumps(data))
    return data, path


def _independent(data):
    """The rules, written out plainly from the file (not by calling the engine)."""
    claimed = verified = potential = D(0)
    for cluster in data["clusters"]:
        for indicator in cluster["indicators"]:
            c = v = p = D(0)
            for q in indicator["questions"]:
                qc = D(q.get("claimed_points") or 0)
                qv = D(q["verified_points"]) if q.get("verified_points") else D(0)
                awaiting = q.get("claimed_points") and not q.get("verified_points")
                c, v, p = c + qc, v + qv, p + qv + (qc if awaiting else 0)
            mx = D(str(indicator["max_points"]))
            claimed, verified, potential = (
                claimed + min(c, mx),
                verified + min(v, mx),
                potential + min(p, mx),
            )
    return {
        k: f"{x.quantize(D('0.01'))}"
        for k, x in (("claimed", claimed), ("verified", verified), ("potential", potential))
    }


def test_kla_score_json_equals_an_independent_computation(tmp_path):
    data, path = _with_points(tmp_path)
    call_command(
        "import_instrument",
        str(path),
        "--period",
        "2024",
        "--create-units",
        "--create-look-alikes",
        stdout=StringIO(),
    )
    out = StringIO()
    call_command("kla_score", "--period", "2024", "--json", stdout=out)
    doc = json.loads(out.getvalue())
    expected = _independent(data)
    assert {k: doc[k] for k in expected} == expected
    # No target: a new period has none until an earlier year ended locked with a final score.
    assert doc["max_points"] == "1000.00" and doc["period"] == 2024 and doc["target"] is None
    assert len(doc["groups"]) == 7 and sum(len(g["indicators"]) for g in doc["groups"]) == 31
    assert sum(D(g["verified"]) for g in doc["groups"]) == D(doc["verified"])
    assert doc["rank"]["verified"] is None or doc["rank"]["verified"] in {"Pratama", "Madya"}


def test_kla_score_unknown_period():
    with pytest.raises(CommandError, match="No period 1999"):
        call_command("kla_score", "--period", "1999")


def _approved(question, unit, claimed: str, verified: str | None = None) -> Answer:
    """`unit` leads `question` and its answer is approved (verified as claimed unless said)."""
    factories.AssignmentFactory(question=question, unit=unit, role=Assignment.Role.LEAD)
    return Answer.objects.create(
        question=question,
        unit=unit,
        status="approved",
        claimed_points=D(claimed),
        verified_points=D(verified or claimed),
    )


def _build(period, n):
    unit = factories.UnitFactory(name="Dinas Kesehatan", short_name="Dinkes")
    kecamatan = factories.UnitFactory(
        name="Kecamatan Betara", short_name="Kec. Betara", kind="kecamatan"
    )
    per_unit = factories.QuestionFactory(
        indicator__group__period=period, every_kecamatan=True, max_points=D("0")
    )
    factories.AssignmentFactory(question=per_unit, unit=kecamatan, role=Assignment.Role.PER_UNIT)
    for _ in range(n):
        _approved(factories.QuestionFactory(indicator__group__period=period), unit, "5", "4")


@pytest.mark.parametrize("n", [5, 50])
def test_score_query_budget_is_constant(period, n, django_assert_num_queries):
    _build(period, n)
    # The instrument, kept by the page cache until anything district-wide changes: 1 groups
    # with their indicators, 2 questions, 3 assignments of per-unit questions, 4 rank bands;
    # then 5 the answers, the only query of a score after an answer changed
    with django_assert_num_queries(5):
        score = scoring.score_period(period=period)
    assert score.verified == min(D(4 * n), D(30) * n)


def test_fractional_maxima_and_bounds_are_read_as_decimals(period):
    # SQLite gives a numeric column back as a float, where the engine's inputs are Decimals.
    factories.GroupFactory(period=period, name="Kosong")  # a group without indicators yet
    indicator = factories.IndicatorFactory(group__period=period, max_points=D("12.5"))
    question = factories.QuestionFactory(indicator=indicator, max_points=D("20"))
    _approved(question, factories.UnitFactory(), "20")
    period.rank_bands.all().delete()
    RankBand.objects.create(period=period, name="Pratama", lower_bound=D("10.5"))
    score = scoring.score_period(period=period)
    inputs = scoring.engine_inputs(period=period)
    assert {type(i.max_points) for i in inputs["indicators"]} == {D}
    assert {type(b.lower_bound) for b in inputs["bands"]} == {D}
    assert score.verified == D("12.50")  # the indicator's maximum caps its question
    assert "Kosong" in {g.name for g in inputs["groups"]}
    assert score.rank_verified == "Pratama"


def test_snapshots_once_a_minute_milestones_always(period):
    _build(period, 2)
    t0 = timezone.now()
    assert scoring.snapshot_take(period=period, reason="verified_change", now=t0) is not None
    assert (
        scoring.snapshot_take(
            period=period, reason="verified_change", now=t0 + datetime.timedelta(seconds=30)
        )
        is None
    )
    assert (
        scoring.snapshot_take(
            period=period, reason="period_locked", now=t0 + datetime.timedelta(seconds=31)
        )
        is not None
    )
    assert (
        scoring.snapshot_take(
            period=period, reason="verified_change", now=t0 + datetime.timedelta(seconds=95)
        )
        is not None
    )
    snap = ScoreSnapshot.objects.order_by("taken_at").first()
    assert snap.verified == D("8.00")
    assert sum(D(g["verified"]) for g in snap.detail["groups"]) == D("8.00")
    assert ScoreSnapshot.objects.count() == 3


def test_approval_takes_a_snapshot(
    question, lead_unit, secretariat_user, django_capture_on_commit_callbacks, monkeypatch
):
    from opd import services

    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: datetime.date(2026, 2, 10))
    answer = services.answer_open(question=question, unit=lead_unit)
    Answer.objects.filter(pk=answer.pk).update(status="submitted", claimed_points=D("7"))
    with django_capture_on_commit_callbacks(execute=True):
        services.answer_approve(answer=answer, user=secretariat_user)
    assert ScoreSnapshot.objects.get().verified == D("7.00")


def test_milestone_snapshot_once_per_closed_window(period):
    taken = scoring.snapshot_milestones(today=datetime.date(2026, 4, 1))
    assert len(taken) == 1 and taken[0].reason == "window_closed"
    assert scoring.snapshot_milestones(today=datetime.date(2026, 4, 2)) == []
    assert Period.objects.count() == 1


def test_kla_snapshots_command(period):
    out = StringIO()
    call_command("kla_snapshots", "--period", str(period.year), stdout=out)
    assert "verified 0.00" in out.getvalue()
    assert ScoreSnapshot.objects.get().reason == "manual"


def test_a_whole_self_assessment_round_trips_per_group_to_the_cent(tmp_path):
    """Points on every question, the 22 every-kecamatan/desa questions and those no agency is
    listed for included, into a district with kecamatan and desa: `kla_score --json` equals
    the file's own arithmetic for every group, not only the total."""
    from opd.models import Unit

    for n in range(3):
        factories.UnitFactory(
            name=f"Kecamatan {n}", short_name=f"Kec. {n}", kind=Unit.Kind.KECAMATAN
        )
    for n in range(2):
        factories.UnitFactory(name=f"Desa {n}", short_name=f"Desa {n}", kind=Unit.Kind.DESA)
    data = json.loads(INSTRUMENT.read_text())
    n = 0
    for cluster in data["clusters"]:
        for indicator in cluster["indicators"]:
            for q in indicator["questions"]:
                n += 1
                mx = D(str(q["max_points"]))
                q["claimed_points"] = str(mx)
                # A third verified lower, a third awaiting review, a third verified in full.
                q["verified_points"] = {
                    0: str((mx * D("0.6")).quantize(D("0.25"))),
                    1: None,
                    2: str(mx),
                }[n % 3]
    path = tmp_path / "self-assessment.json"
    path.write_text(json.dumps(data))
    out = StringIO()
    call_command(
        "import_instrument",
        str(path),
        "--period",
        "2024",
        "--create-units",
        "--create-look-alikes",
        stdout=out,
    )
    assert "were not imported" not in out.getvalue()
    out = StringIO()
    call_command("kla_score", "--period", "2024", "--json", stdout=out)
    doc = json.loads(out.getvalue())
    for cluster, group in zip(data["clusters"], doc["groups"], strict=True):
        expected = _independent({"clusters": [cluster]})
        assert {k: group[k] for k in expected} == expected, cluster["name"]
    assert {k: doc[k] for k in ("claimed", "verified", "potential")} == _independent(data)


@pytest.mark.django_db(transaction=True)
def test_a_score_after_an_answer_changed_reads_only_the_answers(
    page_cache_on, django_assert_num_queries
):
    """The instrument is kept until anything district-wide changes; answers are always read,
    so a change of points shows at once and a new question as soon as it exists."""
    period = factories.PeriodFactory(year=2026)
    _build(period, 3)
    first = scoring.score_period(period=period)
    answer = Answer.objects.filter(verified_points=D("4")).first()
    answer.verified_points = D("5")
    answer.save()
    # 1 the data versions, 2 the notes of the score's raises since (the question changed)
    # joined to that question's answers: not the period's
    with django_assert_num_queries(2) as queries:
        second = scoring.score_period(period=period)
    assert "LEFT JOIN" in queries.captured_queries[1]["sql"]
    assert second.verified == first.verified + 1
    question = factories.QuestionFactory(indicator__group__period=period, max_points=D("7"))
    _approved(question, Answer.objects.first().unit, "7")
    assert scoring.score_period(period=period).verified == second.verified + 7


def test_another_periods_answers_never_count_even_between_this_periods_questions(period):
    """The answers are read by the range of the period's question ids: a question of another
    year created in between (an instrument edited after next year's import) stays out."""
    unit = factories.UnitFactory()
    next_year = factories.PeriodFactory(year=period.year + 1)
    first = factories.QuestionFactory(indicator__group__period=period, max_points=D("10"))
    between = factories.QuestionFactory(indicator__group__period=next_year, max_points=D("10"))
    last = factories.QuestionFactory(indicator=first.indicator, code="Q-LAST", max_points=D("10"))
    assert first.pk < between.pk < last.pk
    for question, points in ((first, "3"), (between, "9"), (last, "4")):
        _approved(question, unit, points)
    assert scoring.score_period(period=period).verified == D("7.00")
    assert scoring.score_period(period=next_year).verified == D("9.00")


def test_another_periods_per_unit_question_between_this_periods_questions_stays_out(period):
    """The per-unit assignments are read by the range of the period's question ids, as the
    answers are: a per-unit question of another year created in between counts there alone,
    and this period's per-unit question keeps its own units."""
    kecamatan = [factories.UnitFactory(kind="kecamatan") for _ in range(3)]
    next_year = factories.PeriodFactory(year=period.year + 1)
    first = factories.QuestionFactory(
        indicator__group__period=period, every_kecamatan=True, max_points=D("10")
    )
    between = factories.QuestionFactory(
        indicator__group__period=next_year, every_kecamatan=True, max_points=D("10")
    )
    last = factories.QuestionFactory(indicator=first.indicator, code="Q-LAST", max_points=D("4"))
    assert first.pk < between.pk < last.pk
    for question, units in ((first, kecamatan[:2]), (between, kecamatan)):
        for unit in units:
            factories.AssignmentFactory(question=question, unit=unit, role=Assignment.Role.PER_UNIT)
    for question, unit in [(first, kecamatan[0]), *((between, unit) for unit in kecamatan)]:
        Answer.objects.create(
            question=question,
            unit=unit,
            status="approved",
            claimed_points=D("10"),
            verified_points=D("10"),
        )
    _approved(last, kecamatan[0], "4")
    instrument = scoring._instrument(period)
    assert instrument["n_units"] == {first.pk: 2}
    assert instrument["question_ids"] == {first.pk, last.pk}
    # 10 of 10 from one kecamatan of the two registered: 5; the plain question 4
    assert scoring.score_period(period=period).verified == D("9.00")
    assert scoring.score_period(period=next_year).verified == D("10.00")


def test_the_rare_columns_of_a_question_are_read_as_its_row_says(period):
    """The per-unit flags, the steps and the kept points come in one column that is empty for
    the other questions: each question the score reads is the one its model row makes."""
    period.official_kecamatan, period.official_desa = 5, 40
    period.save()
    steps = [["0", "0.75"], ["25", "1.20"], ["50", "2.25"], ["100", "3.00"]]
    indicator = factories.IndicatorFactory(group__period=period, max_points=D("100"))
    make = functools.partial(factories.QuestionFactory, indicator=indicator, max_points=D("3"))
    questions = [
        make(code="K", every_kecamatan=True, steps=steps),
        make(code="D", every_desa=True),
        make(code="KD", every_kecamatan=True, every_desa=True),
        make(code="KEPT", kept_claimed_points=D("2.5"), kept_verified_points=D("1.25")),
        make(code="CLAIMED", kept_claimed_points=D("2")),
        make(code="VERIFIED", kept_verified_points=D("0.5")),
        make(code="PLAIN"),
    ]
    kecamatan = factories.UnitFactory(kind="kecamatan")
    factories.AssignmentFactory(question=questions[0], unit=kecamatan, role="per_unit")
    read = {q.id: q for q in scoring._instrument(period)["questions"]}
    for question in Question.objects.filter(indicator=indicator).select_related(
        "indicator__group__period"
    ):
        # one unit registered to K; the others count none (1 at least)
        assert read[question.pk] == scoring.question_input(question=question, registered=1)
    assert [read[q.pk].n_units for q in questions] == [5, 40, 45, 1, 1, 1, 1]
    assert read[questions[0].pk].steps[1] == (D("25"), D("1.20"))
    assert read[questions[3].pk].kept == (D("2.5"), D("1.25"), False)
    assert read[questions[4].pk].kept == (D("2"), None, True)
    assert read[questions[5].pk].kept == (D("0.5"), D("0.5"), False)
    assert read[questions[6].pk].kept is None and read[questions[6].pk].steps == ()


def test_answers_of_the_same_status_and_points_are_one_record(period):
    """Thousands of answers hold a few dozen values: each is made once per read."""
    unit = factories.UnitFactory()
    questions = [factories.QuestionFactory(indicator__group__period=period) for _ in range(3)]
    for question in questions:
        _approved(question, unit, "5", "4")
    draft = factories.QuestionFactory(indicator__group__period=period)
    Answer.objects.create(question=draft, unit=unit, status="draft", claimed_points=D("5"))
    answers = scoring._answers(period, scoring._instrument(period))
    (first,), (second,), (third,), (fourth,) = (answers[q.pk] for q in [*questions, draft])
    assert first == (D("5"), D("4"), False) and first is second is third
    assert fourth == (D("5"), None, False)


@pytest.mark.parametrize(
    "status, verified, awaiting",
    [
        ("approved", D("4.00"), D("0.00")),
        ("submitted", D("0.00"), D("5.00")),
        ("revision_requested", D("0.00"), D("0.00")),
        ("draft", D("0.00"), D("0.00")),
    ],
)
def test_verified_points_count_only_while_approved(period, status, verified, awaiting):
    """An answer sent back after approval keeps its verified figure in the row (the trail and
    the next review show it), but the score counts it only while the answer is approved."""
    unit = factories.UnitFactory()
    question = factories.QuestionFactory(indicator__group__period=period, max_points=D("5"))
    answer = _approved(question, unit, "5", "4")
    answer.status = status
    answer.save()
    score = scoring.score_period(period=period)
    assert (score.claimed, score.verified, score.potential) == (
        D("5.00"),
        verified,
        verified + awaiting,
    )
