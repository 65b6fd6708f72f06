"""Period management: window and target changes are audited; locking is final for everyone."""

import datetime

import pytest
from django.urls import reverse

from core.errors import DomainError
from opd import services
from opd.models import AuditEvent

pytestmark = pytest.mark.django_db
D = datetime.date


def test_window_change_is_audited(period, secretariat_user):
    services.period_update_window(
        period=period,
        user=secretariat_user,
        window_opens=D(2026, 2, 1),
        window_closes=D(2026, 3, 31),
        entry_date=D(2026, 4, 10),
        target_rank="Nindya",
    )
    period.refresh_from_db()
    assert (period.window_opens, period.target_rank) == (D(2026, 2, 1), "Nindya")
    event = AuditEvent.objects.get(action="period.change")
    assert event.data["before"]["window_opens"] == "2026-01-15"


@pytest.mark.parametrize(
    ("opens", "closes", "entry", "target", "code"),
    [
        (D(2026, 4, 1), D(2026, 3, 31), None, "Madya", "window_order"),
        (D(2026, 1, 1), D(2026, 3, 31), D(2026, 3, 1), "Madya", "entry_date"),
        (D(2026, 1, 1), D(2026, 3, 31), None, "Platinum", "target"),
    ],
)
def test_bad_window_values_are_refused(
    period, secretariat_user, opens, closes, entry, target, code
):
    with pytest.raises(DomainError) as error:
        services.period_update_window(
            period=period,
            user=secretariat_user,
            window_opens=opens,
            window_closes=closes,
            entry_date=entry,
            target_rank=target,
        )
    assert error.value.code == code
    period.refresh_from_db()
    assert period.window_opens == D(2026, 1, 15)


def test_lock_is_final(period, secretariat_user):
    services.period_lock(period=period, user=secretariat_user)
    period.refresh_from_db()
    assert period.is_locked
    with pytest.raises(DomainError):
        services.period_lock(period=period, user=secretariat_user)
    with pytest.raises(DomainError):
        services.period_update_window(
            period=period,
            user=secretariat_user,
            window_opens=D(2026, 1, 1),
            window_closes=D(2026, 3, 31),
            entry_date=None,
            target_rank="",
        )


def test_lock_page_asks_first_then_locks(client_for, secretariat_user, period):
    client = client_for(secretariat_user)
    url = reverse("kla:period-lock", args=[period.year])
    assert "Ya, kunci" in client.get(url).content.decode()
    period.refresh_from_db()
    assert not period.is_locked  # GET only asks
    response = client.post(url)
    assert response.status_code == 302
    period.refresh_from_db()
    assert period.is_locked


def test_edit_page_keeps_input_on_error(client_for, secretariat_user, period):
    response = client_for(secretariat_user).post(
        reverse("kla:period-edit", args=[period.year]),
        {"window_opens": "2026-05-01", "window_closes": "2026-03-31", "target_rank": "Madya"},
    )
    assert response.status_code == 200
    assert "2026-05-01" in response.content.decode()
    period.refresh_from_db()
    assert period.window_opens == D(2026, 1, 15)
