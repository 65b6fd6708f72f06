"""The SQLite trial under light concurrency: writers queue, nobody gets a 500.

Districts start on the embedded SQLite database and some stay there. Before transactions
began IMMEDIATE, a double-clicked submit or four people commenting at once failed with HTTP
500 "database is locked" (10 of 20 requests). This runs the real stack: a SQLite file, gunicorn
with two processes of four threads, and simultaneous POSTs over HTTP.
"""

import http.client
import os
import re
import socket
import subprocess
import sys
import threading
import time
from urllib.parse import urlencode

import pytest
from django.conf import settings

PASSWORD = "sqlite-race-2026"  # noqa: S105 - a throwaway account in a throwaway database
SEED = f"""
import datetime
from django.utils import timezone
from opd import services
from opd.models import Assignment, Profile
from tests import factories
today = timezone.localdate()
period = factories.PeriodFactory(
    year=today.year, window_opens=today - datetime.timedelta(days=10),
    window_closes=today + datetime.timedelta(days=30), entry_date=None,
)
unit = factories.UnitFactory(name="Dinas Kesehatan", short_name="Dinkes")
users = [factories.UserFactory(username=f"staf{{i}}", role=Profile.Role.OPD, units=[unit])
         for i in range(4)]
for user in users:
    user.set_password("{PASSWORD}")
    user.save()
indicator = factories.IndicatorFactory(group__period=period)
for i in range(4):
    q = factories.QuestionFactory(indicator=indicator, code=str(i + 1))
    factories.AssignmentFactory(question=q, unit=unit, role=Assignment.Role.LEAD)
    answer = services.answer_open(question=q, unit=unit)
    answer = services.answer_save(
        answer=answer, user=users[0], claimed_points="0", narrative="draf"
    )
    print(f"ANSWER {{q.pk}} {{unit.pk}} {{answer.version}}")
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def sqlite_server(tmp_path_factory):
    """gunicorn on a fresh SQLite file, seeded; yields (port, answers)."""
    var = tmp_path_factory.mktemp("sqlite-trial")
    env = {
        **os.environ,
        "DEBUG": "1",
        "DJANGO_SETTINGS_MODULE": "kla.settings",
        "DATABASE_URL": f"sqlite:///{var / 'kla.sqlite3'}",
        "KLA_VAR_DIR": str(var),
        "MEDIA_ROOT": str(var / "evidence"),
        "KLA_UPLOAD_SPOOL_DIR": str(var / "spool"),
        "KLA_TUS_DIR": str(var / "tus"),
        "KLA_PAGE_CACHE_SECONDS": "0",
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
    }
    base = str(settings.BASE_DIR)
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "-v0"], cwd=base, env=env, check=True, timeout=120)
    seeded = subprocess.run(
        [*manage, "shell", "-c", SEED],
        cwd=base,
        env=env,
        check=True,
        timeout=120,
        capture_output=True,
        text=True,
    )
    answers = [
        tuple(map(int, line.split()[1:]))
        for line in seeded.stdout.splitlines()
        if line.startswith("ANSWER ")
    ]
    assert len(answers) == 4, seeded.stdout + seeded.stderr
    port = _free_port()
    server = subprocess.Popen(  # noqa: S603
        [
            sys.executable,
            "-m",
            "gunicorn",
            "kla.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
            "--threads",
            "4",
            "--worker-class",
            "gthread",
            "--log-level",
            "warning",
        ],
        cwd=base,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise RuntimeError("gunicorn did not start") from None
                time.sleep(0.2)
        yield port, answers
    finally:
        server.terminate()
        server.wait(timeout=30)


class Browser:
    """One person's cookies over plain HTTP: enough for Django's login, CSRF and messages."""

    def __init__(self, port: int):
        self.port = port
        self.cookies: dict[str, str] = {}

    def copy(self) -> "Browser":
        twin = Browser(self.port)
        twin.cookies = dict(self.cookies)
        return twin

    def request(self, method: str, path: str, form: dict | None = None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        body = None
        if form is not None:
            form = {"csrfmiddlewaretoken": self.cookies.get("csrftoken", ""), **form}
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        text = response.read().decode("utf-8", "replace")
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name] = rest.split(";", 1)[0]
        conn.close()
        return response.status, response.getheader("Location"), text

    def login(self, username: str) -> None:
        self.request("GET", "/masuk/")
        status, location, _text = self.request(
            "POST", "/masuk/", {"username": username, "password": PASSWORD}
        )
        assert status == 302, f"login failed for {username}"


def _race(calls):
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def run(i, call):
        barrier.wait(timeout=30)
        try:
            results[i] = call()
        except Exception as error:  # noqa: BLE001 - surfaced by the assertions
            results[i] = ("crashed", repr(error))

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return results


def test_four_people_commenting_at_once_all_succeed(sqlite_server):
    port, answers = sqlite_server
    people = []
    for i in range(4):
        person = Browser(port)
        person.login(f"staf{i}")
        people.append(person)
    calls = []
    for n in range(20):
        person, (question_id, unit_id, _version) = people[n % 4], answers[n % 4]
        path = f"/opd/jawaban/{question_id}/{unit_id}/komentar/"
        twin = person.copy()
        calls.append(
            lambda p=twin, path=path, n=n: p.request(
                "POST", path, {"body": f"Komentar serentak {n}"}
            )
        )
    results = _race(calls)
    statuses = [r[0] if isinstance(r[0], int) else r for r in results]
    assert statuses == [302] * 20, statuses
    # Every comment is there: page by page, each answer shows its five.
    for question_id, unit_id, _version in answers:
        _s, _l, page = people[0].request("GET", f"/opd/jawaban/{question_id}/{unit_id}/")
        assert len(re.findall(r"Komentar serentak \d+", page)) == 5


def test_a_double_clicked_submit_gets_the_version_message_not_a_500(sqlite_server):
    port, answers = sqlite_server
    person = Browser(port)
    person.login("staf0")
    question_id, unit_id, _version = answers[0]
    path = f"/opd/jawaban/{question_id}/{unit_id}/kirim/"
    # The version the confirmation page was rendered with, as both clicks send it.
    _s, _l, page = person.request("GET", path)
    version = re.search(r'name="version" value="(\d+)"', page).group(1)
    clicks = [person.copy() for _ in range(3)]
    results = _race([lambda c=c: c.request("POST", path, {"version": version}) for c in clicks])
    assert [r[0] for r in results] == [302, 302, 302], results
    # Each click's page tells its outcome, as on PostgreSQL: one was submitted, and the
    # others hear the service's state check ("already submitted"), not an error page.
    told = [c.request("GET", results[0][1])[2] for c in clicks]
    submitted = [page for page in told if "Jawaban dikirim ke sekretariat" in page]
    refused = [page for page in told if "Jawaban sudah dikirim." in page]
    assert len(submitted) == 1 and len(refused) == 2, [
        re.findall(r"alert.{0,300}", t) for t in told
    ]
