"""The official outcome of each year: recorded, shown beside the internal figure, in the trend,
and the start of next year's target."""

from decimal import Decimal

import pytest
from django.urls import reverse

from indicators.models import OfficialResult, Period, ScoreSnapshot
from indicators.selectors import target_rank_default
from kla.selectors import TrendYear, trend_points
from opd.models import AuditEvent
from tests import factories

pytestmark = pytest.mark.django_db


def test_the_secretariat_records_the_ministrys_verdict(client_for, secretariat_user):
    period = factories.PeriodFactory(year=2025, status=Period.Status.LOCKED)
    ScoreSnapshot.objects.create(
        period=period,
        reason="period_locked",
        claimed=Decimal("721"),
        verified=Decimal("640"),
        potential=Decimal("640"),
        rank_verified="Madya",
    )
    client = client_for(secretariat_user)
    response = client.post(
        reverse("kla:period-official", args=[2025]),
        {
            "entered_on": "2025-04-10",
            "provincial_notes": "Dokumen RAD belum ditandatangani",
            "field_verification_on": "2025-05-09",
            "final_score": "588,40",
            "final_rank": "Pratama",
        },
    )
    assert response.status_code == 302
    result = OfficialResult.objects.get(period=period)  # locked: still recorded
    assert (result.final_score, result.final_rank) == (Decimal("588.40"), "Pratama")
    event = AuditEvent.objects.get(action="period.change")
    assert event.data["official"]["final_score"] == [None, "588.40"]
    page = client.get(reverse("kla:period-edit", args=[2025])).content.decode()
    box = page[page.index('data-testid="official-result"') :]
    assert "640,00" in box and "588,40" in box  # internal and official side by side
    # A rank that is not one of the bands is refused, and what was typed stays on the page.
    refused = client.post(
        reverse("kla:period-official", args=[2025]),
        {"final_rank": "Emas", "provincial_notes": "Catatan yang baru diketik"},
    )
    assert refused.status_code == 400 and "Catatan yang baru diketik" in refused.content.decode()
    assert OfficialResult.objects.get(period=period).final_rank == "Pratama"


def test_the_trend_and_next_target_follow_the_official_result():
    past = factories.PeriodFactory(year=2023, status=Period.Status.LOCKED)
    ScoreSnapshot.objects.create(
        period=past,
        reason="period_locked",
        claimed=Decimal("721"),
        verified=Decimal("700"),
        potential=Decimal("700"),
        rank_verified="Madya",
    )
    current = factories.PeriodFactory(year=2024)
    assert trend_points(period=current)["across"] == [
        TrendYear(2023, Decimal("700.00"), "Madya", official=False)
    ]
    assert target_rank_default(year=2024) == "Nindya"  # from the internal final rank
    OfficialResult.objects.create(period=past, final_score=Decimal("588.40"), final_rank="Pratama")
    assert trend_points(period=current)["across"] == [
        TrendYear(2023, Decimal("588.40"), "Pratama", official=True)
    ]
    assert target_rank_default(year=2024) == "Madya"  # one band above the official Pratama
