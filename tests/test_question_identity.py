"""Which question of this year is last year's (indicators.identity): same text or a pair the
secretariat confirmed, never the code alone; the review page; carry-over follows it."""

import datetime
import json
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from core.errors import DomainError
from indicators.identity import (
    pair_review,
    previous_question_ids,
    text_key,
    text_pairs,
)
from indicators.importers import parse_json
from indicators.models import Period, Question, QuestionPair
from kla.demo import load_demo
from kla.imports import instrument_import
from opd import services
from opd.carry_over import period_carry_over
from opd.models import Answer, AuditEvent
from tests import factories


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ("Apakah tersedia Perda KLA?", "apakah  tersedia perda KLA", True),
        ("Apakah tersedia Perda KLA?", "Apakah tersedia Perda Kabupaten/Kota Layak Anak?", True),
        ("Berapa persen anak yg memiliki akta?", "Berapa persen anak yang memiliki akta", True),
        (
            "Data 2 thn terakhir (Lampirkan MATRIKS)",
            "Data 2 tahun terakhir - lampirkan matriks",
            True,
        ),
        ("Apakah tersedia Perbup?", "Apakah tersedia Perda?", False),
        ("Apakah ada forum anak desa?", "Apakah ada forum anak kecamatan?", False),
        ("Fasilitas ramah anak", "Fasilitas  ramah  anak.", True),
    ],
)
def test_text_key_table(a, b, same):
    assert (text_key(a) == text_key(b)) is same


def _q(pk, text, indicator="1", code="1"):
    return SimpleNamespace(pk=pk, text=text, code=code, indicator=SimpleNamespace(code=indicator))


@pytest.mark.parametrize(
    ("new", "old", "pairs"),
    [
        # Same text under another code and indicator: the same question.
        ([_q(1, "Ada Perda KLA?", "1", "1")], [_q(9, "ada perda kla", "4", "7")], {1: 9}),
        # Same code, other text: not the same question.
        ([_q(1, "Ada Perda KLA?")], [_q(9, "Ada Perbup KLA?")], {}),
        # A text shared by two questions of this year: only the one in the same indicator.
        ([_q(1, "Ada data?", "1"), _q(2, "Ada data?", "2")], [_q(9, "Ada data?", "2")], {2: 9}),
        # Shared on both sides, in other indicators: nobody can tell, the secretariat decides.
        (
            [_q(1, "Ada data?", "1"), _q(2, "Ada data?", "2")],
            [_q(9, "Ada data?", "3"), _q(8, "Ada data?", "4")],
            {},
        ),
    ],
)
def test_text_pairs_table(new, old, pairs):
    assert text_pairs(new, old) == pairs


def _two_years():
    old = factories.PeriodFactory(year=2025, status=Period.Status.CLOSED)
    new = factories.PeriodFactory(year=2026, status=Period.Status.PREPARED)

    indicators = {
        period.pk: factories.IndicatorFactory(group__period=period, code="1")
        for period in (old, new)
    }

    def q(period, code, text):
        return factories.QuestionFactory(indicator=indicators[period.pk], code=code, text=text)

    olds = {
        "perda": q(old, "1", "Apakah tersedia Perda KLA?"),
        "sk": q(old, "2", "Apakah tersedia SK Gugus Tugas KLA?"),
        "rad": q(old, "3", "Apakah tersedia RAD KLA tahun berjalan?"),
    }
    news = {
        # Same text, another code: same question.
        "perda": q(new, "5", "apakah tersedia perda  KLA"),
        # Same code as last year's SK, another question.
        "budget": q(new, "2", "Berapa anggaran KLA dalam dua tahun terakhir?"),
        # New wording of the RAD question: a candidate by similar text.
        "rad": q(new, "4", "Apakah tersedia RAD KLA untuk tahun berjalan?"),
    }
    return old, new, olds, news


@pytest.mark.django_db
def test_identity_is_text_or_a_confirmed_pair(secretariat_user):
    _old, new, olds, news = _two_years()
    assert previous_question_ids(new) == {news["perda"].pk: olds["perda"].pk}

    review = pair_review(new)
    assert (review.questions, review.same_text, review.carried) == (3, 1, 1)
    candidates = {o.question.pk: [c.old.pk for c in o.candidates] for o in review.open}
    assert olds["sk"].pk in candidates[news["budget"].pk]  # same code: shown, not assumed
    assert candidates[news["rad"].pk][0] == olds["rad"].pk  # similar text first

    services.question_pair_decide(
        new_question=news["rad"],
        old_question=olds["rad"],
        decision="confirmed",
        user=secretariat_user,
    )
    services.question_pair_decide(
        new_question=news["budget"],
        old_question=olds["sk"],
        decision="rejected",
        user=secretariat_user,
    )
    assert previous_question_ids(new) == {
        news["perda"].pk: olds["perda"].pk,
        news["rad"].pk: olds["rad"].pk,
    }
    # Rejecting a same-text pair undoes it.
    services.question_pair_decide(
        new_question=news["perda"],
        old_question=olds["perda"],
        decision="rejected",
        user=secretariat_user,
    )
    assert previous_question_ids(new) == {news["rad"].pk: olds["rad"].pk}
    events = AuditEvent.objects.filter(action=AuditEvent.Action.QUESTION_PAIR)
    assert events.count() == 3
    assert events.filter(data__decision="confirmed", data__old_question=olds["rad"].pk).exists()


@pytest.mark.django_db
def test_a_pair_is_refused_when_it_cannot_be(secretariat_user, opd_user):
    old, new, olds, news = _two_years()
    decide = services.question_pair_decide
    with pytest.raises(DomainError):  # a unit's member does not decide
        decide(
            new_question=news["rad"], old_question=olds["rad"], decision="confirmed", user=opd_user
        )
    with pytest.raises(DomainError):  # not last year's question
        decide(
            new_question=news["rad"],
            old_question=news["budget"],
            decision="confirmed",
            user=secretariat_user,
        )
    decide(
        new_question=news["rad"],
        old_question=olds["rad"],
        decision="confirmed",
        user=secretariat_user,
    )
    with pytest.raises(DomainError) as second:  # one confirmed pair per question
        decide(
            new_question=news["rad"],
            old_question=olds["sk"],
            decision="confirmed",
            user=secretariat_user,
        )
    assert second.value.code == "already_paired"
    Period.objects.filter(pk=new.pk).update(status=Period.Status.LOCKED)
    with pytest.raises(DomainError):
        decide(
            new_question=news["budget"],
            old_question=olds["sk"],
            decision="rejected",
            user=secretariat_user,
        )
    assert QuestionPair.objects.count() == 1


@pytest.mark.django_db
def test_the_review_page_shows_both_texts_and_decides(
    client_for, secretariat_user, django_assert_max_num_queries
):
    _old, new, olds, news = _two_years()
    client = client_for(secretariat_user)
    url = reverse("kla:period-question-pairs", args=[2026])
    with django_assert_max_num_queries(15):
        page = client.get(url)
    html = page.content.decode()
    assert "Berapa anggaran KLA dalam dua tahun terakhir?" in html
    assert "Apakah tersedia SK Gugus Tugas KLA?" in html  # the same code's old text beside it
    response = client.post(
        url, {"new": news["rad"].pk, "old": olds["rad"].pk, "decision": "confirmed"}
    )
    assert response.status_code == 302 and response["Location"] == url
    assert QuestionPair.objects.get().confirmed
    page = client.get(url)
    assert 'data-testid="pair-decided"' in page.content.decode()
    # More questions do not mean more queries.
    for n in range(10):
        factories.QuestionFactory(
            indicator=news["budget"].indicator, code=f"x{n}", text=f"Pertanyaan baru {n}"
        )
    with django_assert_max_num_queries(15):
        client.get(url)
    confirm = client.get(reverse("kla:period-carry-over", args=[2026])).content.decode()
    assert 'data-testid="question-pairs-link"' in confirm


@pytest.mark.django_db
def test_carry_over_next_year_over_the_real_instrument(secretariat_user, monkeypatch):
    """The demo as last year (2027) and the real 2024 instrument as this year (2028): only
    questions of the same text receive proposals, none lands on another question."""
    load_demo()
    data = json.loads((Path(settings.BASE_DIR) / "fixtures" / "instrument-2024.json").read_text())
    # One question kept from last year under a new code and another spelling: it must follow.
    answered = (
        Answer.objects.filter(
            question__indicator__group__period__year=2027,
            question__every_kecamatan=False,
            question__every_desa=False,
        )
        .exclude(status=Answer.Status.DRAFT)
        .select_related("question", "unit")
        .order_by("pk")
        .first()
    )
    kept = answered.question
    target = data["clusters"][0]["indicators"][1]["questions"][0]
    target["text"] = "  " + kept.text.upper().replace("?", " ?")
    target["opds"] = [answered.unit.short_name]
    report = instrument_import(
        parsed=parse_json(json.dumps(data)), year=2028, create_units=True, create_look_alikes=True
    )
    assert report.applied, report.lines()
    new = Period.objects.get(year=2028)
    last = Period.objects.get(year=2027)
    # By code, the old rule paired questions of different texts that have answers to carry.
    by_code = {
        (q.indicator.code, q.code): q
        for q in Question.objects.filter(indicator__group__period=last)
    }
    same_code_other_text = [
        q
        for q in Question.objects.filter(indicator__group__period=new).select_related("indicator")
        if (q.indicator.code, q.code) in by_code
        and text_key(by_code[(q.indicator.code, q.code)].text) != text_key(q.text)
    ]
    assert len(same_code_other_text) > 12

    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: datetime.date(2027, 12, 1))
    carried = period_carry_over(period=new, user=secretariat_user)
    proposals = list(
        Answer.objects.filter(question__indicator__group__period=new, proposed=True).select_related(
            "question", "carried_from__question"
        )
    )
    assert carried.proposed == len(proposals) > 0
    for answer in proposals:
        assert text_key(answer.question.text) == text_key(answer.carried_from.question.text)
    assert {a.question.text for a in proposals} == {target["text"].strip()}


PAIRS_PAGE = {
    # persona: (GET, POST of a real pair)
    "anonymous": (302, 302),
    "opd": (403, 403),
    "other_opd": (403, 403),
    "support": (403, 403),
    "secretariat": (200, 302),
    "executive": (403, 403),
    "admin": (200, 302),
}


@pytest.mark.django_db
def test_the_pairs_page_permission_matrix(personas, client_for):
    _old, _new, olds, news = _two_years()
    url = reverse("kla:period-question-pairs", args=[2026])
    for persona, (get, post) in PAIRS_PAGE.items():
        client = client_for(personas[persona])
        assert client.get(url).status_code == get, persona
        data = {"new": news["rad"].pk, "old": olds["rad"].pk, "decision": "rejected"}
        response = client.post(url, data)
        assert response.status_code == post, persona
        if post == 302 and persona == "anonymous":
            assert response["Location"].startswith(reverse("login"))
    # Only the secretariat's and the administrator's posts decided anything.
    assert QuestionPair.objects.get().decision == "rejected"
    assert AuditEvent.objects.filter(action=AuditEvent.Action.QUESTION_PAIR).count() == 2
