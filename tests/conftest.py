"""Shared fixtures: the personas of the permission matrices and a small instrument.

Personas: an OPD user (lead unit), a user of another OPD, a user of a supporting unit, a
secretariat reviewer, the Bupati (executive) and an administrator; and the cluster coordinator
(`coordinator_user`: a unit the task force's decree names over the question's group).
"""

import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass

import pytest
from django.db import connection

from opd.models import Assignment, Profile, Unit
from tests import factories

# pytest-django's live_server runs in a thread next to Playwright's event loop.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
# A service worker's own requests reach Playwright's routing only with this switch, read when
# the driver starts (tests/test_browser_offline.py refuses them to take the device offline).
os.environ.setdefault("PW_EXPERIMENTAL_SERVICE_WORKER_NETWORK_EVENTS", "1")

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def pytest_report_header(config):
    from django.conf import settings

    engine = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    lines = [f"kla: database engine = {engine}"]
    if shutil.which(CHROMIUM):
        version = (
            subprocess.run(  # noqa: S603
                [CHROMIUM, "--version"], capture_output=True, text=True, check=False
            )
            .stdout.strip()
            .splitlines()
        )
        lines.append(f"kla: browser = {version[-1] if version else CHROMIUM}")
    return lines


def pytest_collection_modifyitems(config, items):
    """`make test` must really run on PostgreSQL and in Chromium, never silently without them."""
    if os.environ.get("KLA_REQUIRE_POSTGRES") == "1":
        from django.conf import settings

        engine = settings.DATABASES["default"]["ENGINE"]
        if "postgresql" not in engine:
            raise pytest.UsageError(f"make test must run on PostgreSQL, not {engine}")
    if os.environ.get("KLA_REQUIRE_BROWSER") == "1" and not shutil.which(CHROMIUM):
        raise pytest.UsageError(f"make test needs Chromium at {CHROMIUM}")


def pytest_sessionfinish(session, exitstatus):
    """Remove the throwaway evidence and upload spool directories kla/settings_test.py made:
    in the run's main process only. Its workers inherit its directories, and one finishing
    first removed them under another's still-running tests."""
    if hasattr(session.config, "workerinput"):  # a pytest-xdist worker
        return
    from django.conf import settings

    for directory, prefix in [
        (str(settings.MEDIA_ROOT), "kla-test-media-"),
        (str(settings.FILE_UPLOAD_TEMP_DIR), "kla-test-spool-"),
        (str(settings.KLA_TUS_DIR), "kla-test-tus-"),
    ]:
        if os.path.basename(directory).startswith(prefix):
            shutil.rmtree(directory, ignore_errors=True)


def pytest_terminal_summary(terminalreporter):
    engine = connection.vendor
    browser_tests = [r for r in terminalreporter.stats.get("passed", []) if "browser" in r.keywords]
    terminalreporter.write_line(
        f"kla: ran on database '{engine}'; browser tests passed in Chromium: {len(browser_tests)}"
    )


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """On PostgreSQL, no autovacuum on the test database. Every test rolls back, so autovacuum
    only ever sees empty tables and records that they hold no rows; the planner then chooses
    plans that take tens of seconds on the rows a test holds in its open transaction (seen on
    the demo's queries). Without statistics it estimates from the tables' real size."""
    if connection.vendor == "postgresql":
        with django_db_blocker.unblock(), connection.cursor() as cursor:
            for table in connection.introspection.table_names(cursor):
                cursor.execute(
                    f'ALTER TABLE "{table}" SET (autovacuum_enabled = false, '
                    "toast.autovacuum_enabled = false)"
                )


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path):
    """Each test stores evidence (and resumable uploads) in its own directory, so file
    assertions see only its files."""
    media = tmp_path / "media"
    media.mkdir()
    settings.MEDIA_ROOT = str(media)
    settings.KLA_TUS_DIR = str(tmp_path / "tus")  # resumable uploads' pieces, beside it
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(media), "base_url": None},
        },
    }


# --- A real S3-compatible server --------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory):
    """moto's standalone S3 server on a free loopback port, started by the test run on first
    use and stopped at its end: the evidence's bucket tests speak real HTTP to a real server,
    as django-storages does to MinIO or a provider in production. Yields its address."""
    port = _free_port()
    log_path = tmp_path_factory.mktemp("moto") / "server.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(  # noqa: S603
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    deadline = time.monotonic() + 60
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"moto's S3 server did not start:\n{log_path.read_text()}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            if time.monotonic() > deadline:
                process.kill()
                raise RuntimeError("moto's S3 server did not listen within 60 s") from None
            time.sleep(0.1)
    yield f"http://127.0.0.1:{port}"
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def s3_storage_options(*, endpoint_url: str, bucket: str) -> dict:
    """The evidence storage's options as kla/settings.py sets them for EVIDENCE_STORAGE=s3,
    pointed at `endpoint_url`; one quick try per request, so an unreachable server fails
    the test at once rather than after botocore's retries."""
    from botocore.config import Config

    return {
        "bucket_name": bucket,
        "endpoint_url": endpoint_url,
        "region_name": "us-east-1",
        "access_key": "kla-test",
        "secret_key": "kla-test-secret",
        "location": "",
        "default_acl": "private",
        "file_overwrite": False,
        "querystring_auth": True,
        "querystring_expire": 60,
        "client_config": Config(
            connect_timeout=2, read_timeout=10, retries={"mode": "standard", "max_attempts": 1}
        ),
    }


@dataclass
class Bucket:
    """A bucket of the test S3 server, the evidence storage of the test that asked for it."""

    name: str
    endpoint_url: str
    client: object
    settings: object

    def objects(self) -> list[str]:
        listed = self.client.list_objects_v2(Bucket=self.name)
        return sorted(item["Key"] for item in listed.get("Contents", []))

    def body(self, key: str) -> bytes:
        return self.client.get_object(Bucket=self.name, Key=key)["Body"].read()

    def uploads_in_progress(self) -> list:
        """Multipart uploads begun and neither completed nor aborted: half-written objects."""
        return self.client.list_multipart_uploads(Bucket=self.name).get("Uploads", [])

    def point_at(self, endpoint_url: str) -> None:
        """Make the evidence storage speak to another address (a closed port: unreachable)."""
        self.settings.STORAGES = {
            **self.settings.STORAGES,
            "default": {
                "BACKEND": "storages.backends.s3.S3Storage",
                "OPTIONS": s3_storage_options(endpoint_url=endpoint_url, bucket=self.name),
            },
        }


@pytest.fixture
def s3_bucket(s3_server, settings) -> Bucket:
    """The evidence storage is a new, empty bucket on the test S3 server (EVIDENCE_STORAGE=s3
    with its settings); the upload spool stays on local disk, as in production."""
    import boto3

    name = f"kla-test-{uuid.uuid4().hex[:16]}"
    client = boto3.client(
        "s3",
        endpoint_url=s3_server,
        region_name="us-east-1",
        aws_access_key_id="kla-test",
        aws_secret_access_key="kla-test-secret",
    )
    client.create_bucket(Bucket=name)
    bucket = Bucket(name=name, endpoint_url=s3_server, client=client, settings=settings)
    bucket.point_at(s3_server)
    yield bucket
    for key in bucket.objects():
        client.delete_object(Bucket=name, Key=key)
    client.delete_bucket(Bucket=name)


def closed_port_url() -> str:
    """An address on loopback where nothing listens: a storage that cannot be reached."""
    return f"http://127.0.0.1:{_free_port()}"


@pytest.fixture(autouse=True)
def _english_outside_requests():
    """Services and commands speak the active language; tests read their messages in English.

    Pages still render in Indonesian by default: the language middleware chooses per request.
    """
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.fixture
def page_cache_on(settings):
    """The page cache as in production (settings_test turns it off: ordinary tests never
    commit, so the data version would never move)."""
    from core import page_cache

    settings.KLA_PAGE_CACHE_SECONDS = 300
    page_cache.memo.clear()
    page_cache.fragments.clear()
    yield
    page_cache.memo.clear()
    page_cache.fragments.clear()


def _commit_page_cache(using: str = "default") -> None:
    """Raise the page cache's versions as a commit would, inside a test's transaction: what the
    writes since the last commit registered to raise after it (core.page_cache.changed), and
    nothing else registered on commit (mail, files)."""
    from django.db import connections

    from core import page_cache

    conn = connections[using]
    if conn.needs_rollback or not all(b._from_testcase for b in conn.atomic_blocks):
        return  # a transaction of the code under test is still open: its commit comes later
    for entry in [e for e in conn.run_on_commit if isinstance(e[1], page_cache._Changes)]:
        conn.run_on_commit.remove(entry)
        entry[1]()


@pytest.fixture
def page_cache_committing(page_cache_on, monkeypatch):
    """The page cache on, in a test that never commits (`db`): each write raises the versions
    where it would commit outside the test's transaction, i.e. when the outermost transaction
    of the code under test ends, or at once for a write outside any (autocommit). So a test
    that writes and then asks for a page sees the page rebuilt, as in production."""
    from django.db import transaction

    from core import page_cache

    changed, atomic_exit = page_cache.changed, transaction.Atomic.__exit__

    def changed_then_committed(*items):
        changed(*items)
        _commit_page_cache()

    def exit_then_committed(self, exc_type, exc_value, traceback):
        try:
            return atomic_exit(self, exc_type, exc_value, traceback)
        finally:
            if exc_type is None:
                _commit_page_cache(self.using or "default")

    monkeypatch.setattr(page_cache, "changed", changed_then_committed)
    monkeypatch.setattr(transaction.Atomic, "__exit__", exit_then_committed)


# The tests of these files render pages: each runs twice, with the page cache off like every
# other test and on as in production ("cached"), each on a fresh cache.
PAGE_TESTS = {
    "test_access_pages.py",
    "test_answer_views.py",
    "test_dashboards.py",
    "test_executive_page.py",
    "test_review_claim_pages.py",
    "test_secretariat_pages.py",
    "test_url_matrix.py",
}


def pytest_generate_tests(metafunc):
    if (
        "_page_cache_run" in metafunc.fixturenames
        and metafunc.definition.path.name in PAGE_TESTS
        and not metafunc.definition.get_closest_marker("browser")
    ):
        metafunc.parametrize("_page_cache_run", ["uncached", "cached"], indirect=True)


@pytest.fixture(autouse=True)
def _page_cache_run(request):
    """The page tests' second run, with the page cache on."""
    if getattr(request, "param", "uncached") == "cached":
        request.getfixturevalue("page_cache_committing")
    return getattr(request, "param", "uncached")


@pytest.fixture
def cache_reads(_page_cache_run):
    """Queries a page's first view spends reading the page cache's versions, with the cache on
    (0 off): `n` when the page reads them n times. Query budgets add it, so a cached run checks
    the same budget, cache misses included."""
    return (lambda n: n) if _page_cache_run == "cached" else (lambda n: 0)


@pytest.fixture(autouse=True)
def _page_cache_in_browser_tests(request):
    """Browser journeys commit for real: they run with the page cache on, so every journey
    also checks that a change shows on the next page."""
    if request.node.get_closest_marker("browser"):
        request.getfixturevalue("page_cache_on")


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def base_url(pytestconfig):
    """What pytest-playwright's own fallback returns, as a plain function.

    Without pytest-base-url, pytest-playwright (0.10) provides `base_url` as an instance
    method of a plugin object; pytest 9 warns about every session-scoped fixture defined that
    way ("Use a @classmethod decorator below @pytest.fixture"), once per browser run. This
    override shadows it. The browser tests use live_server.url, so it is normally None.
    """
    return pytestconfig.getoption("--base-url") or pytestconfig.getini("base_url") or None


@pytest.fixture
def period(db):
    return factories.PeriodFactory(year=2026)


@pytest.fixture
def lead_unit(db):
    return factories.UnitFactory(name="Dinas Kesehatan", short_name="Dinkes")


@pytest.fixture
def support_unit(db):
    return factories.UnitFactory(name="Dinas Sosial", short_name="Dinsos")


@pytest.fixture
def other_unit(db):
    return factories.UnitFactory(name="Dinas Pendidikan", short_name="Disdik")


@pytest.fixture
def question(period, lead_unit, support_unit):
    """One question of the period, led by `lead_unit` and supported by `support_unit`."""
    q = factories.QuestionFactory(indicator__group__period=period)
    factories.AssignmentFactory(question=q, unit=lead_unit, role=Assignment.Role.LEAD)
    factories.AssignmentFactory(question=q, unit=support_unit, role=Assignment.Role.SUPPORT)
    return q


@pytest.fixture
def opd_user(lead_unit):
    return factories.UserFactory(username="opd", role=Profile.Role.OPD, units=[lead_unit])


@pytest.fixture
def support_user(support_unit):
    return factories.UserFactory(username="support", role=Profile.Role.OPD, units=[support_unit])


@pytest.fixture
def other_opd_user(other_unit):
    return factories.UserFactory(username="other", role=Profile.Role.OPD, units=[other_unit])


@pytest.fixture
def secretariat_user(db):
    unit, _ = Unit.objects.get_or_create(
        short_name="DP3AP2KB",
        defaults={"name": "Dinas P3AP2KB", "kind": Unit.Kind.DINAS, "is_secretariat": True},
    )
    return factories.UserFactory(
        username="sekretariat", role=Profile.Role.SECRETARIAT, units=[unit]
    )


@pytest.fixture
def colleague(secretariat_user):
    """A second reviewer of the secretariat, Sari."""
    return factories.UserFactory(
        username="sari",
        first_name="Sari",
        role=Profile.Role.SECRETARIAT,
        units=list(secretariat_user.profile.units.all()),
    )


@pytest.fixture
def executive_user(db):
    return factories.UserFactory(username="bupati", role=Profile.Role.EXECUTIVE)


@pytest.fixture
def admin_user(db):
    user = factories.UserFactory(username="admin", role=Profile.Role.ADMIN)
    user.is_staff = True
    user.is_superuser = True
    user.save(update_fields=["is_staff", "is_superuser"])
    return user


@pytest.fixture
def coordinator_unit(db):
    return factories.UnitFactory(name="Badan Perencanaan Pembangunan Daerah", short_name="Bappeda")


@pytest.fixture
def coordinator_user(question, coordinator_unit):
    """The cluster coordinator persona: a member of a unit the task force's decree names
    coordinator of `question`'s group (it answers nothing of it). Not in `personas`: the
    matrices that know it ask for it (tests/test_url_matrix.py)."""
    factories.cluster_coordinator(group=question.indicator.group, unit=coordinator_unit)
    return factories.UserFactory(
        username="koordinator", role=Profile.Role.OPD, units=[coordinator_unit]
    )


@pytest.fixture
def personas(opd_user, other_opd_user, support_user, secretariat_user, executive_user, admin_user):
    """Every persona by name, for permission matrices. None is the anonymous visitor."""
    return {
        "anonymous": None,
        "opd": opd_user,
        "other_opd": other_opd_user,
        "support": support_user,
        "secretariat": secretariat_user,
        "executive": executive_user,
        "admin": admin_user,
    }


@pytest.fixture
def client_for(client):
    """`client_for(user)` returns the test client logged in as that user (None: anonymous)."""

    def login(user):
        client.logout()
        if user is not None:
            client.force_login(user)
        return client

    return login
