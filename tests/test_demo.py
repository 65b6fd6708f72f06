"""The demo: idempotent, the Tanjung Jabung Barat story, and every listed account logs in."""

from decimal import Decimal

import pytest
from django.apps import apps
from django.urls import reverse

from indicators.models import Indicator, Period, Question
from kla.demo import DEMO_PASSWORD, load_demo
from opd.models import Answer, Unit

pytestmark = pytest.mark.django_db
HOMES = {"Staf unit": "opd:workspace", "Unit staff": "opd:workspace"}


def _row_counts():
    return {
        m.__name__: m.objects.count()
        for m in apps.get_models()
        if m._meta.app_label in ("opd", "indicators", "auth")
    }


def _answers_itself(question, unit) -> bool:
    return (question.every_kecamatan and unit.kind == Unit.Kind.KECAMATAN) or (
        question.every_desa and unit.kind == Unit.Kind.DESA
    )


def _totals(year):
    """The scoring rules written out plainly, independent of the score service."""
    claimed = verified = Decimal(0)
    for ind in Indicator.objects.filter(group__period__year=year).prefetch_related(
        "questions__answers", "questions__assignments__unit"
    ):
        c_sum = v_sum = Decimal(0)
        for q in ind.questions.all():
            answers = list(q.answers.all())
            c = sum((a.claimed_points or Decimal(0) for a in answers), Decimal(0))
            v = sum((a.verified_points for a in answers if a.status == "approved"), Decimal(0))
            if q.every_kecamatan or q.every_desa:
                # Written from the flags and the units' kind, not from the stored roles.
                n = sum(1 for a in q.assignments.all() if _answers_itself(q, a.unit))
                c, v = c / n, v / n
            c_sum, v_sum = c_sum + c, v_sum + v
        claimed += min(c_sum, ind.max_points)
        verified += min(v_sum, ind.max_points)
    return claimed, verified


def test_demo_twice_changes_nothing():
    first = load_demo()
    assert first.changed
    counts = _row_counts()
    second = load_demo()
    assert not second.changed
    assert _row_counts() == counts


def test_demo_tells_the_story():
    load_demo()
    assert Unit.objects.filter(kind="kecamatan").count() == 13
    assert Unit.objects.get(is_secretariat=True).short_name == "DP3AP2KB"
    past, current = Period.objects.get(year=2026), Period.objects.get(year=2027)
    assert past.is_locked and not current.is_locked
    for period in (past, current):
        maxima = sum(i.max_points for i in Indicator.objects.filter(group__period=period))
        assert maxima == Decimal("1000.00")
        for q in Question.objects.filter(indicator__group__period=period):
            roles = list(q.assignments.values_list("role", flat=True))
            if (
                q.every_kecamatan or q.every_desa
            ):  # each kecamatan (desa) answers; the listed agencies follow
                assert "lead" not in roles and roles.count("per_unit") >= 13, (q, roles)
            else:
                assert roles.count("lead") == 1, (q, roles)
    claimed, verified = _totals(2026)
    assert Decimal("601") <= claimed < Decimal("701"), claimed  # claimed Madya...
    assert Decimal("500") <= verified < Decimal("601"), verified  # ...verified Pratama
    statuses = set(
        Answer.objects.filter(question__indicator__group__period=current).values_list(
            "status", flat=True
        )
    )
    assert statuses == {"draft", "submitted", "revision_requested", "approved"}


def test_every_demo_account_logs_in_and_lands_home(client):
    report = load_demo()
    homes = {
        "admin": "kla:secretariat-home",
        "sekretariat": "kla:secretariat-home",
        "bupati": "kla:executive-home",
        "sekda": "kla:executive-home",
    }
    assert len(report.accounts) >= 30
    for username, _role, _unit in report.accounts:
        login = client.post(reverse("login"), {"username": username, "password": DEMO_PASSWORD})
        assert login.status_code == 302, username
        response = client.get(reverse("kla:home"))
        assert response["Location"] == reverse(homes.get(username, "opd:workspace")), username
        assert client.get(response["Location"]).status_code == 200, username
        client.logout()
