"""Dashboards: numbers equal the score service, constant query budgets, the charts."""

import datetime
import re
import xml.etree.ElementTree as ET
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import translation

from indicators.models import DEFAULT_RANK_BANDS
from indicators.scoring import Band
from kla import charts
from kla.selectors import TrendYear
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
        Answer.objects.create(
            question=q,
            unit=unit,
            status=status,
            claimed_points=Decimal("5"),
            verified_points=Decimal("4") if status == "approved" else None,
        )


@pytest.mark.parametrize("n", [6, 18])
def test_secretariat_dashboard_query_budget(
    client_for, secretariat_user, period, n, django_assert_num_queries, cache_reads
):
    _build(period, n)
    client = client_for(secretariat_user)
    # 1 session, 2 user with profile, 3 periods,
    # 4-8 the score (groups with their indicators, per-unit assignments, questions, bands,
    # answers), 9 assignments for unit completion with their units, 10 answer counts per
    # unit, 11 the units' extensions (each row's deadline), 12 queue size and oldest,
    # 13-15 instrument counts, 16 questions without a lead, 17 the totals two weeks ago (on
    # track), 18 the latest year with official points (none here: where points were lost is
    # not read) (the gauge's bands come with the score); with the page cache on, a first view
    # (a miss) also reads the versions of the page's scopes (with the period's, for the points
    # at risk), of its units' scopes and of their answers' (the risk), each once for the
    # whole request;
    # 19-24 the points at risk, outside the fragment (opd/risk.py: the answering units, the
    # official result, the period's question texts and option labels, the answers with their
    # evidence and its files, last year's period; kept for the period and per unit). The
    # period's question ids come from the instrument the score keeps; with the page cache
    # off that is read again (the instrument's four queries), and so is unit completion
    # (9-10) for the count behind schedule beside the unit table (its own fragment).
    again = 0 if cache_reads(1) else 4 + 2
    with django_assert_num_queries(24 + again + cache_reads(3)):
        response = client.get(reverse("kla:secretariat-home"))
    assert response.content.decode().count('data-testid="unit-row"') == 4
    assert 'data-testid="on-track-reason"' in response.content.decode()  # the Bupati's verdict


@pytest.mark.parametrize("n", [6, 18])
def test_executive_dashboard_query_budget(
    client_for, executive_user, period, n, django_assert_num_queries, cache_reads
):
    _build(period, n)
    client = client_for(executive_user)
    # 1 session, 2 user with profile, 3 periods, 4-8 the score (the instrument's four, which
    # the page cache keeps in production, and the answers), 9 unit assignments with their
    # units, 10 unit answer counts, 11 the verified total two weeks ago (on track),
    # 12 each question's agency, 13 the listed questions' texts, 14 their answers,
    # 15 the contacts of the units behind, 16 earlier periods' last snapshots,
    # 17 this period's snapshots, 18 last year's official points (none: no question is marked
    # as having lost points last time), 19 the latest year with official points (none),
    # 20 every cluster's progress with its coordinator (the page's, not the print view's);
    # with the page cache on, a first view also reads the versions of the page's scopes, of
    # its units' scopes and of their answers', once each for the request. With it off, the
    # answering units of the listed questions are read again (10: the cache keeps them from
    # the units' completion).
    # 21-26 the points at risk, as on the secretariat's page (with the cache off, the score's
    # instrument is read again for them: four more).
    again = 0 if cache_reads(1) else 1 + 4
    with django_assert_num_queries(26 + again + cache_reads(3)):
        response = client.get(reverse("kla:executive-home"))
    html = response.content.decode()
    assert response.status_code == 200 and 'data-testid="on-track-word"' in html
    # Every question has its own indicator here: seven groups, the page lists six.
    assert html.count('data-testid="action"') == 6


@pytest.mark.parametrize("n", [6, 18])
def test_unit_detail_page_query_budget(
    client_for, executive_user, period, n, django_assert_num_queries, cache_reads
):
    _build(period, n)
    client = client_for(executive_user)
    # 1 session, 2 user with profile, 3 periods, 4 unit assignments with their units,
    # 5 unit answer counts, 6 the contacts of the units behind; with the page cache on, the
    # versions of the figures' scopes and of the units' scopes
    with django_assert_num_queries(6 + cache_reads(2)):
        response = client.get(reverse("kla:executive-units"))
    html = response.content.decode()
    # D2 has only drafts and the kecamatan nothing: behind, the window being over.
    assert response.status_code == 200 and html.count('data-testid="lagging-unit"') == 2


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
    ("total", "x"), [("0", 12.0), ("600.50", 12 + 600.5 * 0.316), ("1000", 328.0)]
)
def test_gauge_marks_the_total(total, x):
    svg = charts.rank_gauge(
        verified=Decimal(total), potential=None, bands=BANDS, target="Madya", label="t"
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


def _texts(svg) -> list[str]:
    return [t.text for t in ET.fromstring(str(svg)).iter("{http://www.w3.org/2000/svg}text")]


def _svg_check(svg) -> ET.Element:
    """Well formed, a text alternative, and no text under 12 px on a 390 px phone: the chart
    is WIDTH units wide drawn in about 340 px, so every font size at least FONT."""
    root = ET.fromstring(str(svg))
    assert root.get("role") == "img" and root.get("aria-label")
    assert root.get("viewBox").split()[2] == str(charts.WIDTH) == "340"
    sizes = [float(t.get("font-size")) for t in root.iter("{http://www.w3.org/2000/svg}text")]
    assert sizes and min(sizes) >= charts.FONT >= 12 * charts.WIDTH / 340
    return root


def test_charts_are_valid_svg_with_legible_text():
    for svg in (
        charts.rank_gauge(
            verified=Decimal("86.5"), potential=Decimal("120"), bands=BANDS, target="Nindya"
        ),
        charts.group_bars(
            groups=[{"name": "Klaster I", "max_points": 115, "claimed": 60, "verified": 40}],
            label="groups",
        ),
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
        charts.trend_columns(
            years=[],
            current_year=2027,
            current=Decimal("0"),
            target=None,
            target_points=None,
            label="kosong",
        ),
        charts.pace_line(
            points=[],
            opens=datetime.date(2026, 11, 1),
            closes=datetime.date(2027, 3, 31),
            today=datetime.date(2026, 11, 30),
            verified=Decimal("86.5"),
            target="Nindya",
            target_points=Decimal("701"),
            label="laju",
        ),
    ):
        _svg_check(svg)


def test_no_series_is_told_by_colour_alone():
    """Approved solid, waiting for review hatched, in progress dotted, not started empty; each
    named in the chart's own legend."""
    svg = str(
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
        )
    )
    fills = set(re.findall(r'fill="([^"]+)"', svg))
    assert {charts.PRIMARY, "url(#units-hatch)", "url(#units-dots)"} <= fills
    with translation.override("en"):
        texts = _texts(charts.unit_progress(rows=[], label="unit"))
    assert {"approved", "awaiting review", "in progress", "not started"} <= set(texts)


def test_the_trend_marks_this_year_in_progress_and_official_years():
    """This year's partial total is a hatched column labelled as ongoing inside the target's
    outline, apart from last year's final figure; a year the ministry scored says so."""
    with translation.override("id"):
        svg = charts.trend_columns(
            years=[
                TrendYear(2025, Decimal("588.40"), "Pratama", True),
                TrendYear(2026, Decimal("591.34"), "Pratama", False),
            ],
            current_year=2027,
            current=Decimal("86.5"),
            target="Nindya",
            target_points=Decimal("701"),
            label="tren",
        )
    texts = _texts(svg)
    assert "588,40" in texts and "591,34" in texts and "86,50" in texts  # Indonesian decimals
    assert "resmi" in texts and "berjalan" in texts and "target 701" in texts
    assert 'fill="url(#across-hatch-primary)"' in str(svg) and "polyline" not in str(svg)


def test_the_pace_chart_shows_the_way_still_needed():
    common = {
        "opens": datetime.date(2026, 11, 1),
        "closes": datetime.date(2027, 3, 31),
        "verified": Decimal("86.5"),
        "target": "Nindya",
        "target_points": Decimal("701"),
        "label": "laju",
    }
    during = str(charts.pace_line(points=[], today=datetime.date(2026, 11, 30), **common))
    after = str(charts.pace_line(points=[], today=datetime.date(2027, 4, 2), **common))
    assert during.count('stroke-dasharray="2 3"') == 2  # the way needed, and its legend
    assert after.count('stroke-dasharray="2 3"') == 1  # no way left: the legend alone


def test_the_score_cards_say_what_they_count(client_for, secretariat_user, executive_user, period):
    """'Diajukan' (submitted) used to label a total that counts drafts, and the secretariat's
    own check passed for the ministry's verification."""
    from django.urls import reverse

    for user, name in [
        (secretariat_user, "kla:secretariat-home"),
        (executive_user, "kla:executive-home"),
    ]:
        page = client_for(user).get(reverse(name)).content.decode()
        assert "Diklaim (termasuk draf)" in page and "Terverifikasi sekretariat" in page
        assert 'data-testid="internal-note"' in page
        # "Diajukan" names only the total without drafts.
        assert page.count("Diajukan") == page.count("Diajukan (tanpa draf)") == 1


def test_the_secretariat_page_without_a_period_offers_the_import(client_for, secretariat_user):
    """No period yet: the page says how to start, and shows no unit table."""
    html = client_for(secretariat_user).get(reverse("kla:secretariat-home")).content.decode()
    main = html[html.index("<main") : html.index("</main>")]
    assert reverse("kla:instrument-import") in main
    assert 'data-testid="unit-table"' not in main and "None" not in main
