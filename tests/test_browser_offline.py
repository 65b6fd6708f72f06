"""A unit answers with no signal: the pages open from the device, what is typed and attached
waits there and is sent when the connection is back; a change made meanwhile on the server
is shown next to the device's text, never overwritten; typing reaches the server by itself.

A 390x844 phone. Chromium's offline emulation does not reach a service worker's own fetches,
nor a page's request that the worker lets through to the network, so "no connection" here
is the context offline (navigator.onLine, the page's requests) plus every request refused by
the context's routing (with Playwright's service worker network events), and the server is
asked to prove it saw no request for the pages meanwhile.
"""

import datetime
import os
import re
import time

import pytest
from django.core.signals import request_started
from django.utils import timezone
from playwright.sync_api import expect

from opd import services
from opd.models import Answer, Assignment, EvidenceRevision, Profile
from tests import factories, samples
from tests.browser import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
SCREENSHOTS = os.environ.get("KLA_SCREENSHOTS")


@pytest.fixture(autouse=True)
def _inside_window(monkeypatch):
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: datetime.date(2026, 2, 10))


@pytest.fixture
def unit_answer(live_server):
    period = factories.PeriodFactory(year=2026)
    unit = factories.UnitFactory(name="Dinas Kesehatan", short_name="Dinkes")
    question = factories.QuestionFactory(
        indicator__group__period=period,
        max_points="10.00",
        text="Apakah tersedia Perbup tentang KLA?",
    )
    factories.AssignmentFactory(question=question, unit=unit, role=Assignment.Role.LEAD)
    user = factories.UserFactory(username="dinkes", role=Profile.Role.OPD, units=[unit])
    url = f"{live_server.url}/opd/jawaban/{question.pk}/{unit.pk}/"
    return {"question": question, "unit": unit, "user": user, "url": url}


@pytest.fixture
def phone(browser):
    context = browser.new_context(
        viewport=PHONE, is_mobile=True, has_touch=True, service_workers="allow"
    )
    page = context.new_page()
    yield page
    context.close()


UNREACHABLE = {"on": False}


@pytest.fixture(autouse=True)
def server_saw():
    """The paths of the requests the server received. While the phone is offline the server
    answers none: a request that escaped the browser's emulation must not be served."""
    seen = []

    def record(sender, environ=None, **kwargs):
        seen.append(environ.get("PATH_INFO", "") if environ else "")
        if UNREACHABLE["on"]:
            raise ConnectionAbortedError("the phone is offline")

    request_started.connect(record)
    yield seen
    request_started.disconnect(record)
    UNREACHABLE["on"] = False


def _pages(paths):
    """The requests for a unit's pages among those the server saw (and refused): the page
    opened from the device if none. Other requests escape the emulation (the browser's check
    for a new worker script; a page's request the worker let through to the network); the
    server refused them, so they prove nothing either way."""
    return [p for p in paths if p == "/opd/" or re.fullmatch(r"/opd/jawaban/\d+/\d+/", p)]


def _no_network(route):
    route.abort("internetdisconnected")


def go_offline(page):
    """navigator.onLine false and the page's requests refused (the emulation), and every
    request refused at the context: the worker's own, and a page's request that the worker
    let through to the network, escape the emulation."""
    page.context.set_offline(True)
    page.context.route("**/*", _no_network)
    UNREACHABLE["on"] = True


def go_online(page):
    UNREACHABLE["on"] = False
    page.context.unroute("**/*", _no_network)
    page.context.set_offline(False)


def open_online(page, base, url):
    """Log in, open the workspace (which installs the worker), then the answer page, served
    through the worker (which keeps it)."""
    logs = []
    page.on("pageerror", lambda e: logs.append(str(e)))
    login(page, base, "dinkes")
    page.goto(f"{base}/opd/")
    _until(page, "() => navigator.serviceWorker.ready.then((r) => Boolean(r.active))", logs=logs)
    if not page.evaluate("() => navigator.serviceWorker.controller !== null"):
        page.reload()  # active but not claimed yet: the next visit is served by it anyway
    _until(page, "() => navigator.serviceWorker.controller !== null", logs=logs)
    workspace = f"{base}/opd/"
    _until(page, "url => caches.open('kla-pages').then(c => c.match(url)).then(Boolean)", workspace)
    page.goto(url)
    _until(page, "url => caches.open('kla-pages').then(c => c.match(url)).then(Boolean)", url)


def _until(page, script, arg=None, seconds=20, logs=()):
    """wait_for_function evaluates a string, which the page's policy forbids (no
    'unsafe-eval'); evaluate() does not, so poll with it."""
    for _ in range(seconds * 10):
        if page.evaluate(script, arg):
            return
        page.wait_for_timeout(100)
    raise AssertionError(f"timed out waiting for {script}: {list(logs)}")


def _log_out(page):
    """The phone's way: the menu button, the person's menu, then "Log out"."""
    toggler = page.locator(".navbar-toggler")
    if toggler.get_attribute("aria-expanded") != "true":
        toggler.click()
        # Bootstrap's collapse slides open ("collapsing") before it is "show": asked while it
        # slid, the menu looked closed and a second click closed it (a flaky run on a busy
        # machine).
        expect(page.locator("#nav-main")).to_have_class(re.compile(r"(^|\s)show(\s|$)"))
    logout = page.get_by_test_id("logout")
    if not logout.is_visible():
        page.locator("#nav-main .dropdown > button").click()
        expect(logout).to_be_visible()
    logout.click()


def _shot(page, name):
    if SCREENSHOTS:
        page.screenshot(path=os.path.join(SCREENSHOTS, f"{name}.png"), full_page=True)


def _wait(condition, seconds=30, step=0.2):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(step)
    raise AssertionError("timed out waiting")


def test_a_whole_answer_offline_is_sent_when_the_connection_is_back(
    live_server, unit_answer, phone, server_saw, tmp_path
):
    page = phone
    pdf = tmp_path / "notulen-forum-anak.pdf"
    pdf.write_bytes(samples.pdf_bytes("Notulen Forum Anak"))
    open_online(page, live_server.url, unit_answer["url"])

    go_offline(page)
    server_saw.clear()
    response = page.reload()
    # The page opened from the device: the server saw nothing of it.
    assert response is not None and response.from_service_worker
    assert not _pages(server_saw), server_saw
    expect(page.locator("textarea[name=narrative]")).to_be_visible()

    page.fill("input[name=claimed_points]", "8")
    page.fill("textarea[name=narrative]", "Perbup Nomor 12 Tahun 2025, dibahas di Forum Anak")
    area = page.get_by_test_id("upload-area")
    area.get_by_test_id("upload-form").locator("input[name=file]").set_input_files(pdf)
    area.get_by_test_id("upload-button").click()
    row = area.get_by_test_id("upload-row")
    expect(row).to_contain_text("Menunggu sambungan")
    expect(row).not_to_contain_text("%")
    pending = page.get_by_test_id("offline-pending")
    expect(pending).to_contain_text("Menunggu dikirim: 1 jawaban, 1 berkas", timeout=10_000)
    _shot(page, "offline-waiting")
    assert not Answer.objects.exists() and not EvidenceRevision.objects.exists()

    # Still offline: the workspace opens too (kept at the first visit) and says what waits;
    # back on the answer page, the text and the file are still there.
    page.goto(f"{live_server.url}/opd/")
    expect(page.get_by_test_id("offline-pending")).to_contain_text("1 jawaban, 1 berkas")
    _shot(page, "offline-workspace")
    page.goto(unit_answer["url"])
    expect(page.locator("textarea[name=narrative]")).to_have_value(
        "Perbup Nomor 12 Tahun 2025, dibahas di Forum Anak"
    )
    expect(page.get_by_test_id("upload-row")).to_contain_text(pdf.name)
    assert not _pages(server_saw), server_saw

    go_online(page)
    # The answer and the file reach the server; the page reloads itself to list the file.
    expect(page.get_by_test_id("evidence-item").filter(has_text=pdf.name)).to_be_visible(
        timeout=60_000
    )
    answer = Answer.objects.get()
    assert answer.narrative == "Perbup Nomor 12 Tahun 2025, dibahas di Forum Anak"
    assert str(answer.claimed_points) == "8.00"
    assert EvidenceRevision.objects.get().original_name == pdf.name
    expect(pending).to_be_hidden()
    expect(page.locator("textarea[name=narrative]")).to_have_value(answer.narrative)


def test_a_change_made_meanwhile_is_shown_beside_the_device_text(live_server, unit_answer, phone):
    question, unit, user = unit_answer["question"], unit_answer["unit"], unit_answer["user"]
    answer = services.answer_open(question=question, unit=unit)
    services.answer_save(answer=answer, user=user, claimed_points="5", narrative="Versi awal")
    page = phone
    open_online(page, live_server.url, unit_answer["url"])

    go_offline(page)
    page.reload()
    page.fill("textarea[name=narrative]", "Versi dari kecamatan, tanpa sinyal")
    pending = page.get_by_test_id("offline-pending")
    expect(pending).to_contain_text("1 jawaban", timeout=10_000)

    # Meanwhile a colleague saves another text on the server.
    answer.refresh_from_db()
    services.answer_save(
        answer=answer,
        user=user,
        claimed_points="6",
        narrative="Versi kolega di kantor",
        expected_version=answer.version,
    )
    go_online(page)
    blocked = page.get_by_test_id("offline-blocked")
    expect(blocked).to_be_visible(timeout=20_000)
    expect(blocked.get_by_test_id("offline-mine")).to_contain_text("Versi dari kecamatan")
    expect(blocked.get_by_test_id("offline-theirs")).to_contain_text("Versi kolega di kantor")
    _shot(page, "offline-conflict")
    answer.refresh_from_db()
    assert answer.narrative == "Versi kolega di kantor"  # nothing overwritten

    # Still there after a reload: kept until the person decides.
    page.reload()
    expect(page.get_by_test_id("offline-blocked")).to_be_visible()
    answer.refresh_from_db()
    assert answer.narrative == "Versi kolega di kantor"

    # The person sends theirs anyway: now it is saved, on the version they saw.
    page.get_by_test_id("offline-send-anyway").click()
    _wait(lambda: Answer.objects.get().narrative == "Versi dari kecamatan, tanpa sinyal")
    expect(page.get_by_test_id("offline-pending")).to_be_hidden()


def test_typing_is_saved_by_itself(live_server, unit_answer, phone):
    page = phone
    login(page, live_server.url, "dinkes")
    page.goto(unit_answer["url"])
    page.fill("textarea[name=narrative]", "Sudah ada Gugus Tugas KLA sejak 2024")
    expect(page.get_by_test_id("autosave-status")).to_contain_text(
        "Tersimpan otomatis", timeout=15_000
    )
    _shot(page, "autosaved")
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.reload()
    assert dialogs == []  # saved: no "leave this page?"
    assert Answer.objects.get().narrative == "Sudah ada Gugus Tugas KLA sejak 2024"
    expect(page.locator("textarea[name=narrative]")).to_have_value(
        "Sudah ada Gugus Tugas KLA sejak 2024"
    )
    expect(page.locator("[data-draft-notice]")).to_be_hidden()  # from the server, not the device


def test_the_page_reloads_itself_after_an_upload_without_asking_and_keeps_the_typing(
    live_server, unit_answer, phone, tmp_path
):
    """Typed, then a file sent before the autosave: the page reloads itself to list the file,
    with no "leave this page?" (a Cancel there left the list stale), and the text is saved."""
    page = phone
    pdf = tmp_path / "sk-gugus-tugas.pdf"
    pdf.write_bytes(samples.pdf_bytes("SK Gugus Tugas"))
    login(page, live_server.url, "dinkes")
    page.goto(unit_answer["url"])
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.type), d.dismiss()))
    page.fill("textarea[name=narrative]", "SK Gugus Tugas KLA 2025")
    area = page.get_by_test_id("upload-area")
    area.get_by_test_id("upload-form").locator("input[name=file]").set_input_files(pdf)
    area.get_by_test_id("upload-button").click()
    expect(page.get_by_test_id("evidence-item").filter(has_text=pdf.name)).to_be_visible(
        timeout=30_000
    )
    assert dialogs == []
    assert Answer.objects.get().narrative == "SK Gugus Tugas KLA 2025"
    expect(page.locator("textarea[name=narrative]")).to_have_value("SK Gugus Tugas KLA 2025")


def test_logging_out_with_something_waiting_asks_first_then_empties_the_device(
    live_server, unit_answer, phone
):
    question, unit, user = unit_answer["question"], unit_answer["unit"], unit_answer["user"]
    answer = services.answer_open(question=question, unit=unit)
    services.answer_save(answer=answer, user=user, claimed_points="5", narrative="Versi awal")
    page = phone
    open_online(page, live_server.url, unit_answer["url"])
    go_offline(page)
    page.reload()
    page.fill("textarea[name=narrative]", "Belum terkirim")
    expect(page.get_by_test_id("offline-pending")).to_contain_text("1 jawaban", timeout=10_000)
    answer.refresh_from_db()
    services.answer_save(
        answer=answer,
        user=user,
        claimed_points="6",
        narrative="Kolega",
        expected_version=answer.version,
    )
    go_online(page)
    expect(page.get_by_test_id("offline-blocked")).to_be_visible(timeout=20_000)

    asked = []
    page.once("dialog", lambda d: (asked.append(d.message), d.dismiss()))
    _log_out(page)
    for _ in range(100):  # Playwright delivers the dialog while it waits, not while we sleep
        if asked:
            break
        page.wait_for_timeout(100)
    assert len(asked) == 1 and "1 jawaban" in asked[0], asked
    expect(page.get_by_test_id("offline-blocked")).to_be_visible()  # stayed: nothing lost

    page.once("dialog", lambda d: d.accept())
    _log_out(page)
    page.wait_for_url("**/masuk/**")
    left = page.evaluate(
        """async () => {
            const names = await caches.keys();
            const db = await new Promise((ok) => {
              const r = indexedDB.open("kla-offline", 1);
              r.onsuccess = () => ok(r.result);
            });
            const n = await new Promise((ok) => {
              const r = db.transaction("answers").objectStore("answers").count();
              r.onsuccess = () => ok(r.result);
            });
            return { caches: names.filter((c) => c.startsWith("kla-")), answers: n };
        }"""
    )
    assert left == {"caches": [], "answers": 0}
    assert Answer.objects.get().narrative == "Kolega"


def test_an_answer_to_a_question_reworded_meanwhile_waits_for_the_persons_choice(
    live_server, unit_answer, phone
):
    question = unit_answer["question"]
    page = phone
    open_online(page, live_server.url, unit_answer["url"])
    go_offline(page)
    page.reload()
    page.fill("textarea[name=narrative]", "Ada Perbup, belum diundangkan")
    expect(page.get_by_test_id("offline-pending")).to_contain_text("1 jawaban", timeout=10_000)
    question.text = "Apakah tersedia Perbup KLA yang sudah diundangkan?"
    question.save()

    go_online(page)
    blocked = page.get_by_test_id("offline-blocked")
    expect(blocked).to_have_attribute("data-code", "question_changed", timeout=20_000)
    expect(blocked).to_contain_text("yang sudah diundangkan")  # the question as it reads now
    expect(blocked.get_by_test_id("offline-mine")).to_contain_text("belum diundangkan")
    assert not Answer.objects.exists()  # not sent blindly

    # Discarded after a confirmation: gone from the device, the page shows the server's.
    page.once("dialog", lambda d: d.accept())
    page.get_by_test_id("offline-discard").click()
    expect(page.get_by_test_id("offline-pending")).to_be_hidden(timeout=10_000)
    expect(page.locator("textarea[name=narrative]")).to_have_value("")
    assert not Answer.objects.exists()
