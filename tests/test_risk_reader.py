"""The verification risk's facts reader (opd/risk.py) and `manage.py kla_risk`: the facts of
real answers, a constant query budget, the known weak answers each found with its reason,
last year's lost files, and risk never blocking a submission or changing points."""

import datetime
import io
import json
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone

from indicators.models import OfficialPoints, OfficialResult
from opd import evidence as ev
from opd import risk, services
from opd.models import Answer, Assignment, Document, Evidence, EvidenceRevision, ProvincialReturn
from tests import factories

pytestmark = pytest.mark.django_db

D = Decimal
NARRATIVE = "Keputusan Bupati tentang Gugus Tugas KLA ditetapkan dan terlampir lengkap di sini."


def _answer(question, unit, claimed="5.00", narrative=NARRATIVE, **values):
    return Answer.objects.create(
        question=question,
        unit=unit,
        claimed_points=D(claimed) if claimed is not None else None,
        narrative=narrative,
        **values,
    )


def _file(answer, name="sk.pdf", content_type="application/pdf", sha256="f" * 64, **read):
    evidence = Evidence.objects.create(answer=answer, unit=answer.unit, title=name)
    revision = EvidenceRevision.objects.create(
        evidence=evidence,
        file=f"evidence/x/{name}",
        original_name=name,
        size=10,
        sha256=sha256,
        content_type=content_type,
        **read,
    )
    return evidence, revision


def _question(period, unit, text="Apakah tersedia SK Gugus Tugas KLA?"):
    q = factories.QuestionFactory(indicator__group__period=period, text=text)
    factories.AssignmentFactory(question=q, unit=unit, role=Assignment.Role.LEAD)
    return q


@pytest.fixture
def weak(period, lead_unit, secretariat_user):
    """A period with one answer of each known weakness, and a sound one."""
    sound = _answer(_question(period, lead_unit), lead_unit)
    _file(sound, sha256="a" * 64, text_layer=True)
    bare = _answer(_question(period, lead_unit), lead_unit)
    photo = _answer(
        _question(period, lead_unit, "Apakah tersedia Peraturan Daerah tentang KLA?"), lead_unit
    )
    _file(photo, "foto.jpg", "image/jpeg", sha256="b" * 64)
    lapsing = _answer(_question(period, lead_unit), lead_unit)
    _evidence, revision = _file(lapsing, "sk-gugus.pdf", sha256="c" * 64, text_layer=True)
    document = Document.objects.create(
        unit=lead_unit,
        kind=Document.Kind.SK,
        title="SK Gugus Tugas",
        number="188.45/1/2024",
        issued_on=datetime.date(2024, 1, 2),
        valid_until=datetime.date(period.year, 3, 1),  # before the entry on 15 April
        revision=revision,
    )
    Evidence.objects.filter(pk=revision.evidence_id).update(document=document)
    late = _answer(_question(period, lead_unit), lead_unit)
    _file(
        late,
        "sk-baru.pdf",
        sha256="d" * 64,
        text_layer=False,
        read_number="188.45/9/2026",
        read_date=datetime.date(period.year, 5, 2),  # after the entry
        read_via="ocr",
    )
    broken = _answer(_question(period, lead_unit), lead_unit)
    _file(broken, "rusak.pdf", sha256="e" * 64, read_problem="damaged")
    return {
        "sound": sound,
        "bare": bare,
        "photo": photo,
        "lapsing": lapsing,
        "late": late,
        "broken": broken,
    }


def test_each_known_weakness_is_found_with_its_reason(period, weak):
    found = risk.risks(period)
    assert found[weak["sound"].pk].level == "none"
    assert found[weak["bare"].pk].rules == ("no_evidence",)
    assert found[weak["photo"].pk].rules == ("weak_evidence",)
    assert found[weak["lapsing"].pk].rules == ("lapsing",)
    assert found[weak["late"].pk].rules == ("dated_late",)
    assert found[weak["broken"].pk].level == "none"
    assert found[weak["broken"].pk].unchecked == [
        "“rusak.pdf” could not be checked: the file is damaged"
    ]
    lapsing = found[weak["lapsing"].pk].reasons[0]
    assert (
        "SK 188.45/1/2024: SK Gugus Tugas" in lapsing
        and "1 March 2026" in lapsing
        and "15 April 2026" in lapsing
    )
    assert risk.points_at_risk(period) == D("20.00")  # four high answers of 5 points


def test_the_answer_page_and_the_period_read_the_same_verdicts(period, weak):
    """The answer page assesses from the evidence it read as model rows, the period from
    plain values: the same facts, so the same verdict, for each known weakness."""
    from opd.selectors import answer_page_data

    kept = risk.risks(period)
    for name, answer in weak.items():
        answer = Answer.objects.select_related("question", "option").get(pk=answer.pk)
        evidence = answer_page_data(answer=answer)["evidence"]
        assert risk.answer_risk(answer, period=period, evidence=evidence) == kept[answer.pk], name
        assert risk.answers_risk([answer], period=period)[answer.pk] == kept[answer.pk], name


def test_a_files_newest_revision_decides_and_evidence_keeps_its_order(period, lead_unit):
    """The period's reader picks each file's newest revision and lists an answer's evidence in
    the order it was added, as the answer page reads them (the database orders neither)."""
    answer = _answer(_question(period, lead_unit), lead_unit)
    evidence, _old = _file(answer, "lama.pdf", sha256="1" * 64, read_problem="damaged")
    EvidenceRevision.objects.create(
        evidence=evidence,
        file="evidence/x/baru.pdf",
        original_name="baru.pdf",
        size=10,
        sha256="2" * 64,
        content_type="application/pdf",
        text_layer=True,
        uploaded_at=timezone.now() + datetime.timedelta(minutes=1),
    )
    second, _revision = _file(answer, "kedua.pdf", sha256="3" * 64, read_problem="damaged")
    found = risk.risks(period)[answer.pk]
    # The first file's damaged revision was replaced: only the second file is unchecked.
    assert found.unchecked == ["“kedua.pdf” could not be checked: the file is damaged"]
    answers, evidence = risk._answers(period, [lead_unit.pk])  # read with the answers
    facts = risk._facts(answers, evidence, risk._Period(period))
    assert facts == risk.facts_of(answers, risk._Period(period))  # read by the answers' ids
    first, then = facts[answer.pk].evidence  # named by their titles
    assert (first.name, first.sha256, first.text_layer) == ("lama.pdf", "2" * 64, True)
    assert (then.name, then.sha256) == ("kedua.pdf", "3" * 64)
    assert found == risk.answers_risk([answer], period=period)[answer.pk]


@pytest.mark.parametrize(
    ("text_layer", "read_date", "expected"),
    [
        # As SQLite returns them: a boolean as 0 or 1, a date as its ISO text.
        (0, "2026-05-02", (False, datetime.date(2026, 5, 2))),
        (1, None, (True, None)),
        # As PostgreSQL does.
        (False, datetime.date(2026, 5, 2), (False, datetime.date(2026, 5, 2))),
        (None, None, (None, None)),
    ],
)
def test_a_revision_read_in_sql_has_the_orms_types(text_layer, read_date, expected):
    """The period's reader reads revisions in SQL: the rules test `text_layer is False` and
    compare dates, so each database's values come out as the ORM gives them."""
    row = (1, "sk.pdf", "application/pdf", "a" * 64, text_layer, "", "1/2026", read_date)
    found = risk._revision_of(row)
    assert found["text_layer"] is expected[0]  # `is`: 0 == False
    assert found["read_date"] == expected[1]


def test_kla_risk_lists_each_weak_answer_with_its_reasons(period, weak):
    out = io.StringIO()
    call_command("kla_risk", "--period", str(period.year), "--json", stdout=out)
    doc = json.loads(out.getvalue())
    assert doc["points_at_risk"] == "20.00"
    by_answer = {row["answer"]: row for row in doc["answers"]}
    assert weak["sound"].pk not in by_answer
    assert by_answer[weak["bare"].pk]["reasons"] == [
        "points are claimed but no evidence is attached"
    ]
    assert by_answer[weak["photo"].pk]["level"] == "high"
    assert "lapsing" in by_answer[weak["lapsing"].pk]["rules"]
    assert by_answer[weak["broken"].pk]["unchecked"]
    assert [row["level"] for row in doc["answers"]][:4] == ["high"] * 4
    text = io.StringIO()
    call_command("kla_risk", "--period", str(period.year), stdout=text)
    assert "points at risk 20.00" in text.getvalue()
    assert "- points are claimed but no evidence is attached" in text.getvalue()


def test_kla_risk_on_the_demo_flags_answers_with_reasons():
    from kla.demo import load_demo

    load_demo()
    out = io.StringIO()
    call_command("kla_risk", "--period", "2027", "--json", stdout=out)
    doc = json.loads(out.getvalue())
    assert doc["answers"], "the demo has weak answers"
    assert all(row["reasons"] or row["unchecked"] for row in doc["answers"])
    high = [row for row in doc["answers"] if row["level"] == "high"]
    assert Decimal(doc["points_at_risk"]) == sum(Decimal(r["points_at_risk"]) for r in high)


def _build(period, unit, n):
    for index in range(n):
        answer = _answer(_question(period, unit), unit)
        _file(answer, sha256=f"{index:064d}")
        Evidence.objects.create(answer=answer, unit=unit, kind="link", url="https://x.test/a")


@pytest.mark.parametrize("n", [3, 15])
def test_reading_a_period_costs_the_same_queries_whatever_its_size(
    period, lead_unit, n, django_assert_num_queries
):
    _build(period, lead_unit, n)
    # 1 the official result (field verification day), 2-5 the period's question ids, from the
    # instrument the score keeps, 6-7 the period's question texts and option labels (both
    # kept by the page cache, read here: it is off in tests), 8 the answers with their
    # evidence and files' revisions, 9 last year's period (none: nothing lost before)
    with django_assert_num_queries(9):
        found = risk.assess_units(period, [lead_unit.pk])
    assert len(found[lead_unit.pk]) == n


def test_last_years_lost_files_are_found_through_the_same_question(lead_unit):
    past = factories.PeriodFactory(year=2025)
    now = factories.PeriodFactory(year=2026)
    text = "Apakah tersedia SK Gugus Tugas KLA?"
    old = _question(past, lead_unit, text)
    new = _question(now, lead_unit, text)
    before = _answer(old, lead_unit, claimed="8.00")
    _file(before, sha256="1" * 64)
    OfficialPoints.objects.create(
        period=past, level=OfficialPoints.Level.QUESTION, question=old, points=D("2.00")
    )
    again = _answer(new, lead_unit)
    _file(again, sha256="1" * 64)
    verdict = risk.risks(now)[again.pk]
    assert verdict.rules == ("reused_lost",)
    # Returned instead of lowered: the same.
    OfficialPoints.objects.all().delete()
    assert risk.lost_files(now) == {}
    ProvincialReturn.objects.create(
        question=old, note="Tidak ditandatangani", deadline=now.window_closes
    )
    assert risk.lost_files(now) == {new.pk: frozenset({"1" * 64})}


def test_field_verification_day_is_the_day_documents_must_hold(period, weak):
    OfficialResult.objects.create(period=period, field_verification_on=datetime.date(2026, 6, 1))
    found = risk.risks(period)[weak["lapsing"].pk]
    assert "1 June 2026" in found.reasons[0]


def test_the_year_evaluated_is_the_year_before(period):
    assert risk.evaluated_year(period) == period.year - 1


def test_risk_never_blocks_a_submission_or_changes_points(
    period, question, lead_unit, opd_user, monkeypatch
):
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: datetime.date(2026, 2, 10))
    question.text = "Apakah tersedia Peraturan Daerah tentang KLA?"
    question.save()
    answer = services.answer_open(question=question, unit=lead_unit)
    answer = services.answer_save(
        answer=answer, user=opd_user, claimed_points=D("7.00"), narrative="Ada."
    )
    ev.evidence_add_link(answer=answer, unit=lead_unit, user=opd_user, url="https://x.test/foto")
    assert risk.answer_risk(answer).rules == ("weak_evidence", "short_narrative")
    submitted = services.answer_submit(answer=answer, user=opd_user)
    submitted.refresh_from_db()
    assert submitted.status == Answer.Status.SUBMITTED
    assert (submitted.claimed_points, submitted.verified_points) == (D("7.00"), None)


def test_after_one_units_change_only_that_unit_is_assessed_again(
    period, lead_unit, other_unit, page_cache_committing, monkeypatch
):
    mine = _answer(_question(period, lead_unit), lead_unit)
    _answer(_question(period, other_unit), other_unit)
    assessed = []
    real = risk.assess_units

    def recording(period, unit_ids):
        assessed.append(sorted(unit_ids))
        return real(period, unit_ids)

    monkeypatch.setattr(risk, "assess_units", recording)
    first = risk.risks(period)
    assert risk.risks(period) == first  # kept
    Evidence.objects.create(answer=mine, unit=lead_unit, kind="link", url="https://x.test/sk")
    again = risk.risks(period)
    assert assessed == [sorted([lead_unit.pk, other_unit.pk]), [lead_unit.pk]]
    assert again[mine.pk].rules != first[mine.pk].rules  # no longer "no evidence"


def test_a_listed_answer_is_assessed_again_only_when_its_unit_changes(
    period, lead_unit, other_unit, page_cache_committing, monkeypatch
):
    """The review queue's badges (risk.listed_risks): each kept until its unit changes."""
    mine = _answer(_question(period, lead_unit), lead_unit)
    theirs = _answer(_question(period, other_unit), other_unit)
    assessed = []
    real = risk.answers_risk

    def recording(answers, *, period):
        assessed.append(sorted(a.pk for a in answers))
        return real(answers, period=period)

    monkeypatch.setattr(risk, "answers_risk", recording)
    listed = list(Answer.objects.select_related("question", "option").order_by("pk"))
    first = risk.listed_risks(listed, period=period)
    assert first[mine.pk].rules == ("no_evidence",) and assessed == [[mine.pk, theirs.pk]]
    assert risk.listed_risks(listed, period=period) == first and len(assessed) == 1
    Evidence.objects.create(answer=mine, unit=lead_unit, kind="link", url="https://x.test/sk")
    again = risk.listed_risks(listed, period=period)
    assert assessed[1:] == [[mine.pk]] and again[theirs.pk] == first[theirs.pk]
    assert "no_evidence" not in again[mine.pk].rules
