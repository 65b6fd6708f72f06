"""An extension ends neither in the past nor more than MAX_EXTENSION_DAYS after the window.

The 2026 window closes on 31 March; in these tests today is 10 April and the period has no
entry date, so only the window, today and the 60-day bound decide.
"""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from core.errors import DomainError
from opd import services
from opd.deadlines import MAX_EXTENSION_DAYS
from opd.models import AuditEvent, Extension

pytestmark = pytest.mark.django_db
D = datetime.date
TODAY = D(2026, 4, 10)
CLOSES = D(2026, 3, 31)


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: TODAY)


@pytest.fixture
def open_ended(period):
    """The 2026 period without an entry date: nothing but the new bounds stops a late day."""
    period.entry_date = None
    period.save(update_fields=["entry_date"])
    return period


def test_the_bound_is_sixty_days():
    assert MAX_EXTENSION_DAYS == 60


@pytest.mark.parametrize(
    ("until", "refused"),
    [
        (TODAY - datetime.timedelta(days=1), "in_past"),  # yesterday
        (TODAY, None),
        (CLOSES + datetime.timedelta(days=60), None),  # 30 May: the last day allowed
        (CLOSES + datetime.timedelta(days=61), "too_long"),
        (D(9999, 12, 31), "too_long"),
    ],
    ids=["yesterday", "today", "deadline+60", "deadline+61", "9999-12-31"],
)
def test_extension_day_bounds(open_ended, lead_unit, secretariat_user, until, refused):
    grant = dict(period=open_ended, unit=lead_unit, until=until, reason="", user=secretariat_user)
    if refused is None:
        assert services.extension_grant(**grant).until == until
        return
    with pytest.raises(DomainError) as error:
        services.extension_grant(**grant)
    assert error.value.code == refused
    assert not Extension.objects.exists()
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.EXTENSION_GRANT).exists()


def test_refusals_say_which_day_is_allowed(open_ended, lead_unit, secretariat_user):
    with pytest.raises(DomainError) as past:
        services.extension_grant(
            period=open_ended, unit=lead_unit, until=D(2026, 4, 1), reason="", user=None
        )
    assert "10-04-2026" in past.value.message
    with pytest.raises(DomainError) as long:
        services.extension_grant(
            period=open_ended, unit=lead_unit, until=D(2026, 6, 1), reason="", user=None
        )
    assert "60" in long.value.message and "30-05-2026" in long.value.message


def test_the_page_refuses_in_indonesian(
    client_for, secretariat_user, open_ended, question, lead_unit
):
    response = client_for(secretariat_user).post(
        reverse("kla:extensions"), {"unit": lead_unit.pk, "until": "9999-12-31", "reason": ""}
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "paling lama 60 hari" in page and "30-05-2026" in page
    assert not Extension.objects.exists()
    response = client_for(secretariat_user).post(
        reverse("kla:extensions"), {"unit": lead_unit.pk, "until": "2026-04-09", "reason": ""}
    )
    assert "tidak boleh berakhir di masa lalu" in response.content.decode()
    assert not Extension.objects.exists()
