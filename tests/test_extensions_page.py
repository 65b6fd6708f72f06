"""The secretariat's extensions page: deadlines per unit and granting an extension.

The page is `extensions` (/sekretariat/perpanjangan/): GET lists the current period's units
with their deadline, POST grants through opd.services.extension_grant (POST-redirect-GET).
The 2026 window closes on 31 March, entry into the ministry's application is on 15 April.
"""

import datetime

import pytest
from django.contrib.messages import constants as message_levels
from django.urls import reverse
from django.utils import timezone

from opd.models import Assignment, AuditEvent, Extension
from tests import factories

pytestmark = pytest.mark.django_db
URL = "/sekretariat/perpanjangan/"
D = datetime.date


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    """A day in the window: an extension may not end in the past (test_extension_bounds.py)."""
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: D(2026, 3, 20))


EXPECTED = {
    "anonymous": 302,
    "opd": 403,
    "other_opd": 403,
    "support": 403,
    "executive": 403,
    "secretariat": 200,
    "admin": 200,
}


def test_url_name():
    assert reverse("kla:extensions") == URL


@pytest.mark.parametrize(("persona", "status"), EXPECTED.items())
def test_permission_matrix_get(client_for, personas, question, persona, status):
    response = client_for(personas[persona]).get(URL)
    assert response.status_code == status
    if status == 302:
        assert response["Location"].startswith(reverse("login") + "?next=")


@pytest.mark.parametrize(("persona", "status"), EXPECTED.items())
def test_permission_matrix_post(client_for, personas, question, lead_unit, persona, status):
    """Only the secretariat and the admin grant; for them a valid grant redirects (PRG)."""
    data = {"unit": lead_unit.pk, "until": "2026-04-03", "reason": "Jaringan putus"}
    response = client_for(personas[persona]).post(URL, data)
    if status == 200:
        assert response.status_code == 302 and response["Location"] == URL
        assert Extension.objects.get().granted_by == personas[persona]
    else:
        assert response.status_code == status
        assert not Extension.objects.exists()


def test_lists_the_current_periods_units_with_their_deadline(
    client_for, secretariat_user, period, question, lead_unit, support_unit, other_unit
):
    Extension.objects.create(period=period, unit=support_unit, until=D(2026, 4, 5))
    # A unit with questions only in another period is not listed.
    factories.AssignmentFactory(
        question=factories.QuestionFactory(indicator__group__period__year=2025), unit=other_unit
    )
    response = client_for(secretariat_user).get(URL)
    deadlines = dict(response.context["deadlines"])
    assert deadlines == {lead_unit: D(2026, 3, 31), support_unit: D(2026, 4, 5)}
    page = response.content.decode()
    assert lead_unit.name in page and support_unit.name in page
    assert other_unit.name not in page.split("<table", 1)[1]
    assert page.count("badge text-bg-info") >= 1  # the extended one is marked


def test_grant_then_see_the_message_and_the_new_deadline(
    client_for, secretariat_user, period, question, lead_unit
):
    client = client_for(secretariat_user)
    response = client.post(
        URL, {"unit": lead_unit.pk, "until": "2026-04-03", "reason": "Jaringan putus"}, follow=True
    )
    assert response.redirect_chain == [(URL, 302)]
    (message,) = response.context["messages"]
    assert message.level == message_levels.SUCCESS and lead_unit.name in message.message
    assert dict(response.context["deadlines"])[lead_unit] == D(2026, 4, 3)
    extension = Extension.objects.get()
    assert (extension.unit, extension.until, extension.reason) == (
        lead_unit,
        D(2026, 4, 3),
        "Jaringan putus",
    )
    event = AuditEvent.objects.get(action=AuditEvent.Action.EXTENSION_GRANT)
    assert event.actor == secretariat_user and event.unit == lead_unit
    assert event.ip_address == "127.0.0.1"


def test_granting_again_moves_the_same_extension(
    client_for, secretariat_user, period, question, lead_unit
):
    client = client_for(secretariat_user)
    client.post(URL, {"unit": lead_unit.pk, "until": "2026-04-03", "reason": ""})
    client.post(URL, {"unit": lead_unit.pk, "until": "2026-04-10", "reason": "Banjir"})
    assert Extension.objects.get().until == D(2026, 4, 10)
    assert AuditEvent.objects.filter(action="extension.grant").count() == 2


@pytest.mark.parametrize(
    ("until", "code_words"),
    [
        ("2026-03-31", "31-03-2026"),  # not after the window's end
        ("2026-03-01", "31-03-2026"),
        ("2026-04-15", "15-04-2026"),  # not before entry into the ministry's application
    ],
)
def test_domain_errors_are_shown_on_the_form(
    client_for, secretariat_user, period, question, lead_unit, until, code_words
):
    response = client_for(secretariat_user).post(
        URL, {"unit": lead_unit.pk, "until": until, "reason": ""}
    )
    assert response.status_code == 200
    errors = response.context["form"].non_field_errors()
    assert len(errors) == 1 and code_words in errors[0]
    assert code_words in response.content.decode()
    assert not Extension.objects.exists()
    assert not AuditEvent.objects.filter(action="extension.grant").exists()


def test_locked_period_refuses_extensions(
    client_for, secretariat_user, period, question, lead_unit
):
    period.status = period.Status.LOCKED
    period.save(update_fields=["status"])
    response = client_for(secretariat_user).post(
        URL, {"unit": lead_unit.pk, "until": "2026-04-03", "reason": ""}
    )
    assert response.status_code == 200 and response.context["form"].non_field_errors()
    assert not Extension.objects.exists()


@pytest.mark.parametrize(
    "data",
    [
        {"unit": "__lead__", "until": "", "reason": ""},
        {"unit": "__lead__", "until": "besok", "reason": ""},
        {"unit": "abc", "until": "2026-04-03"},
        {"unit": "__outside__", "until": "2026-04-03"},  # a unit without questions this period
        {"unit": "__lead__", "until": "2026-04-03", "reason": "x" * 501},
    ],
)
def test_bad_input_is_refused_on_the_form(
    client_for, secretariat_user, period, question, lead_unit, other_unit, data
):
    swap = {"__lead__": str(lead_unit.pk), "__outside__": str(other_unit.pk)}
    data = {k: swap.get(v, v) for k, v in data.items()}
    response = client_for(secretariat_user).post(URL, data)
    assert response.status_code == 200 and response.context["form"].errors
    (message,) = response.context["messages"]
    assert message.level == message_levels.ERROR
    assert not Extension.objects.exists()


def test_an_empty_post_says_what_is_missing(client_for, secretariat_user, period, question):
    """Not the blank form again as if nothing had happened: the missing fields are marked."""
    response = client_for(secretariat_user).post(URL, {})
    assert response.status_code == 200
    form = response.context["form"]
    assert form.is_bound and set(form.errors) == {"unit", "until"}
    (message,) = response.context["messages"]
    assert message.level == message_levels.ERROR
    page = response.content.decode()
    assert "is-invalid" in page and message.message in page
    assert not Extension.objects.exists()
    assert not AuditEvent.objects.filter(action="extension.grant").exists()


def test_without_any_period_the_page_says_so(client_for, secretariat_user):
    response = client_for(secretariat_user).get(URL)
    assert response.status_code == 200 and response.context["period"] is None
    response = client_for(secretariat_user).post(URL, {"unit": "1", "until": "2026-04-03"})
    assert response.status_code == 200 and not Extension.objects.exists()


@pytest.mark.parametrize("n_units", [2, 25])
def test_query_budget(client_for, secretariat_user, period, n_units, django_assert_num_queries):
    indicator = factories.IndicatorFactory(group__period=period)
    for i in range(n_units):
        unit = factories.UnitFactory(name=f"Kecamatan {i:02}", short_name=f"K{i:02}")
        factories.AssignmentFactory(
            question=factories.QuestionFactory(indicator=indicator),
            unit=unit,
            role=Assignment.Role.LEAD,
        )
        if i % 3 == 0:
            Extension.objects.create(period=period, unit=unit, until=D(2026, 4, 2))
    client = client_for(secretariat_user)
    # 1 session, 2 user with profile (access check), 3 the periods (to find the current one),
    # 4 the period's units, 5 their extensions
    with django_assert_num_queries(5):
        response = client.get(URL)
    assert len(response.context["deadlines"]) == n_units
