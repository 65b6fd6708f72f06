"""A period is prepared, open, closed or locked; only the secretariat moves it, and importing
another year changes nobody's current work."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from indicators.models import Period, ScoreSnapshot
from indicators.selectors import period_pick, target_rank_default
from opd import services
from opd.deadlines import WindowClosed, ensure_unit_may_edit
from opd.models import Assignment, AuditEvent
from opd.services import IllegalTransition
from tests import factories

pytestmark = pytest.mark.django_db
S = Period.Status


@pytest.fixture(autouse=True)
def _february(monkeypatch):
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: datetime.date(2026, 2, 10))


@pytest.mark.parametrize(
    ("start", "to", "allowed"),
    [
        (S.PREPARED, S.OPEN, True),
        (S.PREPARED, S.CLOSED, False),
        (S.PREPARED, S.LOCKED, False),
        (S.OPEN, S.CLOSED, True),
        (S.OPEN, S.LOCKED, True),
        (S.OPEN, S.PREPARED, False),
        (S.CLOSED, S.OPEN, True),
        (S.CLOSED, S.LOCKED, True),
        (S.CLOSED, S.PREPARED, False),
        (S.LOCKED, S.OPEN, False),
        (S.LOCKED, S.CLOSED, False),
    ],
)
def test_who_moves_where(secretariat_user, start, to, allowed):
    period = factories.PeriodFactory(year=2026, status=start)
    if allowed:
        services.period_move(period=period, to=to, user=secretariat_user)
        period.refresh_from_db()
        assert period.status == to
        event = AuditEvent.objects.get(action="period.change")
        assert event.data == {"status": to, "before": start}
    else:
        with pytest.raises(IllegalTransition):
            services.period_move(period=period, to=to, user=secretariat_user)
        assert Period.objects.get(pk=period.pk).status == start


@pytest.mark.parametrize(
    ("status", "code"),
    [(S.PREPARED, "prepared"), (S.OPEN, None), (S.CLOSED, "period_closed"), (S.LOCKED, "locked")],
)
def test_only_an_open_period_takes_the_units_changes(lead_unit, status, code):
    period = factories.PeriodFactory(year=2026, status=status)
    if code is None:
        ensure_unit_may_edit(period=period, unit=lead_unit)
    else:
        with pytest.raises(WindowClosed) as error:
            ensure_unit_may_edit(period=period, unit=lead_unit)
        assert error.value.code == code


def _world(lead_unit):
    """2025 (open, the unit took part), 2026 (prepared: next year's instrument imported), and
    2024 (closed, the unit had no question)."""
    years = {}
    for year, status, with_unit in [
        (2025, S.OPEN, True),
        (2026, S.PREPARED, True),
        (2024, S.CLOSED, False),
    ]:
        period = factories.PeriodFactory(year=year, status=status)
        question = factories.QuestionFactory(indicator__group__period=period)
        unit = lead_unit if with_unit else factories.UnitFactory()
        factories.AssignmentFactory(question=question, unit=unit, role=Assignment.Role.LEAD)
        years[year] = (period, question)
    return years


def test_importing_next_year_changes_nobodys_current_work(
    lead_unit, opd_user, client_for, secretariat_user, executive_user
):
    years = _world(lead_unit)
    # The current period stays 2025 for everyone; the secretariat alone is offered 2026.
    assert period_pick()[0].year == 2025
    assert [p.year for p in period_pick(include_prepared=True)[1]] == [2026, 2025, 2024]
    workspace = client_for(opd_user).get(reverse("opd:workspace")).content.decode()
    assert years[2025][1].text in workspace and years[2026][1].text not in workspace
    dashboard = client_for(executive_user).get(reverse("kla:executive-home")).content.decode()
    assert 'value="2026"' not in dashboard
    # A unit cannot open the prepared year's answers; the secretariat can prepare them.
    q2026 = years[2026][1]
    answer_url = reverse("opd:answer", args=[q2026.pk, lead_unit.pk])
    assert client_for(opd_user).get(answer_url).status_code == 404
    assert client_for(secretariat_user).get(answer_url).status_code == 200
    # Opened by the secretariat, 2026 becomes everyone's current period.
    client = client_for(secretariat_user)
    url = reverse("kla:period-status", args=[2026])
    assert client.get(url, {"to": "open"}).status_code == 200  # asks first
    assert client.post(url, {"to": "open"}).status_code == 302
    assert period_pick()[0].year == 2026
    workspace = client_for(opd_user).get(reverse("opd:workspace")).content.decode()
    assert q2026.text in workspace


def test_units_switch_between_the_years_they_took_part_in(lead_unit, opd_user, client_for):
    years = _world(lead_unit)
    client = client_for(opd_user)
    page = client.get(reverse("opd:workspace"), {"year": 2024}).content.decode()
    # 2024 had no question for the unit: not offered, and asking for it shows the current year.
    assert 'value="2024"' not in page and years[2025][1].text in page
    services.period_move(period=years[2026][0], to=S.OPEN, user=None)
    page = client.get(reverse("opd:workspace"), {"year": 2025}).content.decode()
    assert years[2025][1].text in page and years[2026][1].text not in page
    assert 'value="2026"' in page and 'value="2025"' in page


def test_a_new_year_aims_one_rank_above_where_the_last_locked_year_ended(secretariat_user):
    last = factories.PeriodFactory(year=2025, status=S.LOCKED)
    assert target_rank_default(year=2026) == ""  # locked, but no final score recorded
    ScoreSnapshot.objects.create(
        period=last,
        reason=ScoreSnapshot.Reason.PERIOD_LOCKED,
        claimed=Decimal("650"),
        verified=Decimal("640"),
        potential=Decimal("640"),
        rank_verified="Madya",
    )
    assert target_rank_default(year=2026) == "Nindya"
    assert target_rank_default(year=2025) == ""  # only earlier years count
