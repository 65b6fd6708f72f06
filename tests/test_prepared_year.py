"""A prepared year (next year's instrument, being set up) is the secretariat's alone.

The rule is opd.access.period_visible; this asks every URL that takes a year, every page that
takes ?year=, the answer and table pages of the prepared year's questions and the API, as
each role. A new URL with a year is found from the resolver, so it cannot skip the rule.
"""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from indicators.models import Period
from kla.models import ApiToken
from opd.models import Assignment, Unit
from tests import factories

pytestmark = pytest.mark.django_db

PREPARED_YEAR = 2041
READERS = ["opd", "executive"]  # may never learn a prepared year exists
OWNERS = ["secretariat", "admin"]


def _year_routes(resolver=None, prefix=""):
    """(name, pattern's keyword names) of every named URL whose path takes a year."""
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            namespace = f"{prefix}{entry.namespace}:" if entry.namespace else prefix
            yield from _year_routes(entry, namespace)
        elif isinstance(entry, URLPattern) and entry.name:
            names = set(entry.pattern.converters)
            if "year" in names:
                yield f"{prefix}{entry.name}", names


@pytest.fixture
def prepared(period, lead_unit):
    """A prepared period beside the open one, with a question of the lead unit and a
    kecamatan table, so its answer pages have an address."""
    nxt = factories.PeriodFactory(year=PREPARED_YEAR, status=Period.Status.PREPARED)
    question = factories.QuestionFactory(indicator__group__period=nxt)
    factories.AssignmentFactory(question=question, unit=lead_unit, role=Assignment.Role.LEAD)
    kecamatan = factories.UnitFactory(name="Kecamatan Tungkal Ilir", kind=Unit.Kind.KECAMATAN)
    table = factories.QuestionFactory(indicator__group__period=nxt, every_kecamatan=True)
    factories.AssignmentFactory(question=table, unit=kecamatan, role=Assignment.Role.PER_UNIT)
    return {"period": nxt, "question": question, "table": table, "unit": lead_unit}


def test_every_year_url_is_known():
    """The routes below are those the resolver has: a new one must be added here."""
    assert {name for name, _ in _year_routes()} == set(YEAR_ROUTES)


# Expected for the readers (opd, executive): 404 where the role may open the page for an
# open year (the year must not be shown to exist), 403 where the role never may.
YEAR_ROUTES = {
    "kla:period-detail": {"opd": 403, "executive": 404},
    "kla:period-edit": {"opd": 403, "executive": 403},
    "kla:period-lock": {"opd": 403, "executive": 403},
    "kla:period-status": {"opd": 403, "executive": 403},
    "kla:period-carry-over": {"opd": 403, "executive": 403},
    "kla:period-question-pairs": {"opd": 403, "executive": 403},
    "kla:period-official": {"opd": 403, "executive": 403},
    "kla:period-scoring": {"opd": 403, "executive": 403},
    "kla:report-xlsx": {"opd": 403, "executive": 404},
    "kla:report-pdf": {"opd": 403, "executive": 404},
    "kla:report-bundle": {"opd": 403, "executive": 403},
    "kla:report-entry-workbook": {"opd": 403, "executive": 403},
    "kla:report-entry-kit": {"opd": 403, "executive": 403},
    "kla:unit-extension": {"opd": 403, "executive": 403},
    "kla:api-score": {"opd": 403, "executive": 404},
    "kla:evaluation": {"opd": 403, "executive": 403},
    "kla:return-record": {"opd": 403, "executive": 403},
    "kla:field-verification": {"opd": 403, "executive": 403},
    "kla:official-points": {"opd": 403, "executive": 403},
    "kla:official-points-import": {"opd": 403, "executive": 403},
    "kla:official-points-template": {"opd": 403, "executive": 403},
    "kla:losses": {"opd": 403, "executive": 404},
    "kla:task-force": {"opd": 403, "executive": 403},
    "kla:task-force-decree": {"opd": 403, "executive": 403},
    "kla:risk-prediction": {"opd": 403, "executive": 403},
}


def _url(name, names, prepared):
    kwargs = {"year": prepared["period"].year}
    if "unit_id" in names:
        kwargs["unit_id"] = prepared["unit"].pk
    return reverse(name, kwargs=kwargs)


@pytest.mark.parametrize("name", sorted(YEAR_ROUTES))
def test_year_urls_hide_a_prepared_year(name, prepared, personas, client_for):
    names = dict(_year_routes())[name]
    url = _url(name, names, prepared)
    for role in READERS:
        response = client_for(personas[role]).get(url)
        assert response.status_code == YEAR_ROUTES[name][role], (role, url)
    for role in OWNERS:
        response = client_for(personas[role]).get(url)
        assert response.status_code not in (403, 404), (role, url)


def test_the_same_urls_open_for_an_open_year(period, prepared, personas, client_for):
    """The 404s above are the prepared year's, not the routes' own: the open year opens."""
    for name in ["kla:period-detail", "kla:report-xlsx", "kla:report-pdf", "kla:api-score"]:
        url = reverse(name, kwargs={"year": period.year})
        assert client_for(personas["executive"]).get(url).status_code == 200, name


def test_api_token_of_the_executive_gets_404(prepared, executive_user, client):
    _token, key = ApiToken.issue(user=executive_user, name="dasbor")
    url = reverse("kla:api-score", kwargs={"year": PREPARED_YEAR})
    response = client.get(url, HTTP_AUTHORIZATION=f"Token {key}")
    assert response.status_code == 404
    assert response.json()["detail"] == f"No period {PREPARED_YEAR}."


# Pages that take ?year=: asked for the prepared year they show the current one instead,
# and never list the prepared year in their selector.
QUERY_PAGES = {
    "kla:executive-home": "executive",
    "kla:executive-print": "executive",
    "kla:executive-units": "executive",
    "kla:reports": "executive",
    "opd:workspace": "opd",
    "opd:documents": "opd",
}


@pytest.mark.parametrize("name", sorted(QUERY_PAGES))
def test_query_pages_never_show_a_prepared_year(name, period, prepared, personas, client_for):
    role = QUERY_PAGES[name]
    response = client_for(personas[role]).get(reverse(name), {"year": PREPARED_YEAR})
    assert response.status_code == 200
    # The links back (language switcher) echo the address asked for; nothing else may name it.
    shown = response.content.decode().replace(f"year={PREPARED_YEAR}", "")
    assert str(PREPARED_YEAR) not in shown
    owner = client_for(personas["secretariat"]).get(reverse("kla:secretariat-home"))
    assert str(PREPARED_YEAR) in owner.content.decode()  # the selector does list it


def test_answer_and_table_pages_of_a_prepared_year(prepared, personas, client_for):
    question, table = prepared["question"], prepared["table"]
    answer = reverse("opd:answer", args=[question.pk, prepared["unit"].pk])
    rows = reverse("opd:question-table", args=[table.pk])
    for role in READERS:
        assert client_for(personas[role]).get(answer).status_code == 404, role
        assert client_for(personas[role]).get(rows).status_code in (403, 404), role
    assert client_for(personas["secretariat"]).get(answer).status_code == 200
