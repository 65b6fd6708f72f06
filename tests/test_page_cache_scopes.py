"""The page cache's scopes (core/page_cache.py): each change raises the versions of what shows
it and no more, so a unit's save rebuilds the workspaces that show its answer and leaves the
others, and only a change of points or state computes the score again."""

import datetime
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from core import page_cache
from core.models import DataVersion
from kla import selectors as dash
from opd import services
from opd.evidence import evidence_add_link
from opd.models import Answer, Assignment
from opd.scoring import snapshot_take
from tests import factories

D = Decimal


@pytest.fixture(autouse=True)
def _inside_window(monkeypatch):
    """'Today' inside the 2026 window, so units may still change their answers."""
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: datetime.date(2026, 2, 10))


@pytest.fixture
def draft(question, lead_unit):
    """The lead unit's draft answer, 5 of 10 points claimed; `question` is supported by
    `support_unit`."""
    return Answer.objects.create(question=question, unit=lead_unit, claimed_points=D("5.00"))


def _raised(change) -> set[str]:
    """The scopes whose numbers the committed change raised."""
    page_cache.versions()  # "all" exists before, so its raise is seen
    before = dict(DataVersion.objects.values_list("scope", "value"))
    change()
    after = dict(DataVersion.objects.values_list("scope", "value"))
    return {scope for scope, value in after.items() if before.get(scope) != value}


def _save(answer, user, points, narrative="Ada Perbup"):
    services.answer_save(answer=answer, user=user, claimed_points=points, narrative=narrative)


def test_what_each_change_raises(
    transactional_db, period, draft, lead_unit, support_unit, opd_user, secretariat_user
):
    p, lead, support = period.pk, lead_unit.pk, support_unit.pk
    # The pages showing the answer, and the answers the lead unit gives (not the supporter).
    pages = {f"period:{p}", f"unit:{lead}", f"unit:{support}", f"answers:{lead}"}
    figures = {f"score:{p}", f"progress:{p}"}
    # A narrative: the pages showing the answer, not the score.
    assert _raised(lambda: _save(draft, opd_user, "5.00", "Perbup 2026")) == pages
    # Other points: the score, not the units' progress (the draft claimed points already).
    assert _raised(lambda: _save(draft, opd_user, "6.00")) == pages | {f"score:{p}"}
    # No points any more, then points again: the unit's count of answers moves.
    assert _raised(lambda: _save(draft, opd_user, None)) == pages | figures
    assert _raised(lambda: _save(draft, opd_user, "6.00")) == pages | figures
    assert (
        _raised(lambda: services.comment_add(answer=draft, user=secretariat_user, body="Lengkapi"))
        == pages
    )
    assert _raised(
        lambda: evidence_add_link(
            answer=draft, unit=lead_unit, user=opd_user, url="https://jdih.example/perbup"
        )
    ) == pages | {f"progress:{p}"}
    # Handed in: the queue's size and age move too.
    assert _raised(lambda: services.answer_submit(answer=draft, user=opd_user)) == (
        pages | figures | {f"queue:{p}"}
    )
    assert _raised(lambda: services.answer_claim(answer=draft, user=secretariat_user)) == pages
    assert _raised(
        lambda: services.answer_approve(answer=draft, user=secretariat_user)
    ) >= pages | figures | {"snapshots"}
    assert _raised(lambda: snapshot_take(period=period, reason="window_closed")) == {"snapshots"}
    lead_unit.name = "Dinas Kesehatan Baru"
    assert _raised(lambda: lead_unit.save(update_fields=["name"])) == {"all"}


def test_a_transaction_raises_each_scope_once(transactional_db, draft, opd_user):
    from django.db import transaction

    _save(draft, opd_user, "6.00")  # every scope of the answer has its row now
    before = dict(DataVersion.objects.values_list("scope", "value"))
    with transaction.atomic():
        _save(draft, opd_user, "7.00")
        _save(draft, opd_user, "8.00")
    after = dict(DataVersion.objects.values_list("scope", "value"))
    assert after.keys() == before.keys()
    # Points alone: the queue's figures (state, submission time) and the units' progress
    # (whether points are claimed at all) stay.
    p = draft.question.indicator.group.period_id
    still = {"all", f"queue:{p}", f"progress:{p}"}
    raised = {after[scope] - before[scope] for scope in before if scope not in still}
    assert raised == {1} and all(after[scope] == before[scope] for scope in still)


def _main(client, url) -> tuple[str, int]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    return html[html.index("<main") : html.index("</main>")], len(queries)


def test_a_units_save_rebuilds_the_workspaces_that_show_it_and_no_other(
    transactional_db,
    page_cache_on,
    client_for,
    draft,
    opd_user,
    support_user,
    other_opd_user,
    other_unit,
):
    theirs = factories.QuestionFactory(indicator=draft.question.indicator, code="Q-DISDIK")
    factories.AssignmentFactory(question=theirs, unit=other_unit, role=Assignment.Role.LEAD)
    pages = {}
    for user in (opd_user, support_user, other_opd_user):
        client = client_for(user)
        _main(client, reverse("opd:workspace"))
        pages[user.username] = _main(client, reverse("opd:workspace"))  # from the cache
    assert "5,00" in pages["support"][0]

    _save(draft, opd_user, "6.50")
    for user, rebuilt in ((opd_user, True), (support_user, True), (other_opd_user, False)):
        html, queries = _main(client_for(user), reverse("opd:workspace"))
        assert (queries > pages[user.username][1]) is rebuilt, user.username
        assert ("6,50" in html) is rebuilt, user.username  # a supporter sees the lead's answer
    assert html == pages["other"][0]


def test_dashboards_rescore_after_a_points_change_only(
    transactional_db, page_cache_on, client_for, draft, opd_user, secretariat_user, monkeypatch
):
    computed = []
    score_period = dash.score_period

    def spy(*, period):
        computed.append(period.pk)
        return score_period(period=period)

    monkeypatch.setattr(dash, "score_period", spy)
    client = client_for(secretariat_user)
    url = reverse("kla:secretariat-home")

    def claimed() -> str:
        html, _queries = _main(client, url)
        return re.search(r'data-testid="claimed-total">([^<]*)<', html).group(1)

    assert claimed() == "5,00" and len(computed) == 1
    _save(draft, opd_user, "5.00", "Narasi baru")  # a narrative: the score stays
    services.comment_add(answer=draft, user=secretariat_user, body="Lengkapi lampiran")
    assert claimed() == "5,00" and len(computed) == 1
    _save(draft, opd_user, "7.25")  # a change of points shows on the next view
    assert claimed() == "7,25" and len(computed) == 2
    assert claimed() == "7,25" and len(computed) == 2


def test_evidence_recounts_its_unit_only(
    transactional_db,
    page_cache_on,
    client_for,
    draft,
    opd_user,
    secretariat_user,
    other_unit,
    lead_unit,
    monkeypatch,
):
    theirs = factories.QuestionFactory(indicator=draft.question.indicator, code="Q-DISDIK")
    factories.AssignmentFactory(question=theirs, unit=other_unit, role=Assignment.Role.LEAD)
    counted = []
    answer_counts = dash._answer_counts

    def spy(unit_ids, writers, rows_of, question_range):
        counted.append(sorted(unit_ids))
        return answer_counts(unit_ids, writers, rows_of, question_range)

    monkeypatch.setattr(dash, "_answer_counts", spy)
    client = client_for(secretariat_user)
    url = reverse("kla:secretariat-home")

    def row(name) -> list[str]:
        html, _queries = _main(client, url)
        cells = re.search(rf'"unit-row"><td>{name}(.*?)</tr>', html, re.S).group(1)
        return re.findall(r'<td class="text-end">(\d+)</td>', cells)

    assert row("Dinas Kesehatan") == ["1", "1", "0", "0", "0"]  # assigned, answered, evidence
    assert counted == [sorted([lead_unit.pk, other_unit.pk])]
    evidence_add_link(answer=draft, unit=lead_unit, user=opd_user, url="https://jdih.example/1")
    assert row("Dinas Kesehatan") == ["1", "1", "1", "0", "0"]
    assert counted[1:] == [[lead_unit.pk]]


def test_a_change_of_points_recounts_no_unit(
    transactional_db, page_cache_on, client_for, draft, opd_user, secretariat_user, monkeypatch
):
    """The commonest save of the March rush, other points on a draft, leaves the units'
    progress be: the dashboards keep their unit counts and show the new points."""
    counted = []
    answer_counts = dash._answer_counts

    def spy(unit_ids, *args):
        counted.append(sorted(unit_ids))
        return answer_counts(unit_ids, *args)

    monkeypatch.setattr(dash, "_answer_counts", spy)
    client = client_for(secretariat_user)
    url = reverse("kla:secretariat-home")
    _main(client, url)
    assert len(counted) == 1
    _save(draft, opd_user, "7.25")
    html, _queries = _main(client, url)
    assert 'data-testid="claimed-total">7,25<' in html and len(counted) == 1
    _save(draft, opd_user, None)  # no points claimed any more: one answer fewer answered
    _main(client, url)
    assert counted[1:] == [[draft.unit_id]]


def test_notices_and_uploads_on_their_way_raise_nothing(
    transactional_db, draft, opd_user, lead_unit
):
    from opd.models import Notice, ResumableUpload

    assert (
        _raised(lambda: Notice.objects.create(user=opd_user, answer=draft, kind="approved"))
        == set()
    )
    assert (
        _raised(
            lambda: ResumableUpload.objects.create(
                user=opd_user,
                question=draft.question,
                unit=lead_unit,
                filename="bukti.pdf",
                length=1000,
                expires_at=timezone.now() + datetime.timedelta(days=1),
            )
        )
        == set()
    )


def test_the_bupatis_page_never_shows_the_secretariats_periods(
    transactional_db, page_cache_on, client_for, period, secretariat_user, executive_user
):
    factories.PeriodFactory(year=2027, status="prepared")
    url = reverse("kla:executive-home")
    assert 'value="2027"' in _main(client_for(secretariat_user), url)[0]
    assert 'value="2027"' not in _main(client_for(executive_user), url)[0]
