"""Who may download which report, the reports page and its navigation link."""

import pytest
from django.urls import reverse

from opd.models import AuditEvent

pytestmark = pytest.mark.django_db

PERSONAS = ["anonymous", "opd", "other_opd", "support", "secretariat", "executive", "admin"]
# Expected status per persona; "login" is a redirect to the login page.
MATRIX = {
    "kla:reports": ["login", 403, 403, 403, 200, 200, 200],
    "kla:report-xlsx": ["login", 403, 403, 403, 200, 200, 200],
    "kla:report-pdf": ["login", 403, 403, 403, 200, 200, 200],
    "kla:report-bundle": ["login", 403, 403, 403, 200, 403, 200],
    # The entry kit holds the units' documents, like the bundle: the secretariat's to hand on.
    "kla:report-entry-workbook": ["login", 403, 403, 403, 200, 403, 200],
    "kla:report-entry-kit": ["login", 403, 403, 403, 200, 403, 200],
}
DOWNLOADS = sorted(name for name in MATRIX if name != "kla:reports")


@pytest.mark.parametrize("name", sorted(MATRIX))
def test_permission_matrix(name, period, question, personas, client_for):
    args = [] if name == "kla:reports" else [period.year]
    url = reverse(name, args=args)
    problems = []
    for persona, expected in zip(PERSONAS, MATRIX[name], strict=True):
        response = client_for(personas[persona]).get(url)
        if response.streaming:
            b"".join(response.streaming_content)
        if expected == "login":
            ok = response.status_code == 302 and response["Location"].startswith(reverse("login"))
        else:
            ok = response.status_code == expected
        if not ok:
            problems.append(f"{persona}: expected {expected}, got {response.status_code}")
    assert not problems, "\n".join(problems)
    # Only the successful downloads are in the audit trail, one each.
    downloads = sum(1 for status in MATRIX[name] if status == 200) if name != "kla:reports" else 0
    assert AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT).count() == downloads


@pytest.mark.parametrize("name", DOWNLOADS)
def test_downloads_refuse_post(name, period, client_for, secretariat_user):
    response = client_for(secretariat_user).post(reverse(name, args=[period.year]))
    assert response.status_code == 405
    assert not AuditEvent.objects.exists()


@pytest.mark.parametrize("name", DOWNLOADS)
def test_unknown_period_is_404(name, client_for, admin_user):
    assert client_for(admin_user).get(reverse(name, args=[1999])).status_code == 404


def test_reports_page_lists_downloads_per_period(period, client_for, secretariat_user):
    response = client_for(secretariat_user).get(reverse("kla:reports"))
    html = response.content.decode()
    for name in DOWNLOADS:
        assert reverse(name, args=[period.year]) in html
    assert f'href="{reverse("kla:reports")}"' in html  # the navigation link


def test_executive_sees_no_bundle_link(period, client_for, executive_user):
    html = client_for(executive_user).get(reverse("kla:reports")).content.decode()
    assert reverse("kla:report-pdf", args=[period.year]) in html
    for name in ("kla:report-bundle", "kla:report-entry-workbook", "kla:report-entry-kit"):
        assert reverse(name, args=[period.year]) not in html
    assert f'href="{reverse("kla:reports")}"' in html


def test_opd_has_no_reports_link(client_for, opd_user):
    html = client_for(opd_user).get(reverse("opd:workspace")).content.decode()
    assert f'href="{reverse("kla:reports")}"' not in html


def test_reports_page_queries(period, client_for, secretariat_user, django_assert_num_queries):
    client = client_for(secretariat_user)
    client.get(reverse("kla:reports"))  # warm up session and profile caches
    from tests import factories

    # 1 session, 2 user with profile (role), 3 periods with their answer counts.
    with django_assert_num_queries(3) as captured:
        client.get(reverse("kla:reports"))
    factories.PeriodFactory(year=2027)
    factories.PeriodFactory(year=2028)
    with django_assert_num_queries(len(captured.captured_queries)):
        client.get(reverse("kla:reports"))
