"""Browser journey: each role logs in through the real form and lands on its home page."""

import pytest

from opd.models import Profile
from tests import factories

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

HOMES = {
    Profile.Role.OPD: ("/opd/", "My questions"),
    Profile.Role.SECRETARIAT: ("/sekretariat/", "Secretariat"),
    Profile.Role.EXECUTIVE: ("/pimpinan/", "Progress of the KLA evaluation"),
    Profile.Role.ADMIN: ("/sekretariat/", "Secretariat"),
}


@pytest.mark.parametrize("role", list(HOMES))
def test_each_role_logs_in_and_lands_home(role, live_server, page):
    unit = factories.UnitFactory(name="Dinas Kesehatan", short_name="Dinkes")
    factories.PeriodFactory(year=2026)
    user = factories.UserFactory(username=f"u-{role}", role=role, units=[unit])
    path, heading = HOMES[role]

    page.goto(f"{live_server.url}/masuk/")
    page.get_by_role("button", name="EN").click()
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", factories.PASSWORD)
    page.get_by_role("button", name="Log in").click()

    page.wait_for_url(f"{live_server.url}{path}")
    assert page.get_by_role("heading", level=1).inner_text() == heading
    page.get_by_role("button", name=user.first_name).click()
    page.get_by_test_id("logout").click()
    page.wait_for_url(f"{live_server.url}/masuk/")


def test_wrong_password_is_refused_with_a_message(live_server, page):
    factories.UserFactory(username="dinkes")
    page.goto(f"{live_server.url}/masuk/")
    page.fill("input[name=username]", "dinkes")
    page.fill("input[name=password]", "not-the-password")
    page.get_by_role("button", name="Masuk").click()
    assert page.locator(".alert-danger, .invalid-feedback, .errorlist").first.is_visible()
    assert page.url.endswith("/masuk/")
