"""Evidence from a phone on a bad connection: a throttled upload, cut off twice, completes.

A 390x844 phone viewport, the network throttled through the DevTools protocol and taken
offline twice in the middle of the upload. Chromium's throttling may hand the server a
piece's body in one go at its end, so the test judges resumption by the tus offsets the
server saw (every PATCH's offset and length), never by timing.
"""

import datetime
import hashlib
import re
import subprocess
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone
from playwright.sync_api import expect

from opd import tus
from opd.models import Assignment, EvidenceRevision, Profile, ResumableUpload
from opd.views import tus as views_tus
from tests import factories
from tests.browser import login
from tests.test_tus import big_pdf, hostile_pdf

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHUNK = 64 * 1024
PHONE = {"width": 390, "height": 844}
# About 1 Mbit/s up: a piece takes half a second, the whole file some seconds.
THROTTLED = {
    "offline": False,
    "latency": 150,
    "downloadThroughput": 250_000,
    "uploadThroughput": 125_000,
}
OFFLINE = {**THROTTLED, "offline": True}


@pytest.fixture(scope="module", autouse=True)
def _upload_script_built():
    """The script the page loads is built by `make install` (npm run build); built here too
    when it is missing or older than its sources, so the file can run on its own."""
    root = Path(settings.BASE_DIR)
    bundle = root / "static" / "build" / "evidence-upload.js"
    sources = list((root / "assets" / "js").glob("*.js"))
    if bundle.exists() and all(s.stat().st_mtime <= bundle.stat().st_mtime for s in sources):
        return
    assert (root / "node_modules" / ".bin" / "esbuild").exists(), "run `make install` first"
    subprocess.run(["npm", "run", "--silent", "build"], cwd=root, check=True, timeout=120)


@pytest.fixture(autouse=True)
def _inside_window(monkeypatch):
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: datetime.date(2026, 2, 10))


@pytest.fixture
def answer_page(live_server, settings):
    settings.KLA_TUS_CHUNK_BYTES = CHUNK
    period = factories.PeriodFactory(year=2026)
    unit = factories.UnitFactory(name="Dinas Kesehatan", short_name="Dinkes")
    question = factories.QuestionFactory(indicator__group__period=period)
    factories.AssignmentFactory(question=question, unit=unit, role=Assignment.Role.LEAD)
    factories.UserFactory(username="dinkes", role=Profile.Role.OPD, units=[unit])
    return f"{live_server.url}/opd/jawaban/{question.pk}/{unit.pk}/"


@pytest.fixture
def phone(browser):
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def pieces(monkeypatch):
    """What reached the server: ("PATCH", offset, declared length) of every piece and
    ("HEAD", offset) of every question where the upload stands (a resumption)."""
    seen = []
    real_append, real_head = tus.tus_append, views_tus._head

    def append(**kwargs):
        seen.append(("PATCH", kwargs["offset"], kwargs["length"]))
        return real_append(**kwargs)

    def head(request, upload, acc):
        seen.append(("HEAD", upload.offset))
        return real_head(request, upload, acc)

    monkeypatch.setattr(tus, "tus_append", append)
    monkeypatch.setattr(views_tus, "_head", head)
    return seen


def _login(page, base, url):
    login(page, base, "dinkes")
    page.goto(url)


def _wait(condition, seconds=60, step=0.1):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(step)
    raise AssertionError("timed out waiting")


def _offset() -> int:
    upload = ResumableUpload.objects.first()
    return upload.offset if upload else 0


def test_a_throttled_upload_cut_off_twice_completes_intact(
    live_server, answer_page, phone, pieces, tmp_path
):
    data = big_pdf(1024 * 1024, text="Foto kegiatan Forum Anak")
    path = tmp_path / "foto-kegiatan.pdf"
    path.write_bytes(data)
    page = phone
    _login(page, live_server.url, answer_page)
    network = page.context.new_cdp_session(page)
    network.send("Network.enable")
    network.send("Network.emulateNetworkConditions", THROTTLED)

    area = page.get_by_test_id("upload-area")
    area.get_by_test_id("upload-form").locator("input[name=file]").set_input_files(path)
    area.get_by_test_id("upload-button").click()
    row = area.get_by_test_id("upload-row")
    expect(row).to_be_visible()
    expect(area.get_by_test_id("upload-button")).to_be_disabled()  # busy, not clickable twice
    expect(row.locator("[role=status]")).to_contain_text("%", timeout=30_000)  # percent shown

    for cut in (1, 2):
        before = _wait(lambda c=cut: _offset() >= c * 4 * CHUNK and _offset())
        network.send("Network.emulateNetworkConditions", OFFLINE)
        time.sleep(2.5)
        assert _offset() < len(data), "the upload finished before the cut"
        network.send("Network.emulateNetworkConditions", THROTTLED)
        _wait(lambda b=before: _offset() > b)  # it goes on by itself

    # Stored: the page reloads and lists the file.
    expect(page.get_by_test_id("evidence-item").filter(has_text=path.name)).to_be_visible(
        timeout=60_000
    )
    revision = EvidenceRevision.objects.get()
    assert revision.sha256 == hashlib.sha256(data).hexdigest()
    assert revision.size == len(data)
    upload = ResumableUpload.objects.get()
    assert upload.outcome == "stored" and upload.revision == revision

    # What the server saw: pieces that start where the upload stood, and at most one piece
    # sent again per interruption.
    patches = [
        (offset, length) for kind, offset, *length in pieces if kind == "PATCH" for length in length
    ]
    resumed_at = [offset for kind, offset, *_rest in pieces if kind == "HEAD"]
    sent = sum(length for _offset, length in patches)
    assert len(data) <= sent <= len(data) + 2 * CHUNK, pieces
    assert upload.received <= len(data) + 2 * CHUNK
    assert patches[0][0] == 0 and all(length <= CHUNK for _offset, length in patches)
    ends = {0} | {offset + length for offset, length in patches}
    assert all(offset in ends for offset, _length in patches)  # each where one ended
    # Each cut made the client ask where the upload stood, mid-file, and go on from there.
    assert len([o for o in resumed_at if 0 < o < len(data)]) >= 2, pieces
    assert EvidenceRevision.objects.count() == 1  # nothing twice


def test_a_refused_file_says_why_and_nothing_is_stored(live_server, answer_page, phone, tmp_path):
    path = tmp_path / "laporan.pdf"
    path.write_bytes(hostile_pdf(200_000))
    page = phone
    _login(page, live_server.url, answer_page)
    area = page.get_by_test_id("upload-area")
    area.get_by_test_id("upload-form").locator("input[name=file]").set_input_files(path)
    area.get_by_test_id("upload-button").click()
    row = area.get_by_test_id("upload-row")
    expect(row).to_have_attribute("data-state", "refused", timeout=30_000)
    expect(row).to_contain_text("JavaScript")
    expect(area.get_by_test_id("upload-button")).to_be_enabled()
    assert not EvidenceRevision.objects.exists()
    # A type the page never sends: refused before any byte leaves the phone.
    exe = tmp_path / "setup.exe"
    exe.write_bytes(b"MZ" + b"\0" * 100)
    area.get_by_test_id("upload-form").locator("input[name=file]").set_input_files(exe)
    area.get_by_test_id("upload-button").click()
    expect(area.locator("[data-upload-notice]")).to_be_visible()
    assert ResumableUpload.objects.count() == 1
    assert re.search(r"\.pdf", area.locator("[data-upload-notice]").inner_text())


def test_an_upload_survives_a_closed_tab(live_server, answer_page, phone, pieces, tmp_path):
    """The tab is closed halfway; opened again, the page finds the file it kept (IndexedDB)
    and the upload's address, and goes on from where the server stands."""
    data = big_pdf(1024 * 1024, text="Notulen rapat gugus tugas")
    path = tmp_path / "notulen.pdf"
    path.write_bytes(data)
    page = phone
    _login(page, live_server.url, answer_page)
    network = page.context.new_cdp_session(page)
    network.send("Network.enable")
    network.send("Network.emulateNetworkConditions", THROTTLED)
    area = page.get_by_test_id("upload-area")
    area.get_by_test_id("upload-form").locator("input[name=file]").set_input_files(path)
    area.get_by_test_id("upload-button").click()
    _wait(lambda: _offset() >= 4 * CHUNK)
    page.close()
    halfway = _offset()
    assert 0 < halfway < len(data)

    again = phone.context.new_page()
    again.goto(answer_page)
    expect(again.get_by_test_id("evidence-item").filter(has_text=path.name)).to_be_visible(
        timeout=60_000
    )
    revision = EvidenceRevision.objects.get()
    assert revision.sha256 == hashlib.sha256(data).hexdigest()
    upload = ResumableUpload.objects.get()  # the same upload went on: no second one
    assert upload.outcome == "stored"
    assert upload.received <= len(data) + CHUNK
    assert any(kind == "HEAD" and 0 < offset < len(data) for kind, offset, *_rest in pieces)


def test_without_javascript_the_form_still_uploads(live_server, answer_page, browser, tmp_path):
    path = tmp_path / "perbup.pdf"
    path.write_bytes(big_pdf(100_000))
    context = browser.new_context(viewport=PHONE, java_script_enabled=False)
    page = context.new_page()
    _login(page, live_server.url, answer_page)
    form = page.get_by_test_id("upload-form")
    form.locator("input[name=file]").set_input_files(path)
    form.locator("button[type=submit]").click()
    expect(page.get_by_test_id("evidence-item").filter(has_text="perbup.pdf")).to_be_visible()
    assert not ResumableUpload.objects.exists()  # the classic way
    assert EvidenceRevision.objects.get().sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    context.close()


def camera_photo(width: int = 4000, height: int = 3000) -> bytes:
    """A 12-megapixel JPEG as a phone takes it: light, shade and sensor noise, a few MB."""
    import io

    from PIL import Image

    light = Image.linear_gradient("L").resize((width, height))
    scene = Image.merge(
        "RGB", (light, light.transpose(Image.Transpose.ROTATE_180), Image.new("L", light.size, 90))
    )
    noise = Image.merge("RGB", [Image.effect_noise(light.size, 60) for _ in range(3)])
    out = io.BytesIO()
    Image.blend(scene, noise, 0.3).save(out, "JPEG", quality=85)
    return out.getvalue()


def test_a_camera_photo_is_shrunk_to_about_two_megapixels_under_the_real_policy(
    live_server, answer_page, phone, tmp_path
):
    """README promises photos of about KLA_PHOTO_MAX_MEGAPIXELS (2) over a slow link. The
    compressor draws the photo from a blob: URL, which the page's Content-Security-Policy
    must allow, or the photo silently goes whole."""
    import io

    from PIL import Image

    from kla.security import CONTENT_SECURITY_POLICY

    original = camera_photo()
    assert 3_000_000 <= len(original) <= 6_000_000
    path = tmp_path / "foto-posyandu.jpg"
    path.write_bytes(original)
    page = phone
    refused = []
    page.on(
        "console",
        lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None,
    )
    login(page, live_server.url, "dinkes")
    response = page.goto(answer_page)
    # The production policy, as the middleware sends it: nothing loosened for the test.
    assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    area = page.get_by_test_id("upload-area")
    area.get_by_test_id("upload-form").locator("input[name=file]").set_input_files(path)
    area.get_by_test_id("upload-button").click()
    expect(page.get_by_test_id("evidence-item").filter(has_text=path.name)).to_be_visible(
        timeout=120_000
    )
    revision = EvidenceRevision.objects.get()
    with revision.file.open("rb") as handle:
        stored = handle.read()
    width, height = Image.open(io.BytesIO(stored)).size
    sizes = (len(stored), len(original))
    assert sizes[0] <= 0.4 * sizes[1], sizes
    assert 1.5e6 <= width * height <= 2.2e6, (width, height)
    assert refused == []
