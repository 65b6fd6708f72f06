"""Answer pages: permission matrix per view, the PRG flow, query budgets."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from opd import services
from opd.models import Answer, Assignment, Evidence
from tests import factories

pytestmark = pytest.mark.django_db

ALL = ["anonymous", "opd", "other_opd", "support", "secretariat", "executive", "admin"]


@pytest.fixture(autouse=True)
def _inside_window(monkeypatch):
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: datetime.date(2026, 2, 10))


@pytest.fixture
def answer(question, lead_unit):
    answer = services.answer_open(question=question, unit=lead_unit)
    answer.claimed_points = Decimal("8")
    answer.save()
    return answer


def _url(name, answer):
    return reverse(name, args=[answer.question_id, answer.unit_id])


def _expect(client_for, personas, method, url, expected, data=None):
    for persona in ALL:
        client = client_for(personas[persona])
        response = getattr(client, method)(url, data or {})
        assert response.status_code == expected[persona], (
            url,
            method,
            persona,
            response.status_code,
        )
        if expected[persona] == 302 and persona == "anonymous":
            assert reverse("login") in response["Location"]


def test_answer_page_matrix(client_for, personas, answer):
    # Other units get 404: they must not learn that the answer exists.
    expected = dict(
        anonymous=302,
        opd=200,
        other_opd=404,
        support=200,
        secretariat=200,
        executive=200,
        admin=200,
    )
    _expect(client_for, personas, "get", _url("opd:answer", answer), expected)


def test_save_matrix(client_for, personas, answer):
    data = {"claimed_points": "5", "narrative": "n", "version": ""}
    expected = dict(
        anonymous=302,
        opd=302,
        other_opd=404,
        support=403,
        secretariat=403,
        executive=403,
        admin=403,
    )
    _expect(client_for, personas, "post", _url("opd:answer-save", answer), expected, data)
    answer.refresh_from_db()
    assert answer.claimed_points == Decimal("5.00")


def test_submit_matrix_get_is_a_confirmation(client_for, personas, answer):
    expected = dict(
        anonymous=302,
        opd=200,
        other_opd=404,
        support=403,
        secretariat=403,
        executive=403,
        admin=403,
    )
    _expect(client_for, personas, "get", _url("opd:answer-submit", answer), expected)
    answer.refresh_from_db()
    assert answer.status == Answer.Status.DRAFT


@pytest.mark.parametrize("name", ["opd:answer-approve", "opd:answer-request-revision"])
def test_review_actions_matrix(client_for, personas, answer, name):
    answer.status = Answer.Status.SUBMITTED
    answer.save()
    # Non-reviewers are refused before anything else; the reviewer's empty form is a 400.
    expected = dict(
        anonymous=302,
        opd=403,
        other_opd=403,
        support=403,
        secretariat=400,
        executive=403,
        admin=400,
    )
    _expect(
        client_for,
        personas,
        "post",
        _url(name, answer),
        expected,
        {"note": ""} if "revision" in name else {"verified_points": "x"},
    )
    answer.refresh_from_db()
    assert answer.status == Answer.Status.SUBMITTED


def test_reopen_matrix(client_for, personas, answer):
    answer.status, answer.verified_points = Answer.Status.APPROVED, Decimal("8")
    answer.save()
    expected = dict(
        anonymous=302,
        opd=403,
        other_opd=403,
        support=403,
        secretariat=200,
        executive=403,
        admin=200,
    )
    _expect(client_for, personas, "get", _url("opd:answer-reopen", answer), expected)


def test_comment_matrix(client_for, personas, answer):
    expected = dict(
        anonymous=302,
        opd=302,
        other_opd=404,
        support=302,
        secretariat=302,
        executive=403,
        admin=302,
    )
    _expect(
        client_for, personas, "post", _url("opd:comment-add", answer), expected, {"body": "halo"}
    )
    assert answer.comments.count() == 4


def test_queue_and_workspace_matrix(client_for, personas, answer):
    queue = dict(
        anonymous=302,
        opd=403,
        other_opd=403,
        support=403,
        secretariat=200,
        executive=403,
        admin=200,
    )
    _expect(client_for, personas, "get", reverse("opd:review-queue"), queue)
    workspace = dict(
        anonymous=302,
        opd=200,
        other_opd=200,
        support=200,
        secretariat=403,
        executive=403,
        admin=403,
    )
    _expect(client_for, personas, "get", reverse("opd:workspace"), workspace)


def test_unknown_question_or_non_answering_unit_is_404(
    client_for, opd_user, question, support_unit
):
    client = client_for(opd_user)
    assert client.get(reverse("opd:answer", args=[999999, support_unit.pk])).status_code == 404
    # A supporting unit has no answer of its own on an ordinary question.
    assert client.get(reverse("opd:answer", args=[question.pk, support_unit.pk])).status_code == 404


def test_kecamatan_cannot_see_another_kecamatans_answer(client_for, period):
    q = factories.QuestionFactory(indicator__group__period=period, every_kecamatan=True)
    k1 = factories.UnitFactory(name="Kecamatan Betara", short_name="Kec. Betara", kind="kecamatan")
    k2 = factories.UnitFactory(
        name="Kecamatan Merlung", short_name="Kec. Merlung", kind="kecamatan"
    )
    factories.AssignmentFactory(question=q, unit=k1, role=Assignment.Role.PER_UNIT)
    factories.AssignmentFactory(question=q, unit=k2, role=Assignment.Role.PER_UNIT)
    user1 = factories.UserFactory(username="camat1", units=[k1])
    client = client_for(user1)
    assert client.get(reverse("opd:answer", args=[q.pk, k1.pk])).status_code == 200
    assert client.get(reverse("opd:answer", args=[q.pk, k2.pk])).status_code == 404


def test_bad_points_keep_what_the_user_typed(client_for, opd_user, answer):
    response = client_for(opd_user).post(
        _url("opd:answer-save", answer),
        {"claimed_points": "99", "narrative": "Teks panjang yang tidak boleh hilang"},
    )
    assert response.status_code == 400
    assert "Teks panjang yang tidak boleh hilang" in response.content.decode()
    answer.refresh_from_db()
    assert answer.narrative == ""


def test_submit_flow_and_double_click(client_for, opd_user, answer, lead_unit):
    Evidence.objects.create(answer=answer, unit=lead_unit, kind="link", url="https://x.test/a")
    client = client_for(opd_user)
    first = client.post(_url("opd:answer-submit", answer), {"version": answer.version})
    assert first.status_code == 302
    second = client.post(
        _url("opd:answer-submit", answer), {"version": answer.version}, follow=True
    )
    answer.refresh_from_db()
    assert answer.status == Answer.Status.SUBMITTED
    assert answer.audit_events.filter(action="answer.submit").count() == 1
    shown = [str(m) for m in second.context["messages"]]
    assert any("already submitted" in m or "sudah dikirim" in m for m in shown), shown


def test_reviewer_moves_on_to_the_next_waiting_answer(
    client_for, secretariat_user, period, lead_unit
):
    answers = []
    for _ in range(2):
        q = factories.QuestionFactory(indicator__group__period=period)
        factories.AssignmentFactory(question=q, unit=lead_unit, role="lead")
        a = services.answer_open(question=q, unit=lead_unit)
        a.status, a.claimed_points, a.submitted_at = "submitted", Decimal("1"), timezone.now()
        a.save()
        answers.append(a)
    response = client_for(secretariat_user).post(
        _url("opd:answer-approve", answers[0]),
        {"verified_points": "", "reason": "", "version": answers[0].version},
    )
    assert response["Location"] == _url("opd:answer", answers[1])


def _build(period, lead_unit, n):
    submitter = factories.UserFactory(username="pengirim", units=[lead_unit])
    for _ in range(n):
        q = factories.QuestionFactory(indicator__group__period=period)
        factories.AssignmentFactory(question=q, unit=lead_unit, role="lead")
        a = services.answer_open(question=q, unit=lead_unit)
        a.status, a.claimed_points, a.submitted_at = "submitted", Decimal("1"), timezone.now()
        a.submitted_by = submitter
        a.save()
        Evidence.objects.create(answer=a, unit=lead_unit, kind="link", url="https://x.test/a")


@pytest.mark.parametrize("n", [3, 12])
def test_workspace_query_budget_is_constant(
    client_for, opd_user, period, lead_unit, n, django_assert_num_queries, cache_reads
):
    _build(period, lead_unit, n)
    client = client_for(opd_user)
    # 1 session, 2 user with profile (role), 3 periods, 4 the user's units,
    # 5 assignments with question/indicator/group/unit, 6 lead units,
    # 7 answers with evidence counts, 8 the extensions of the user's units (deadlines),
    # 9 the tables the units fill for other units, 10 their documents lapsing before the
    # deadline, 11 the questions the province returned to them (none: their returns are not
    # read), 12 the clusters the units coordinate (all kept until anything district-wide
    # changes); with the page cache on, a first view (a miss) also reads the versions twice:
    # "all" and the district's (the user's units are kept under them), then the units'
    with django_assert_num_queries(12 + cache_reads(2)):
        response = client.get(reverse("opd:workspace"))
    assert response.status_code == 200
    assert response.content.decode().count('data-testid="question-row"') == n


@pytest.mark.parametrize("n", [3, 12])
def test_queue_query_budget_is_constant(
    client_for, secretariat_user, period, lead_unit, n, django_assert_num_queries, cache_reads
):
    _build(period, lead_unit, n)
    client = client_for(secretariat_user)
    # 1 session, 2 user with profile, 3 periods, 4 count for the paginator, 5 the page of
    # answers with their evidence count, 6-8 the period's questions (with indicators), the
    # units and the options they show (kept until "all" moves, with the cache on), 9 their
    # submitters and claim holders (by primary key: joined, they cost PostgreSQL 5 ms of
    # planning), 10-12 choices of the group, indicator and unit filters; with the page cache
    # on, a first view also reads the versions of "all" and of the period, and of the listed
    # answers' units (each badge is kept until its unit changes); 13-15 the verification risk
    # of the listed answers (opd/risk.py, from their own facts): the day documents must hold,
    # their evidence with its files, last year's period
    with django_assert_num_queries(15 + cache_reads(2)):
        response = client.get(reverse("opd:review-queue"))
    assert response.content.decode().count('data-testid="queue-row"') == n


def test_queue_pages_keep_the_filters(client_for, secretariat_user, period, lead_unit):
    _build(period, lead_unit, 51)
    client = client_for(secretariat_user)
    html = client.get(
        reverse("opd:review-queue"), {"status": "submitted", "unit": lead_unit.pk}
    ).content.decode()
    assert f"status=submitted&amp;unit={lead_unit.pk}&amp;page=2" in html and "1 / 2" in html
    second = client.get(
        reverse("opd:review-queue"), {"status": "submitted", "unit": lead_unit.pk, "page": 2}
    ).content.decode()
    assert second.count('data-testid="queue-row"') == 1
    assert f"status=submitted&amp;unit={lead_unit.pk}&amp;page=1" in second
