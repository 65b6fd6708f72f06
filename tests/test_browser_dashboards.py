"""The Bupati on a phone: sees the gauge and the rank, and nothing on the way changes data."""

import pytest

from kla.demo import DEMO_PASSWORD, load_demo

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_bupati_sees_chart_and_rank_and_cannot_change_anything(live_server, page):
    load_demo()
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/masuk/")
    page.fill("input[name=username]", "bupati")
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.locator("form button.btn-primary").click()
    page.wait_for_url(f"{live_server.url}/pimpinan/")
    gauge = page.locator("figure svg[role=img]").first
    assert gauge.is_visible() and "1000" in gauge.get_attribute("aria-label")
    page.select_option("select[name=year]", "2026")
    page.get_by_role("button", name="Tampilkan").click()
    assert page.get_by_test_id("headline-verified").inner_text() == "591,28"
    assert page.get_by_test_id("headline-rank").inner_text() == "Pratama"
    page.screenshot(path="/tmp/bupati-phone.png", full_page=True)
    # Every page linked from here has no form that writes task-force data: only logout, the
    # language switch and the user's own password.
    links = {a.get_attribute("href") for a in page.locator("a[href^='/']").all()}
    for href in sorted(links):
        page.goto(f"{live_server.url}{href}")
        actions = [
            f.get_attribute("action") or href for f in page.locator("form[method=post]").all()
        ]
        assert all(a in ("/keluar/", "/bahasa/", "/akun/sandi/") for a in actions), (href, actions)
    # And the writing pages refuse the Bupati.
    for url in ("/opd/tinjauan/", "/sekretariat/", "/sekretariat/perpanjangan/"):
        assert page.goto(f"{live_server.url}{url}").status == 403
