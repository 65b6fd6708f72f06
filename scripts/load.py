#!/usr/bin/env python
"""make load: many people at once against a production-like instance, then check nothing was lost.

What it does, bounded in count and time, on loopback only:
  1. a separate PostgreSQL database `kla_load` on the private cluster (scripts/pg.sh), migrated
     and filled: load_demo if the project has it, else the 2024 instrument from
     fixtures/instrument-2024.json; then the load's own users (OPD staff, reviewers,
     executives) and some answers already waiting for review;
  2. gunicorn with production settings (DEBUG=0, a generated SECRET_KEY, static files through
     whitenoise after collectstatic; plain HTTP on 127.0.0.1, so no SSL redirect and no
     secure-only cookies), 2 gthread workers of 4 threads (docs/deploy.md), on a free port;
  3. --users simulated people for --seconds, arriving over the first --arrive seconds (20):
     OPD staff log in, open their workspace and an answer, upload a small PDF through the
     upload form (with CSRF), save a draft and sometimes submit; reviewers open the queue and
     an answer, approve or ask for a revision; executives open the dashboards;
  4. a report: requests per second, p50/p95/p99 latency per kind, for page views, actions and
     logins apart (a login hashes a password on purpose slowly) and overall, errors (any 5xx
     or an unexpected status) and conflicts (409: someone changed the answer first, which the
     product is designed to refuse); and the target, p95 of page views at or under 300 ms;
  5. the check that nothing was lost: every upload that the server confirmed is an
     EvidenceRevision with its file present and its SHA-256 right (and verify_evidence, if the
     project has that command);
  6. stops gunicorn (its own process group, by PID), drops kla_load, stops the cluster if this
     script started it, removes its temporary directory.

Exit status is non-zero on any error. Nothing beyond the standard library and the project.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import http.client
import json
import os
import random
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = str(ROOT / ".venv" / "bin" / "python")
GUNICORN = str(ROOT / ".venv" / "bin" / "gunicorn")
DB_NAME = "kla_load"
PASSWORD = "load-Pass-" + "2026-kla"  # noqa: S105 - throwaway users of a throwaway database
REQUEST_TIMEOUT = 30
MAX_USERS = 300
MAX_SECONDS = 900

sys.path.insert(0, str(ROOT))
from tests.samples import pdf_bytes  # noqa: E402


def log(message: str) -> None:
    print(f"[load] {message}", flush=True)


# --- PostgreSQL ------------------------------------------------------------------------------


class Postgres:
    """The private cluster of scripts/pg.sh, and a database of our own on it."""

    def __init__(self):
        self.dir = os.environ.get("KLA_PG_DIR", f"/tmp/kla-pg-{os.getuid()}")  # noqa: S108
        self.port = os.environ.get("KLA_PG_PORT", "54329")
        bins = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name))
        if not bins:
            raise SystemExit("PostgreSQL is not installed (scripts/system-deps.sh test).")
        self.bin = bins[-1]
        self.started_cluster = False
        self.created_db = False

    def _as_owner(self, *args, check=True):
        cmd = [str(a) for a in args]
        if os.getuid() == 0:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        return subprocess.run(cmd, capture_output=True, text=True, check=check)

    def running(self) -> bool:
        if not (Path(self.dir) / "data" / "PG_VERSION").exists():
            return False
        status = self._as_owner(
            self.bin / "pg_ctl", "-D", f"{self.dir}/data", "status", check=False
        )
        return status.returncode == 0

    def start(self) -> str:
        was_running = self.running()
        url = subprocess.run(
            ["bash", str(ROOT / "scripts" / "pg.sh"), "start"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        self.started_cluster = not was_running
        sock = ("-h", f"{self.dir}/sock", "-p", self.port, "-U", "postgres")
        self._as_owner(self.bin / "dropdb", *sock, "--if-exists", DB_NAME)
        self._as_owner(self.bin / "createdb", *sock, "-O", "kla", DB_NAME)
        self.created_db = True
        return url.rsplit("/", 1)[0] + "/" + DB_NAME

    def stop(self) -> None:
        sock = ("-h", f"{self.dir}/sock", "-p", self.port, "-U", "postgres")
        if self.created_db:
            dropped = self._as_owner(
                self.bin / "dropdb", *sock, "--if-exists", "--force", DB_NAME, check=False
            )
            if dropped.returncode != 0:
                log(f"could not drop {DB_NAME}: {dropped.stderr.strip()}")
        if self.started_cluster:
            subprocess.run(["bash", str(ROOT / "scripts" / "pg.sh"), "stop"], check=False)


# --- The instance ----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def manage(env: dict, *args: str, capture: bool = False) -> str:
    result = subprocess.run(
        [PY, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise SystemExit(f"manage.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout if capture else ""


def django_script(env: dict, code: str, *args: str) -> str:
    prelude = "import django, sys\ndjango.setup()\n"
    result = subprocess.run(
        [PY, "-c", prelude + code, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise SystemExit(f"setup script failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


def has_command(name: str) -> bool:
    return any(
        (ROOT / app / "management" / "commands" / f"{name}.py").exists()
        for app in ("kla", "opd", "indicators")
    )


# Users of the load and answers waiting for review, on top of whatever the data holds.
SETUP = r"""
import datetime, json, random
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone
from indicators.selectors import period_current
from opd.models import Answer, Assignment, Profile, Unit

n_opd, n_rev, n_exec, password = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
rng = random.Random(2026)
today = timezone.localdate()
with transaction.atomic():
    period = period_current()
    period.status = period.Status.OPEN
    period.window_opens = min(period.window_opens, today - datetime.timedelta(days=30))
    period.window_closes = today + datetime.timedelta(days=60)
    if period.entry_date and period.entry_date < period.window_closes:
        period.entry_date = period.window_closes + datetime.timedelta(days=7)
    period.save()
    leads = (
        Assignment.objects.filter(question__indicator__group__period=period, role="lead",
                                  question__every_kecamatan=False, question__every_desa=False)
        .values_list("unit_id", "question_id", "question__max_points")
    )
    by_unit = {}
    for unit_id, question_id, max_points in leads:
        by_unit.setdefault(unit_id, []).append((question_id, str(max_points)))
    units = sorted(by_unit, key=lambda u: -len(by_unit[u]))
    User = get_user_model()
    hashed = make_password(password)  # one hash for all: creating users stays fast
    plan = {"year": period.year, "opd": [], "reviewers": [], "executives": []}
    for i in range(n_opd):
        unit_id = units[i % len(units)]
        user = User.objects.create(username=f"load-opd-{i:03d}", password=hashed)
        user.profile.units.add(unit_id)
        plan["opd"].append({"username": user.username,
                            "answers": [[q, unit_id] for q, _m in by_unit[unit_id]]})
    for role, key, n, prefix in [(Profile.Role.SECRETARIAT, "reviewers", n_rev, "load-sek"),
                                 (Profile.Role.EXECUTIVE, "executives", n_exec, "load-exec")]:
        for i in range(n):
            user = User.objects.create(username=f"{prefix}-{i:03d}", password=hashed)
            Profile.objects.filter(user=user).update(role=role)
            plan[key].append({"username": user.username})
    # Work for the reviewers from the first second: a third of the answers (at most 150),
    # already submitted; the OPD staff find the rest editable.
    pairs = [(u, q, m) for u in units for q, m in by_unit[u]]
    waiting = rng.sample(pairs, min(150, len(pairs) // 3))
    submitter = User.objects.filter(username__startswith="load-opd").first()
    now = timezone.now()
    made = 0
    for unit_id, question_id, max_points in waiting:
        answer, created = Answer.objects.get_or_create(question_id=question_id, unit_id=unit_id)
        if created or answer.status == Answer.Status.DRAFT:
            Answer.objects.filter(pk=answer.pk).update(
                status=Answer.Status.SUBMITTED, claimed_points=max_points,
                submitted_at=now, submitted_by=submitter)
            made += 1
    plan["submitted_before"] = made
print(json.dumps(plan))
"""

# The CPU of one password check at login, as the server's hasher does it: deliberately slow,
# and paid once per session, so the per-request figure is also given without it.
HASH_CPU = r"""
import time
from django.contrib.auth.hashers import check_password, make_password
stored = make_password("a password of the load")
spent = []
for _ in range(3):
    started = time.process_time()
    check_password("a password of the load", stored)
    spent.append(time.process_time() - started)
print(min(spent))
"""

VERIFY = r"""
import hashlib, json
from django.core.files.storage import default_storage
from opd.models import EvidenceRevision

expected = json.load(open(sys.argv[1]))
problems = []
for item in expected:
    rows = list(EvidenceRevision.objects.filter(original_name=item["name"]))
    if len(rows) != 1:
        problems.append(f"{item['name']}: {len(rows)} evidence revisions (expected 1)")
        continue
    row = rows[0]
    if row.sha256 != item["sha256"]:
        problems.append(f"{item['name']}: recorded SHA-256 differs from what was uploaded")
    try:
        with default_storage.open(row.file.name, "rb") as fh:
            stored = hashlib.sha256(fh.read()).hexdigest()
    except OSError:
        problems.append(f"{item['name']}: stored file missing")
        continue
    if stored != item["sha256"]:
        problems.append(f"{item['name']}: stored file differs from what was uploaded")
total = EvidenceRevision.objects.count()
print(json.dumps({"checked": len(expected), "revisions_in_db": total, "problems": problems}))
"""


class Gunicorn:
    def __init__(self, env: dict, port: int, workdir: Path, workers: int, threads: int, app: str):
        self.log_path = workdir / "gunicorn.log"
        self.log = open(self.log_path, "wb")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            [
                GUNICORN,
                app,
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                str(workers),
                "--worker-class",
                "gthread",
                "--threads",
                str(threads),
                "--timeout",
                "60",
                "--graceful-timeout",
                "10",
                "--keep-alive",
                "5",
                "--max-requests",
                "0",
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, stopped by its PID below
        )
        self.pgid = self.proc.pid
        log(f"gunicorn started, PID {self.proc.pid}, port {port}")

    def wait_ready(self, port: int, seconds: float = 60) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(f"gunicorn exited early:\n{self.tail()}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                conn.request("GET", "/healthz")
                response = conn.getresponse()
                body = response.read()
                conn.close()
                if response.status == 200:
                    return
                log(f"healthz: {response.status} {body[:200]!r}")
            except OSError:
                pass
            time.sleep(0.3)
        raise SystemExit(f"gunicorn did not become healthy:\n{self.tail()}")

    def cpu_seconds(self) -> float:
        """CPU time of the master and its workers, live and ended (Linux /proc)."""
        tick, total = os.sysconf("SC_CLK_TCK"), 0
        for stat in Path("/proc").glob("[0-9]*/stat"):
            with contextlib.suppress(OSError, ValueError, IndexError):
                fields = stat.read_text().rsplit(")", 1)[1].split()
                if int(fields[2]) == self.pgid:  # its process group
                    total += sum(int(f) for f in fields[11:15])  # utime stime cutime cstime
        return total / tick

    def tail(self, lines: int = 40) -> str:
        self.log.flush()
        text = self.log_path.read_text(errors="replace").splitlines()
        return "\n".join(text[-lines:])

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.pgid, signal.SIGKILL)
                self.proc.wait(timeout=10)
        # Workers left behind by a master that died would still be in its process group.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.pgid, signal.SIGKILL)
        self.log.close()
        log(f"gunicorn stopped (exit {self.proc.returncode})")


# --- Measurements ----------------------------------------------------------------------------


@dataclass
class Stats:
    latencies: dict = field(default_factory=lambda: defaultdict(list))
    errors: list = field(default_factory=list)
    error_count: dict = field(default_factory=lambda: defaultdict(int))
    conflicts: dict = field(default_factory=lambda: defaultdict(int))
    uploads: list = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, kind: str, seconds: float) -> None:
        with self.lock:
            self.latencies[kind].append(seconds)

    def error(self, kind: str, detail: str) -> None:
        with self.lock:
            self.error_count[kind] += 1
            if len(self.errors) < 50:
                self.errors.append(f"{kind}: {detail}")

    def conflict(self, kind: str) -> None:
        with self.lock:
            self.conflicts[kind] += 1

    def uploaded(self, name: str, sha256: str) -> None:
        with self.lock:
            self.uploads.append({"name": name, "sha256": sha256})


def percentile(sorted_values: list[float], p: float) -> float:
    if not sorted_values:
        return 0.0
    index = min(len(sorted_values) - 1, max(0, round(p / 100 * len(sorted_values) + 0.5) - 1))
    return sorted_values[index]


# --- Simulated people ------------------------------------------------------------------------


class Unexpected(Exception):
    pass


CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
VERSION_INPUT = re.compile(r'name="version" value="(\d+)"')
ANSWER_LINK = re.compile(r'href="(/opd/jawaban/\d+/\d+/)"')
ANSWER_PATH = re.compile(r"/opd/jawaban/\d+/\d+/")
# A row of the review queue: marked when another reviewer is on it, then the answer's link.
QUEUE_ROW = re.compile(
    r'<tr data-testid="queue-row"( data-claimed="1")?>\s*<td><a href="(/opd/jawaban/\d+/\d+/)"'
)


def _input_attr(html: str, name: str, attr: str) -> str | None:
    tag = re.search(rf'<input[^>]*name="{name}"[^>]*>', html)
    if not tag:
        return None
    value = re.search(rf'\s{attr}="([^"]*)"', tag.group(0))
    return value.group(1) if value else None


class Person:
    """One browser: its own keep-alive connection and cookies."""

    def __init__(self, port: int, stats: Stats, deadline: float, rng: random.Random, think):
        self.port = port
        self.stats = stats
        self.deadline = deadline
        self.rng = rng
        self.think_mean = think
        self.cookies = {"django_language": "en"}
        self.conn = None

    # HTTP ----------------------------------------------------------------------------------

    def _connection(self):
        if self.conn is None:
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=REQUEST_TIMEOUT)
        return self.conn

    def request(self, kind, method, path, *, body=None, content_type=None, expect=(200,)):
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        headers["User-Agent"] = "kla-load/1"
        if method == "POST":
            headers["Origin"] = f"http://127.0.0.1:{self.port}"
            headers["Content-Type"] = content_type or "application/x-www-form-urlencoded"
        start = time.perf_counter()
        try:
            conn = self._connection()
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            data = response.read()
        except (OSError, http.client.HTTPException) as error:
            if self.conn is not None:
                self.conn.close()
            self.conn = None
            self.stats.record(kind, time.perf_counter() - start)
            self.stats.error(kind, f"{method} {path}: {type(error).__name__} {error}")
            raise Unexpected from None
        self.stats.record(kind, time.perf_counter() - start)
        for name, value in response.getheaders():
            if name.lower() == "set-cookie":
                pair = value.split(";", 1)[0]
                key, _sep, val = pair.partition("=")
                if val in ("", '""') or "max-age=0" in value.lower():
                    self.cookies.pop(key.strip(), None)
                else:
                    self.cookies[key.strip()] = val.strip()
        if response.getheader("Connection", "").lower() == "close":
            conn.close()
            self.conn = None
        location = response.getheader("Location") or ""
        if response.status == 409 and 409 in expect:
            self.stats.conflict(kind)
        elif response.status not in expect:
            self.stats.error(kind, f"{method} {path} -> {response.status} {location}")
            raise Unexpected
        if response.status in (301, 302, 303) and "/masuk/" in location and kind != "login":
            self.stats.error(kind, f"{method} {path} -> sent to the login page")
            raise Unexpected
        return response.status, location, data.decode("utf-8", "replace")

    def form_post(self, kind, path, fields, *, expect=(302,)):
        body = urllib.parse.urlencode(fields)
        return self.request(kind, "POST", path, body=body, expect=expect)

    def think(self):
        if self.think_mean > 0:
            time.sleep(min(self.rng.uniform(0, 2 * self.think_mean), self.left()))

    def left(self) -> float:
        return max(0.0, self.deadline - time.monotonic())

    # Journeys ------------------------------------------------------------------------------

    def login(self, username: str) -> None:
        _s, _l, html = self.request("login", "GET", "/masuk/")
        token = CSRF_INPUT.search(html).group(1)
        _s, location, _h = self.form_post(
            "login",
            "/masuk/",
            {"username": username, "password": PASSWORD, "csrfmiddlewaretoken": token},
        )
        if location.rstrip("/") not in ("", "http://127.0.0.1"):
            self.stats.error("login", f"{username}: login refused (-> {location})")
            raise Unexpected

    def run(self, username: str, step) -> None:
        try:
            self.login(username)
        except Unexpected:
            return
        except Exception as error:  # the login page was not what this script expects
            self.stats.error("login", f"{username}: {type(error).__name__}: {error}")
            return
        while self.left() > 0:
            try:
                step()
            except Unexpected:
                time.sleep(0.2)
            except Exception as error:  # a bug in this script, not in the server
                self.stats.error("script", f"{type(error).__name__}: {error}")
                time.sleep(0.2)
            self.think()
        if self.conn is not None:
            self.conn.close()


class OpdStaff(Person):
    def __init__(self, *args, plan: dict, uploads_per_visit: float, **kwargs):
        super().__init__(*args, **kwargs)
        self.plan = plan
        self.uploads_per_visit = uploads_per_visit
        self.counter = 0

    def step(self):
        self.request("workspace", "GET", "/opd/")
        self.think()
        question_id, unit_id = self.rng.choice(self.plan["answers"])
        address = f"/opd/jawaban/{question_id}/{unit_id}/"
        _s, _l, html = self.request("answer", "GET", address)
        if 'data-testid="upload-form"' in html and self.rng.random() < self.uploads_per_visit:
            html = self.upload(address, html)
        if f'action="{address}simpan/"' in html:
            self.think()
            html = self.save(address, html)
        if f'href="{address}kirim/"' in html and self.rng.random() < 0.25:
            self.think()
            _s, _l, confirm = self.request("submit_page", "GET", address + "kirim/")
            version = VERSION_INPUT.search(confirm).group(1)
            token = CSRF_INPUT.search(confirm).group(1)
            self.form_post(
                "submit", address + "kirim/", {"version": version, "csrfmiddlewaretoken": token}
            )

    def upload(self, address: str, html: str) -> str:
        self.counter += 1
        name = f"{self.plan['username']}-{self.counter:04d}-{secrets.token_hex(4)}.pdf"
        content = pdf_bytes(f"Bukti {name} {time.time()}")
        token = CSRF_INPUT.search(html).group(1)
        boundary = "----kla" + secrets.token_hex(12)
        parts = []
        for key, value in (("csrfmiddlewaretoken", token), ("title", "Laporan beban")):
            head = f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n'
            parts.append(f"{head}{value}\r\n".encode())
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
            "Content-Type: application/pdf\r\n\r\n".encode()
            + content
            + b"\r\n"
        )
        parts.append(f"--{boundary}--\r\n".encode())
        _s, location, _h = self.request(
            "upload",
            "POST",
            address + "bukti/unggah/",
            body=b"".join(parts),
            content_type=f"multipart/form-data; boundary={boundary}",
            expect=(302,),
        )
        _s, _l, page = self.request("answer", "GET", urllib.parse.urlsplit(location).path)
        if f">{name}</a>" in page:
            self.stats.uploaded(name, hashlib.sha256(content).hexdigest())
        elif f"“{name}” was stored" in page:  # not "No file was stored: ...", a refusal
            self.stats.error("upload", f"{name}: 'stored' but not listed on the answer page")
        # Otherwise the product refused the upload with a message (e.g. the answer was
        # submitted meanwhile by a colleague): not stored, not promised.
        return page

    def save(self, address: str, html: str) -> str:
        maximum = float(_input_attr(html, "claimed_points", "max") or 0)
        version = VERSION_INPUT.search(html).group(1)
        token = CSRF_INPUT.search(html).group(1)
        points = round(self.rng.uniform(0, maximum), 2)
        _s, location, page = self.form_post(
            "save",
            address + "simpan/",
            {
                "claimed_points": f"{points:.2f}",
                "version": version,
                "csrfmiddlewaretoken": token,
                "narrative": f"Narasi uji beban {self.counter}.\nData 2025 dan 2026.",
                "data_values": "2025: 87%\n2026: 91%",
            },
            expect=(302, 409),
        )
        if location:
            _s, _l, page = self.request("answer", "GET", urllib.parse.urlsplit(location).path)
        return page


class Reviewer(Person):
    """Picks an answer nobody is reviewing from the queue, claims it, decides, and goes on with
    the next answer the server claims for them after each decision, as a reviewer does."""

    def step(self):
        _s, _l, html = self.request("queue", "GET", "/opd/tinjauan/")
        free = [address for claimed, address in QUEUE_ROW.findall(html) if not claimed]
        if not free:
            self.think()
            return
        self.think()
        address = self.rng.choice(free[:15])
        token = CSRF_INPUT.search(html).group(1)
        self.form_post("claim", address + "tinjau/", {"csrfmiddlewaretoken": token})
        while address and self.left() > 0:
            address = self.review(address)

    def review(self, address: str) -> str | None:
        """Decide on the answer at `address`; the next answer to review, if the server gave one."""
        _s, _l, page = self.request("review_answer", "GET", address)
        if f'action="{address}setujui/"' not in page:
            return None  # decided by somebody in the meantime
        if f'action="{address}lepas/"' not in page:
            self.stats.conflict("claim")  # another reviewer claimed it first: leave it to them
            return None
        self.think()
        version = VERSION_INPUT.search(page).group(1)
        token = CSRF_INPUT.search(page).group(1)
        if self.rng.random() < 0.7:
            claimed = _input_attr(page, "verified_points", "value") or "0"
            fields = {"verified_points": claimed, "version": version, "csrfmiddlewaretoken": token}
            if float(claimed) == 0:
                fields["reason"] = "Tidak ada poin yang diklaim."
            _s, location, _h = self.form_post(
                "approve", address + "setujui/", fields, expect=(302, 409)
            )
        else:
            _s, location, _h = self.form_post(
                "revision",
                address + "revisi/",
                {
                    "note": "Lampirkan dokumen yang ditandatangani.",
                    "version": version,
                    "csrfmiddlewaretoken": token,
                },
                expect=(302, 409),
            )
        path = urllib.parse.urlsplit(location).path
        if path == address:
            self.stats.conflict("review")  # changed by another reviewer first: refused
            return None
        return path if ANSWER_PATH.fullmatch(path) else None


class Executive(Person):
    def __init__(self, *args, year: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.year = year

    def step(self):
        self.request("dashboard", "GET", "/pimpinan/")
        self.think()
        self.request("period_detail", "GET", f"/instrumen/{self.year}/")


# --- Main ------------------------------------------------------------------------------------


# Pages read (GET), apart from the actions that change something (POST) and from logging in,
# which is slow by design (PBKDF2) and happens once per person.
PAGE_VIEWS = {
    "workspace",
    "answer",
    "queue",
    "review_answer",
    "dashboard",
    "period_detail",
    "submit_page",
}
PAGE_VIEW_P95_TARGET_MS = 300


def report(stats: Stats, elapsed: float, users: dict) -> int:
    total = sum(len(v) for v in stats.latencies.values())
    errors = sum(stats.error_count.values())
    print()
    print(
        f"Load: {users['opd']} OPD staff, {users['reviewers']} reviewers, "
        f"{users['executives']} executives for {elapsed:.1f} s"
    )
    print(
        f"Requests: {total}  ({total / elapsed:.1f} per second)   errors: {errors}   "
        f"conflicts refused by design (409/stale): {sum(stats.conflicts.values())}"
    )
    print()
    print(
        f"{'kind':<15}{'count':>7}{'errors':>8}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'max ms':>9}"
    )
    rows = sorted(stats.latencies.items())
    groups = {
        "PAGE VIEWS": [k for k, _v in rows if k in PAGE_VIEWS],
        "ACTIONS": [k for k, _v in rows if k not in PAGE_VIEWS and k != "login"],
        "LOGIN": ["login"],
        "ALL": [k for k, _v in rows],
    }
    summary = [
        (name, [v for k in kinds for v in stats.latencies.get(k, [])], kinds)
        for name, kinds in groups.items()
    ]
    p95 = {}
    for kind, values, kinds in [*((k, v, [k]) for k, v in rows), *summary]:
        values = sorted(values)
        count_errors = sum(stats.error_count.get(k, 0) for k in kinds)
        p95[kind] = percentile(values, 95) * 1000
        print(
            f"{kind:<15}{len(values):>7}{count_errors:>8}"
            + "".join(f"{percentile(values, p) * 1000:>9.0f}" for p in (50, 95, 99))
            + f"{(values[-1] if values else 0) * 1000:>9.0f}"
        )
    if stats.conflicts:
        print("conflicts: " + ", ".join(f"{k} {v}" for k, v in sorted(stats.conflicts.items())))
    if stats.errors:
        print("\nFirst errors:")
        for line in stats.errors[:20]:
            print(f"  {line}")
    verdict = "met" if p95["PAGE VIEWS"] <= PAGE_VIEW_P95_TARGET_MS else "MISSED"
    print(
        f"\nTarget: p95 of page views at or under {PAGE_VIEW_P95_TARGET_MS} ms: {verdict} "
        f"({p95['PAGE VIEWS']:.0f} ms; logins apart: p95 {p95['LOGIN']:.0f} ms)"
    )
    return errors


def report_by_page(directory: Path, server_cpu: float) -> None:
    """The server's CPU per page (bench/cpu_wsgi.py): each request's thread CPU, summed over
    the workers; the rest of the process group's CPU was spent outside requests."""
    sums: dict[str, list[float]] = defaultdict(lambda: [0, 0.0])
    for path in directory.glob("*.json"):
        for kind, (count, seconds) in json.loads(path.read_text()).items():
            sums[kind][0] += count
            sums[kind][1] += seconds
    inside = sum(seconds for _count, seconds in sums.values())
    print("\nServer CPU by page (thread CPU from the call to the response's close):")
    print(f"{'page':36} {'count':>6} {'ms each':>8} {'s in all':>9} {'share':>6}")
    for kind, (count, seconds) in sorted(sums.items(), key=lambda item: -item[1][1]):
        print(
            f"{kind:36} {count:6d} {seconds * 1000 / count:8.1f} {seconds:9.1f} "
            f"{seconds * 100 / server_cpu:5.1f}%"
        )
    print(
        f"{'inside requests':36} {'':6} {'':8} {inside:9.1f} {inside * 100 / server_cpu:5.1f}%\n"
        f"{'outside (gunicorn, upload checks)':36} {'':6} {'':8} {server_cpu - inside:9.1f} "
        f"{(server_cpu - inside) * 100 / server_cpu:5.1f}%"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--think", type=float, default=0.5, help="mean pause between clicks (s)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4, help="threads per gthread worker")
    parser.add_argument(
        "--uploads", type=float, default=0.5, help="share of answer visits that upload"
    )
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument(
        "--arrive", type=float, default=20, help="seconds over which people arrive and log in"
    )
    parser.add_argument(
        "--by-page",
        action="store_true",
        help="serve bench/cpu_wsgi.py and report the server's CPU per page",
    )
    args = parser.parse_args()
    if not 1 <= args.users <= MAX_USERS:
        parser.error(f"--users must be between 1 and {MAX_USERS}")
    if not 1 <= args.seconds <= MAX_SECONDS:
        parser.error(f"--seconds must be between 1 and {MAX_SECONDS}")

    n_rev = max(1, round(args.users * 0.2)) if args.users >= 3 else min(1, args.users - 1)
    n_exec = max(1, round(args.users * 0.1)) if args.users >= 3 else 0
    n_opd = max(1, args.users - n_rev - n_exec)

    workdir = Path(tempfile.mkdtemp(prefix="kla-load-"))
    pg = Postgres()
    server = None
    failures = 0
    try:
        database_url = pg.start()
        log(f"database {DB_NAME} created on the private cluster")
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("DJANGO_", "DATABASE_URL", "SECRET_KEY", "DEBUG"))
        }
        env.update(
            DJANGO_SETTINGS_MODULE="kla.settings",
            DEBUG="0",
            SECRET_KEY=secrets.token_urlsafe(64),
            ALLOWED_HOSTS="127.0.0.1",
            KLA_BASE_URL="http://127.0.0.1",
            SECURE_SSL_REDIRECT="0",
            SECURE_COOKIES="0",
            DATABASE_URL=database_url,
            MEDIA_ROOT=str(workdir / "evidence"),
            KLA_VAR_DIR=str(workdir / "var"),
            EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend",
            LOG_LEVEL="WARNING",
            AXES_FAILURE_LIMIT="1000",
        )
        manage(env, "migrate", "--no-input", "-v0")
        manage(env, "collectstatic", "--no-input", "-v0")
        if has_command("load_demo"):
            log("loading the demo district (load_demo)")
            manage(env, "load_demo")
        else:
            year = time.localtime().tm_year
            log(f"importing fixtures/instrument-2024.json into period {year}")
            manage(env, "import_instrument", "fixtures/instrument-2024.json", "--period", str(year))
        plan = json.loads(
            django_script(env, SETUP, str(n_opd), str(n_rev), str(n_exec), PASSWORD)
            .strip()
            .splitlines()[-1]
        )
        log(
            f"{n_opd} OPD staff, {n_rev} reviewers, {n_exec} executives; "
            f"{plan['submitted_before']} answers waiting for review at the start"
        )

        app = "kla.wsgi:application"
        if args.by_page:
            app = "bench.cpu_wsgi:application"
            env["KLA_CPU_BY_PAGE_DIR"] = str(workdir / "cpu")
            (workdir / "cpu").mkdir()
        port = free_port()
        server = Gunicorn(env, port, workdir, args.workers, args.threads, app)
        server.wait_ready(port)

        stats = Stats()
        cpu_before = server.cpu_seconds(), time.process_time(), os.getloadavg()[0]
        start = time.monotonic()
        deadline = start + args.seconds
        rng = random.Random(args.seed)
        people = []

        def common():
            return (port, stats, deadline, random.Random(rng.random()), args.think)

        for entry in plan["opd"]:
            person = OpdStaff(*common(), plan=entry, uploads_per_visit=args.uploads)
            people.append((person, entry["username"]))
        for entry in plan["reviewers"]:
            people.append((Reviewer(*common()), entry["username"]))
        for entry in plan["executives"]:
            people.append((Executive(*common(), year=plan["year"]), entry["username"]))
        threads = []
        # People arrive over the first --arrive seconds, in an order that mixes the roles, as
        # they do on a morning of the March rush: each logs in (a deliberately slow password
        # hash), then works until the end.
        rng.shuffle(people)
        for index, (person, username) in enumerate(people):
            arrival = index * min(args.arrive, args.seconds / 2) / len(people)
            thread = threading.Thread(
                target=lambda p=person, u=username, d=arrival: (time.sleep(d), p.run(u, p.step)),
                daemon=True,
            )
            thread.start()
            threads.append(thread)
        for thread in threads:
            thread.join(timeout=max(1.0, deadline - time.monotonic()) + REQUEST_TIMEOUT + 5)
        elapsed = time.monotonic() - start
        stragglers = sum(t.is_alive() for t in threads)
        failures += report(stats, elapsed, {"opd": n_opd, "reviewers": n_rev, "executives": n_exec})
        # What the server itself spent, whatever else runs on the machine: latencies depend on
        # the cores left to it, this does not.
        served = sum(len(v) for v in stats.latencies.values()) or 1
        server_cpu = server.cpu_seconds() - cpu_before[0]
        print(
            f"gunicorn CPU: {server_cpu:.1f} s, {server_cpu * 1000 / served:.1f} ms per request; "
            f"this script's simulated browsers: {time.process_time() - cpu_before[1]:.1f} s; "
            f"load average {cpu_before[2]:.1f} before, {os.getloadavg()[0]:.1f} after "
            f"on {os.cpu_count()} cores"
        )
        # The figure is the interpreter's as much as the code's: an unoptimised build of the
        # same Python version spent about 20% more (docs/development.md).
        print(f"  Python {sys.version.split()[0]} at {Path(sys.executable).resolve()}")
        # Every simulated person logs in once in a minute; a real one once a working day, so
        # the password hashing weighs here far more than in use: the figure without it too.
        logins = len(stats.latencies.get("login", ())) // 2
        hashing = logins * float(django_script(env, HASH_CPU).strip().splitlines()[-1])
        per_request = (server_cpu - hashing) * 1000 / served
        print(
            f"  without the password hashing of {logins} logins ({hashing:.1f} s): "
            f"{per_request:.1f} ms per request; target 12 ms"
        )
        if stragglers:
            print(f"{stragglers} simulated users did not finish in time")
            failures += stragglers

        # Nothing lost: every confirmed upload is stored, listed and intact.
        expected = workdir / "uploads.json"
        expected.write_text(json.dumps(stats.uploads))
        checked = json.loads(django_script(env, VERIFY, str(expected)).strip().splitlines()[-1])
        print(
            f"\nUploads confirmed by the server: {len(stats.uploads)}; "
            f"evidence revisions in the database: {checked['revisions_in_db']}; "
            f"problems: {len(checked['problems'])}"
        )
        for problem in checked["problems"][:20]:
            print(f"  {problem}")
        failures += len(checked["problems"])
        if not stats.uploads:
            print("No upload was confirmed: the upload journey did not work.")
            failures += 1
        if has_command("verify_evidence"):
            out = subprocess.run(
                [PY, "manage.py", "verify_evidence"],
                cwd=ROOT,
                env=env,
                capture_output=True,
                text=True,
                check=False,
            )
            print(f"verify_evidence (exit {out.returncode}): {out.stdout.strip()[-500:]}")
            failures += out.returncode != 0
        server_errors = [line for line in server.tail(400).splitlines() if "Traceback" in line]
        if server_errors:
            print(
                f"\ngunicorn logged {len(server_errors)} tracebacks; last lines:\n{server.tail()}"
            )
            failures += 1
        if args.by_page:
            server.stop()  # the workers write their last sums as they exit
            server = None
            report_by_page(workdir / "cpu", server_cpu)
    finally:
        if server is not None:
            server.stop()
        pg.stop()
        shutil.rmtree(workdir, ignore_errors=True)
        log("cleaned up")
    print("\nRESULT: " + ("OK" if failures == 0 else f"FAILED ({failures} problems)"))
    return 0 if failures == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
