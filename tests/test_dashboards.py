"""Dashboards: numbers equal the score service, constant query budgets, the charts."""

import xml.etree.ElementTree as ET
from decimal import Decimal

import pytest
from django.urls import reverse

from indicators.models import DEFAULT_RANK_BANDS
from indicators.scoring import Band
from kla import charts
from opd.models import Answer, Assignment
from opd.scoring import score_period
from tests import factories

pytestmark = pytest.mark.django_db


def _build(period, n):
    units = [factories.UnitFactory(name=f"Dinas {i}", short_name=f"D{i}") for i in range(3)]
    kecamatan = factories.UnitFactory(
        name="Kecamatan Betara", short_name="Kec. Betara", kind="kecamatan"
    )
    per_unit = factories.QuestionFactory(indicator__group__period=period, every_kecamatan=True)
    factories.AssignmentFactory(question=per_unit, unit=kecamatan, role=Assignment.Role.PER_UNIT)
    for i in range(n):
        q = factories.QuestionFactory(indicator__group__period=period)
        unit = units[i % 3]
        factories.AssignmentFactory(question=q, unit=unit, role=Assignment.Role.LEAD)
        status = ["approved", "submitted", "draft"][i % 3]
        Answer.objects.create(question=q, unit=unit, status=status, claimed_points=Decimal("5"),
                              verified_points=Decimal("4") if status == "approved" else None)  # fmt: skip


@pytest.mark.parametrize("n", [6, 18])
def test_secretariat_dashboard_query_budget(
    client_for, secretariat_user, period, n, django_assert_num_queries
):
    _build(period, n)
    client = client_for(secretariat_user)
    # 1 session, 2 user, 3 profile, 4 periods,
    # 5-9 the score (groups, indicators, per-unit assignments, questions with their answers,
    # bands), 10 assignments for unit completion, 11 their units, 12 answer counts per unit,
    # 13 queue size and oldest, 14-16 instrument counts, 17 questions without a lead
    # (the gauge's bands come with the score)
    with django_assert_num_queries(17):
        response = client.get(reverse("kla:secretariat-home"))
    assert response.content.decode().count('data-testid="unit-row"') == 4


@pytest.mark.parametrize("n", [6, 18])
def test_executive_dashboard_query_budget(
    client_for, executive_user, period, n, django_assert_num_queries
):
    _build(period, n)
    client = client_for(executive_user)
    # 1 session, 2 user, 3 profile, 4 periods, 5-9 the score, 10 gap leads,
    # 11 gap statuses, 12 unit assignments, 13 their units, 14 unit answer counts,
    # 15 earlier periods' last snapshots, 16 this period's snapshots
    with django_assert_num_queries(16):
        response = client.get(reverse("kla:executive-home"))
    assert response.status_code == 200


def test_dashboard_shows_the_score_service_numbers(client_for, executive_user, period):
    _build(period, 9)
    score = score_period(period=period)
    html = (
        client_for(executive_user)
        .get(reverse("kla:executive-home"), {"year": period.year})
        .content.decode()
    )
    verified = f"{score.verified:.2f}".replace(".", ",")  # Indonesian decimals
    assert verified in html and "<svg" in html and 'role="img"' in html


BANDS = [Band(n, b) for n, b in DEFAULT_RANK_BANDS]


@pytest.mark.parametrize(
    ("total", "x"), [("0", 10.0), ("600.50", 10 + 600.5 * 0.62), ("1000", 630.0)]
)
def test_gauge_marks_the_total(total, x):
    svg = charts.rank_gauge(
        verified=Decimal(total), claimed=None, bands=BANDS, target="Madya", label="t"
    )
    root = ET.fromstring(str(svg))
    ns = {"s": "http://www.w3.org/2000/svg"}
    assert root.find("s:title", ns).text == "t" and root.get("aria-label") == "t"
    marker = next(
        p for p in root.iter("{http://www.w3.org/2000/svg}polygon") if p.get("data-value")
    )
    tip = marker.get("points").split()[-1]
    assert abs(float(tip.split(",")[0]) - x) < 0.2
    fills = {r.get("fill") for r in root.iter("{http://www.w3.org/2000/svg}rect")}
    assert {"#f6d186", "#9fd8a8", "#3d5a98"} <= fills  # Pratama, Madya, KLA
    assert "style=" not in str(svg)  # CSP: presentation attributes only


def test_chart_text_is_escaped():
    svg = charts.group_bars(
        groups=[
            {
                "name": "<b>&Klaster</b>",
                "max_points": Decimal(10),
                "claimed": Decimal(5),
                "verified": Decimal(4),
            }
        ],
        label="a<b",
    )
    ET.fromstring(str(svg))  # well-formed
    assert "<b>" not in str(svg) and "&lt;b&gt;&amp;Klaster" in str(svg)


def test_trend_and_progress_charts_are_valid_svg():
    for svg in (
        charts.trend_line(
            points=[("2025", Decimal("540")), ("2026", Decimal("591.34"))], label="tren"
        ),
        charts.trend_line(points=[], label="kosong"),
        charts.unit_progress(
            rows=[
                {
                    "name": "Dinkes",
                    "assigned": 10,
                    "approved": 3,
                    "submitted": 2,
                    "in_progress": 1,
                    "not_started": 4,
                }
            ],
            label="unit",
        ),
    ):
        assert ET.fromstring(str(svg)).get("role") == "img"


def test_the_score_cards_say_what_they_count(client_for, secretariat_user, executive_user, period):
    """'Diajukan' (submitted) used to label a total that counts drafts, and the secretariat's
    own check passed for the ministry's verification."""
    from django.urls import reverse

    for user, name in [(secretariat_user, "kla:secretariat-home"),
                       (executive_user, "kla:executive-home")]:  # fmt: skip
        page = client_for(user).get(reverse(name)).content.decode()
        assert "Diklaim (termasuk draf)" in page and "Terverifikasi sekretariat" in page
        assert 'data-testid="internal-note"' in page
        # "Diajukan" names only the total without drafts.
        assert page.count("Diajukan") == page.count("Diajukan (tanpa draf)") == 1
