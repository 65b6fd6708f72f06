"""The page cache (core/page_cache.py): fragments are served until a commit changes the data,
never across units or languages, and a rolled-back write changes nothing."""

from decimal import Decimal
from html import unescape

import pytest
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from core import page_cache
from opd import services
from opd.models import Answer, Assignment, Comment, Evidence
from tests import factories


@pytest.fixture
def submitted(period, lead_unit):
    """An answer of `lead_unit` waiting for review, with a link as evidence."""
    q = factories.QuestionFactory(indicator__group__period=period, code="Q-CACHE")
    factories.AssignmentFactory(question=q, unit=lead_unit, role=Assignment.Role.LEAD)
    return Answer.objects.create(
        question=q,
        unit=lead_unit,
        status=Answer.Status.SUBMITTED,
        claimed_points=Decimal("5.00"),
        submitted_at=timezone.now(),
    )


def _get(client, url) -> tuple[str, int]:
    """The page's main region (the navigation bar carries a fresh CSRF token each time) and
    the number of queries it took."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    return html[html.index("<main") : html.index("</main>")], len(queries)


def _in_english(client):
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    return client


def _approve(answer, user):
    services.answer_approve(
        answer=answer, user=user, verified_points=Decimal("4.25"), reason="Bukti kurang"
    )


def _assign_new_question(answer, user):
    q = factories.QuestionFactory(indicator=answer.question.indicator, code="Q-NEW")
    factories.AssignmentFactory(question=q, unit=answer.unit, role=Assignment.Role.LEAD)


def _rename_unit(answer, user):
    answer.unit.name = "Dinas Kesehatan Baru"
    answer.unit.save(update_fields=["name"])


# (page, persona, what changes, text before, text after)
CHANGES = [
    ("opd:workspace", "opd", _approve, "Submitted", "Approved"),
    ("opd:workspace", "opd", _assign_new_question, "Q-CACHE", "Q-NEW"),
    ("opd:review-queue", "secretariat", _approve, "Q-CACHE", "Nothing waiting here."),
    (
        "kla:secretariat-home",
        "secretariat",
        _rename_unit,
        "Dinas Kesehatan<",
        "Dinas Kesehatan Baru",
    ),
    (
        "kla:secretariat-home",
        "secretariat",
        _approve,
        'data-testid="verified-total">0.00',
        'data-testid="verified-total">4.25',
    ),
    (
        "kla:executive-home",
        "executive",
        _approve,
        'data-testid="headline-verified">0.00',
        'data-testid="headline-verified">4.25',
    ),
]


# transactional_db: these tests commit for real, so the data version moves as it does in use.
@pytest.mark.parametrize(("url_name", "persona", "change", "before", "after"), CHANGES)
def test_a_committed_change_shows_on_the_next_request(
    transactional_db,
    page_cache_on,
    client_for,
    personas,
    submitted,
    secretariat_user,
    url_name,
    persona,
    change,
    before,
    after,
):
    client = _in_english(client_for(personas[persona]))
    url = reverse(url_name)
    cold, cold_queries = _get(client, url)
    warm, warm_queries = _get(client, url)
    assert before in cold and warm == cold
    assert warm_queries < cold_queries  # the second view came from the cache

    # A write that bypasses the models (raw SQL: even their querysets' update() raises the
    # version) leaves the cached page as it was: the cache is really serving it.
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {Answer._meta.db_table} SET claimed_points = %s WHERE id = %s",  # noqa: S608
            [Decimal("4.99"), submitted.pk],
        )
    stale, _ = _get(client, url)
    assert stale == cold

    change(Answer.objects.get(pk=submitted.pk), secretariat_user)
    fresh, _ = _get(client, url)
    assert after in fresh and fresh != cold


def test_one_bump_per_transaction_after_commit(transactional_db):
    before = page_cache.version()
    with transaction.atomic():
        for i in range(5):
            factories.UnitFactory(name=f"Kecamatan {i}", short_name=f"K{i}")
        assert page_cache.version() == before  # nothing before the commit
    assert page_cache.version() == before + 1


def test_a_rolled_back_write_does_not_bump(transactional_db):
    before = page_cache.version()
    with pytest.raises(RuntimeError), transaction.atomic():
        factories.UnitFactory(name="Dinas Batal", short_name="Batal")
        raise RuntimeError
    assert page_cache.version() == before


def test_a_write_in_an_inner_block_that_rolls_back_does_not_hide_a_later_one(
    transactional_db,
):
    before = page_cache.version()
    with transaction.atomic():
        with pytest.raises(RuntimeError), transaction.atomic():
            factories.UnitFactory(name="Dinas Batal", short_name="Batal")
            raise RuntimeError
        factories.UnitFactory(name="Dinas Tetap", short_name="Tetap")
    assert page_cache.version() == before + 1


def test_logging_in_does_not_bump_but_renaming_a_user_does(transactional_db, client, opd_user):
    opd_user.set_password("a-long-password-2027")
    opd_user.save()
    before = page_cache.version()
    response = client.post(
        reverse("login"), {"username": "opd", "password": "a-long-password-2027"}
    )
    assert response.status_code == 302
    opd_user.refresh_from_db()
    assert opd_user.last_login is not None
    assert page_cache.version() == before
    opd_user.first_name = "Sari"
    opd_user.save(update_fields=["first_name"])
    assert page_cache.version() == before + 1


def test_workspaces_of_different_units_never_share_a_fragment(
    page_cache_on, client_for, opd_user, other_opd_user, submitted
):
    mine, _ = _get(client_for(opd_user), reverse("opd:workspace"))
    theirs, _ = _get(client_for(other_opd_user), reverse("opd:workspace"))
    assert "Dinas Pendidikan" in theirs
    assert "Q-CACHE" in mine and "Q-CACHE" not in theirs


def test_each_language_has_its_own_fragment(page_cache_on, client_for, opd_user, submitted):
    client = _in_english(client_for(opd_user))
    english, _ = _get(client, reverse("opd:workspace"))
    client.post(reverse("set_language"), {"language": "id", "next": "/"})
    indonesian, _ = _get(client, reverse("opd:workspace"))
    assert "Submitted" in english and "Submitted" not in indonesian


def test_a_process_keeps_at_most_its_limit_of_fragments_the_oldest_going_first(
    page_cache_on, db, rf, monkeypatch, settings
):
    """Fragments are kept in the process as they were rendered (not pickled), at most
    KLA_CACHE_MAX_ENTRIES of them: a page's fragments are tens to hundreds of KB."""
    settings.KLA_CACHE_MAX_ENTRIES = 2
    renders = []

    def render(template_name, context, request):
        renders.append(context["n"])
        return f"<p>{context['n']}</p>"

    monkeypatch.setattr(page_cache, "render_to_string", render)
    request = rf.get("/")
    for n in (1, 2, 3, 3, 2, 1):
        html = page_cache.fragment(request, "x.html", parts=[n], context=lambda n=n: {"n": n})
        assert html == f"<p>{n}</p>"
    assert renders == [1, 2, 3, 1]  # the first was dropped when the third came


@pytest.mark.parametrize(
    ("rendered", "served"),
    [
        ("<p>Perpanjang…</p>", "<p>Perpanjang&#8230;</p>"),
        ('<a aria-label="Bab — 2">x · y</a>', '<a aria-label="Bab &#8212; 2">x &#183; y</a>'),
        ("<p>plain</p>", "<p>plain</p>"),
        # A reference is read as written in a script: such a fragment is left as it is.
        ('<script>let s = "…";</script>', '<script>let s = "…";</script>'),
    ],
)
def test_fragments_and_rows_are_served_in_ascii_as_the_browser_reads_them(
    page_cache_on, db, rf, monkeypatch, rendered, served
):
    """Characters beyond ASCII become character references, which read the same: Python copies
    a page holding one of them at two bytes a character, and a large one is copied often."""
    monkeypatch.setattr(page_cache, "render_to_string", lambda *args, **kwargs: rendered)
    request = rf.get("/")
    for _ in range(2):  # rendered, then kept
        html = page_cache.fragment(request, "x.html", parts=[], context=dict)
        assert html == served and unescape(html) == rendered
    assert page_cache.rendered_rows("row.html", [({}, 1), ({}, 2)]) == served * 2


def test_a_fragment_with_a_csrf_token_is_never_stored(page_cache_on, db, rf, monkeypatch):
    renders = []

    def render(template_name, context, request):
        renders.append(template_name)
        return '<input name="csrfmiddlewaretoken" value="secret">'

    monkeypatch.setattr(page_cache, "render_to_string", render)
    request = rf.get("/")
    for _ in range(2):
        page_cache.fragment(request, "x.html", parts=[], context=dict)
    assert renders == ["x.html", "x.html"]


@pytest.mark.parametrize(
    ("url_name", "persona", "queries"),
    [
        # 1 session, 2 user with profile, 3 the data versions ("all" with the district-wide
        # ones: the user's units and the periods to choose from are kept under them), 4 the
        # units' versions
        ("opd:workspace", "opd", 4),
        # 1 session, 2 user with profile, 3 the data versions
        ("opd:review-queue", "secretariat", 3),
        # with the version the points at risk are kept under (outside the page's fragment,
        # read with the fragment's)
        ("kla:secretariat-home", "secretariat", 3),
        ("kla:executive-home", "executive", 3),
    ],
)
def test_query_budget_from_the_cache(
    page_cache_on,
    client_for,
    personas,
    submitted,
    url_name,
    persona,
    queries,
    django_assert_num_queries,
):
    client = client_for(personas[persona])
    client.get(reverse(url_name))
    with django_assert_num_queries(queries):
        response = client.get(reverse(url_name))
    assert "Q-CACHE" in response.content.decode() or url_name != "opd:workspace"


def test_a_get_requests_first_read_takes_the_district_wide_numbers(page_cache_on, db, rf):
    """The first read of a GET request takes every scope but the units': a period's numbers
    asked later are those it read (0 for one never raised), without a second query."""
    page_cache.versions()  # "all" exists
    page_cache._raise({"score:7", "unit:3"})
    expected = page_cache.versions(["score:7", "queue:7", "unit:3", "unit:4"])

    def view(request):
        with CaptureQueriesContext(connection) as queries:
            page_cache.numbers(["unit:3"])
            page_cache._raise({"score:7"})  # after the request's read: not seen by it
            later = page_cache.numbers(["score:7", "queue:7"])
            units = page_cache.numbers(["unit:4"])
        request.queries, request.later, request.units = len(queries), later, units
        return ""

    request = rf.get("/")
    page_cache.RequestNumbersMiddleware(view)(request)
    assert request.later["score:7"] == expected["score:7"] and request.later["queue:7"] == 0
    assert request.units["unit:4"] == 0
    # the first read; the raise; unit:4, a unit's number, read when asked
    assert request.queries == 3
    assert page_cache.versions(["score:7"])["score:7"] == expected["score:7"] + 1


def test_a_request_reading_hundreds_of_units_numbers_reads_both_kinds_at_once(
    page_cache_on, db, rf
):
    """A page that asks for more than 20 units' numbers of one kind (the secretariat's unit
    table) gets the other kind's in the same query (its points at risk): asked later, they
    are those read, and a unit never raised counts 0."""
    page_cache.versions()  # "all" exists
    units = [page_cache.unit_scope(pk) for pk in range(1, 31)]
    answers = [page_cache.answers_scope(pk) for pk in range(1, 31)]
    page_cache._raise({units[0], answers[1]})
    expected = page_cache.versions([*units, *answers])
    assert expected[answers[1]] > 0 and expected[answers[2]] == 0

    def view(request):
        with CaptureQueriesContext(connection) as queries:
            page_cache.numbers(["score:7"])  # the first read: district-wide
            first = page_cache.numbers(units)
            later = page_cache.numbers(answers)
        request.queries, request.first, request.later = len(queries), first, later
        return ""

    request = rf.get("/")
    page_cache.RequestNumbersMiddleware(view)(request)
    assert request.queries == 2
    assert {s: request.first[s] for s in units} == {s: expected[s] for s in units}
    assert {s: request.later[s] for s in answers} == {s: expected[s] for s in answers}


def test_an_emptied_database_starts_at_a_new_number(db):
    """After a flush or a restore the version must not meet fragments cached before it."""
    from core.models import DataVersion

    first = page_cache.version()
    DataVersion.objects.all().delete()
    second = page_cache.version()
    DataVersion.objects.all().delete()
    assert len({first, second, page_cache.version()}) == 3


def test_the_cached_page_tests_see_writes_as_if_committed(
    page_cache_committing, client_for, opd_user, submitted, secretariat_user
):
    """The page tests' cached run (tests/conftest.py) never commits: its fixture raises the
    versions where a commit would, so a page asked for after a write is rebuilt, while the
    cache still serves it when nothing changed."""
    client = _in_english(client_for(opd_user))
    url = reverse("opd:workspace")
    cold, cold_queries = _get(client, url)
    warm, warm_queries = _get(client, url)
    assert warm == cold and warm_queries < cold_queries
    _approve(Answer.objects.get(pk=submitted.pk), secretariat_user)  # a service's transaction
    assert "Approved" in _get(client, url)[0]
    Answer.objects.filter(pk=submitted.pk).update(narrative="x")  # a write outside any
    assert _get(client, url)[1] > warm_queries


def test_a_get_request_reads_each_number_once(page_cache_on, db, rf, monkeypatch):
    """Within one GET request (RequestNumbersMiddleware) a number read once is reused; a
    fragment's key holds its own numbers only, so what the request read before it does not
    make it miss."""
    renders = []
    monkeypatch.setattr(page_cache, "render_to_string", lambda name, context, request: name)
    page_cache.version()  # "all" exists

    def view(request):
        with CaptureQueriesContext(connection) as queries:
            page_cache.numbers(["unit:1"])
            page_cache.numbers(["unit:1", "period:1"])
            page_cache.numbers(["period:1"])
            page_cache.read_ahead(["period:1", "unit:2"])  # unit:2 for the page around it
            html = page_cache.fragment(
                request,
                "x.html",
                parts=[],
                scopes=["period:1"],
                context=lambda: renders.append(1) or {},
            )
            page_cache.numbers(["unit:2"])
        request.queries = len(queries)
        return html

    middleware = page_cache.RequestNumbersMiddleware(view)
    first = rf.get("/")
    middleware(first)
    # unit:1 with "all" and every scope but the units' (period:1 among them); unit:2 read
    # ahead; nothing after
    assert first.queries == 2 and renders == [1]
    page_cache.fragment(
        rf.get("/"),
        "x.html",
        parts=[],
        scopes=["period:1"],
        context=lambda: renders.append(2) or {},
    )
    assert renders == [1]  # the same key, read outside any request's numbers


def test_a_post_request_reads_the_numbers_again(page_cache_on, db, rf):
    page_cache.version()  # "all" exists

    def view(request):
        with CaptureQueriesContext(connection) as queries:
            page_cache.numbers(["unit:1"])
            page_cache.numbers(["unit:1"])
        return len(queries)

    assert page_cache.RequestNumbersMiddleware(view)(rf.post("/")) == 2
    assert page_cache.RequestNumbersMiddleware(view)(rf.get("/")) == 1

    def reading_ahead(request):
        with CaptureQueriesContext(connection) as queries:
            page_cache.read_ahead(["unit:1"])
        return len(queries)

    # Outside a GET request nothing would keep what it reads: it reads nothing.
    assert page_cache.RequestNumbersMiddleware(reading_ahead)(rf.post("/")) == 0
    assert page_cache.RequestNumbersMiddleware(reading_ahead)(rf.get("/")) == 1


def test_the_instrument_page_is_kept_until_the_instrument_changes(
    page_cache_committing, client_for, executive_user, submitted
):
    client = client_for(executive_user)
    url = reverse("kla:period-detail", args=[submitted.question.indicator.group.period.year])
    cold, cold_queries = _get(client, url)
    warm, warm_queries = _get(client, url)
    assert warm == cold and warm_queries < cold_queries
    question = submitted.question
    question.text = "Apakah tersedia Perda KLA yang baru?"
    question.save()
    assert "Perda KLA yang baru" in _get(client, url)[0]


def test_a_removed_member_is_refused_at_once_with_the_cache_on(
    page_cache_committing, client_for, opd_user, submitted, lead_unit
):
    """Access reads memberships and assignments kept under "all" (opd.access): the change of
    a membership raises it, so the next request is refused as with a fresh read."""
    client = client_for(opd_user)
    url = reverse("opd:answer", args=[submitted.question_id, lead_unit.pk])
    assert client.get(url).status_code == 200
    assert client.get(url).status_code == 200  # from what is kept
    opd_user.profile.units.remove(lead_unit)
    assert client.get(url).status_code == 404


def test_the_period_choice_is_kept_until_a_period_changes(
    page_cache_committing, secretariat_user, executive_user, period
):
    """The periods a page offers are kept (no query the second time), for each kind of
    reader apart (the secretariat also sees the years it prepares), and a period's change is
    seen at once: it raises "all"."""
    from indicators.models import Period
    from opd import access

    prepared = factories.PeriodFactory(year=2027, status=Period.Status.PREPARED)
    assert access.period_choice(secretariat_user)[1] == [prepared, period]
    assert access.period_choice(executive_user)[1] == [period]
    with CaptureQueriesContext(connection) as queries:
        chosen, periods = access.period_choice(executive_user, year=2026)
    assert chosen == period and periods == [period]
    assert not [q for q in queries if "indicators_period" in q["sql"]]
    chosen.status = "annotated by a page"  # a copy: the kept one is not changed
    assert access.period_choice(executive_user)[0].status == Period.Status.OPEN
    prepared.status = Period.Status.OPEN
    prepared.save()
    chosen, periods = access.period_choice(executive_user)
    assert chosen == prepared and periods == [prepared, period]


def test_a_queue_rebuilt_after_a_points_change_takes_its_size_from_the_queue_state(
    page_cache_committing, client_for, secretariat_user, submitted, period, lead_unit
):
    """The unfiltered queue's count is the kept queue state's size: a change of points (the
    commonest) rebuilds the page without counting the queue again; a filtered queue counts.
    Neither reads the instrument or the units again."""
    q = factories.QuestionFactory(indicator__group__period=period)
    factories.AssignmentFactory(question=q, unit=lead_unit, role=Assignment.Role.LEAD)
    draft = Answer.objects.create(question=q, unit=lead_unit, claimed_points=Decimal("1.00"))
    client = _in_english(client_for(secretariat_user))
    url = reverse("opd:review-queue")
    client.get(url)
    draft.claimed_points = Decimal("2.00")
    draft.save()
    for address, counted in ((url, False), (f"{url}?status=submitted&unit={lead_unit.pk}", True)):
        with CaptureQueriesContext(connection) as queries:
            html = client.get(address).content.decode()
        sqls = [query["sql"] for query in queries]
        assert any('"submitted_at"' in sql and "ORDER BY" in sql for sql in sqls)  # rebuilt
        assert any('AS "__count"' in sql for sql in sqls) is counted, address  # the paginator's
        # The questions, units and options the rows show are kept with the instrument.
        kept = ('FROM "indicators_question"', 'FROM "opd_unit"', 'FROM "indicators_answeroption"')
        assert not any(table in sql for sql in sqls for table in kept), address
        assert "Q-CACHE" in html


def test_remember_each_computes_again_only_the_keys_whose_numbers_moved(
    page_cache_on, db, monkeypatch
):
    """Values kept together, each under its own scope's number: a unit's change computes that
    unit's again; a caller asking for some of the keys finds them; each expires on its own."""
    calls = []

    def compute(keys):
        calls.append(sorted(keys))
        return {key: (key, len(calls)) for key in keys}

    scopes = {1: page_cache.unit_scope(1), 2: page_cache.unit_scope(2)}
    first = page_cache.remember_each("test-each", scopes=scopes, compute=compute)
    assert page_cache.remember_each("test-each", scopes=scopes, compute=compute) == first
    assert calls == [[1, 2]]
    page_cache._raise({page_cache.unit_scope(1)})
    again = page_cache.remember_each("test-each", scopes=scopes, compute=compute)
    assert calls[-1] == [1] and again == {1: (1, 2), 2: (2, 1)}
    some = page_cache.remember_each("test-each", scopes={2: scopes[2]}, compute=compute)
    assert some == {2: (2, 1)} and len(calls) == 2
    later = page_cache.time.monotonic() + page_cache.settings.KLA_PAGE_CACHE_SECONDS + 1
    monkeypatch.setattr(page_cache.time, "monotonic", lambda: later)
    assert page_cache.remember_each("test-each", scopes=scopes, compute=compute) == {
        1: (1, 3),
        2: (2, 3),
    }


def test_the_answer_pages_evidence_and_comments_follow_every_change(
    page_cache_committing, client_for, opd_user, secretariat_user, lead_unit, other_unit, submitted
):
    """The answer page keeps its evidence, their files and its comments (answer_page_data)
    until the unit's answers change: each change below shows on the next view, and a view
    after another unit's save reads none of them again."""
    client = _in_english(client_for(secretariat_user))
    url = reverse("opd:answer", args=[submitted.question_id, lead_unit.pk])

    def reads_of_the_answer() -> list[str]:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        tables = ('"opd_evidence"', '"opd_evidencerevision"', '"opd_comment"')
        return [
            q["sql"]
            for q in queries
            if q["sql"].startswith("SELECT")
            and any(f"FROM {table}" in q["sql"] for table in tables)
        ]

    assert "jdih.example" not in _get(client, url)[0]
    assert reads_of_the_answer() == []  # kept

    # Written as the services write them (their window checks are not what is tested here).
    link = Evidence.objects.create(
        answer=submitted,
        unit=lead_unit,
        kind=Evidence.Kind.LINK,
        url="https://jdih.example/perbup-7",
        created_by=opd_user,
    )
    assert "jdih.example/perbup-7" in _get(client, url)[0]
    Comment.objects.create(answer=submitted, author=opd_user, body="SK sudah diunggah")
    assert "SK sudah diunggah" in _get(client, url)[0]
    opd_user.first_name = "Rahmawati"
    opd_user.save(update_fields=["first_name"])
    assert "Rahmawati" in _get(client, url)[0]
    link.removed_at = timezone.now()
    link.save(update_fields=["removed_at"])
    html, _ = _get(client, url)
    assert 'data-testid="evidence-item"' not in html

    # Another unit's answer changing leaves this one's reads kept; its own, not.
    other_question = factories.QuestionFactory(indicator=submitted.question.indicator, code="Q-O")
    factories.AssignmentFactory(question=other_question, unit=other_unit, role="lead")
    _get(client, url)
    Answer.objects.create(question=other_question, unit=other_unit, narrative="lain")
    assert reads_of_the_answer() == []
    Comment.objects.create(answer=submitted, author=opd_user, body="Mohon dicek")
    assert len(reads_of_the_answer()) == 3  # evidence (the removed link), revisions, comments


def test_query_budget_of_the_answer_page_from_the_cache(
    page_cache_on, client_for, opd_user, lead_unit, submitted, django_assert_num_queries
):
    client = client_for(opd_user)
    url = reverse("opd:answer", args=[submitted.question_id, lead_unit.pk])
    client.get(url)
    # 1 session, 2 user with profile, 3 the numbers ("all", the district's, the unit's and its
    # answers', in one read), 4 the answer, 5 whether the province returned the question (the
    # fixture's window has closed: may the unit still edit it?); kept: the question with its
    # assignments and options, the extensions, the evidence and comments, the next question
    with django_assert_num_queries(5):
        assert client.get(url).status_code == 200


def test_a_points_change_keeps_the_dashboards_unit_parts_rendered(
    page_cache_committing,
    secretariat_user,
    executive_user,
    period,
    lead_unit,
    monkeypatch,
):
    """Other points on a draft, the commonest change of the March rush, leave the units'
    progress be: the dashboards are rebuilt around the secretariat's unit table and the
    Bupati's units behind schedule, which stay rendered; a submission renders them again."""
    q = factories.QuestionFactory(indicator__group__period=period)
    factories.AssignmentFactory(question=q, unit=lead_unit, role=Assignment.Role.LEAD)
    draft = Answer.objects.create(question=q, unit=lead_unit, claimed_points=Decimal("1.00"))
    pages = {
        "kla:secretariat-home": ("kla/_secretariat_body.html", "kla/_unit_table.html"),
        "kla:executive-home": ("kla/_executive_page_body.html", "kla/_lagging_units.html"),
    }
    clients = {}
    for name, user in (
        ("kla:secretariat-home", secretariat_user),
        ("kla:executive-home", executive_user),
    ):
        clients[name] = Client()
        clients[name].force_login(user)
    renders = []
    render = page_cache.render_to_string

    def recorded(template_name, *args, **kwargs):
        renders.append(template_name)
        return render(template_name, *args, **kwargs)

    monkeypatch.setattr(page_cache, "render_to_string", recorded)

    def rendered_after(change) -> dict[str, list[str]]:
        change()
        found = {}
        for name, client in clients.items():
            renders.clear()
            assert client.get(reverse(name)).status_code == 200
            found[name] = list(renders)
        return found

    rendered_after(lambda: None)  # both pages kept
    draft.claimed_points = Decimal("2.00")
    for name, found in rendered_after(draft.save).items():
        body, part = pages[name]
        assert found == [body], name  # rebuilt around its part
    draft.status, draft.submitted_at = Answer.Status.SUBMITTED, timezone.now()
    for name, found in rendered_after(draft.save).items():
        body, part = pages[name]
        assert part in found and body in found, name
    html = clients["kla:secretariat-home"].get(reverse("kla:secretariat-home")).content.decode()
    assert html.count('data-testid="unit-row"') == 1


def test_other_points_on_a_draft_redraw_the_groups_chart_alone(
    page_cache_committing, client_for, executive_user, period, lead_unit, monkeypatch
):
    """Each chart is kept under what it is drawn from: other points claimed on a draft move
    the claimed bars, not the verified total the gauge and the trends draw."""
    from kla import charts

    q = factories.QuestionFactory(indicator__group__period=period)
    factories.AssignmentFactory(question=q, unit=lead_unit, role=Assignment.Role.LEAD)
    draft = Answer.objects.create(question=q, unit=lead_unit, claimed_points=Decimal("1.00"))
    drawn = []

    def counting(name: str, draw):
        def counted(*args, **kwargs):
            drawn.append(name)
            return draw(*args, **kwargs)

        return counted

    for name in ("rank_gauge", "group_bars", "trend_columns", "pace_line"):
        monkeypatch.setattr(charts, name, counting(name, getattr(charts, name)))
    client = client_for(executive_user)
    client.get(reverse("kla:executive-home"))
    assert sorted(drawn) == ["group_bars", "pace_line", "rank_gauge", "trend_columns"]
    drawn.clear()
    draft.claimed_points = Decimal("2.00")
    draft.save()
    html = client.get(reverse("kla:executive-home")).content.decode()
    assert drawn == ["group_bars"]
    assert html.count("<svg ") >= 4
