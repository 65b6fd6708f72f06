"""The audit trail page (read-only, filterable, constant queries) and the extensions page."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from opd.audit import audit_log
from opd.models import AuditEvent, Extension

pytestmark = pytest.mark.django_db


def _events(n, unit, user):
    for i in range(n):
        audit_log(
            action=AuditEvent.Action.COMMENT_ADD,
            actor=user,
            unit=unit,
            summary=f"komentar {i}",
            ip="10.1.2.3",
        )


@pytest.mark.parametrize("n", [3, 30])
def test_audit_page_query_budget(
    client_for, secretariat_user, opd_user, lead_unit, n, django_assert_num_queries
):
    _events(n, lead_unit, opd_user)
    client = client_for(secretariat_user)
    # 1 session, 2 user with profile, 3 periods and 4 units (filter choices),
    # 5 count for the paginator, 6 the page with actor, unit and answer
    with django_assert_num_queries(6):
        response = client.get(reverse("kla:audit-trail"))
    assert response.content.decode().count('data-testid="audit-row"') == n


def test_audit_filters_and_csv(client_for, secretariat_user, opd_user, lead_unit, other_unit):
    _events(2, lead_unit, opd_user)
    _events(1, other_unit, opd_user)
    client = client_for(secretariat_user)
    response = client.get(reverse("kla:audit-trail"), {"unit": other_unit.pk})
    assert response.content.decode().count('data-testid="audit-row"') == 1
    response = client.get(reverse("kla:audit-trail"), {"unit": "abc", "date_from": "kemarin"})
    assert response.status_code == 200  # bad filters: a message, never a 500
    csv = client.get(reverse("kla:audit-trail"), {"unit": lead_unit.pk, "format": "csv"})
    lines = csv.content.decode().strip().splitlines()
    assert len(lines) == 3 and "10.1.2.3" in lines[1]


def test_extension_page_grants_and_refuses(
    client_for, secretariat_user, period, question, lead_unit, monkeypatch
):
    # Granted in March: an extension may not end in the past (opd/services.py).
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: datetime.date(2026, 3, 20))
    client = client_for(secretariat_user)
    assert lead_unit.name in client.get(reverse("kla:extensions")).content.decode()
    bad = client.post(
        reverse("kla:extensions"), {"unit": lead_unit.pk, "until": "2026-03-01", "reason": ""}
    )
    assert bad.status_code == 200 and not Extension.objects.exists()
    good = client.post(
        reverse("kla:extensions"),
        {"unit": lead_unit.pk, "until": "2026-04-03", "reason": "Jaringan"},
    )
    assert good.status_code == 302
    assert Extension.objects.get().until == datetime.date(2026, 4, 3)
    assert AuditEvent.objects.filter(action="extension.grant").count() == 1
