"""The content check of a document, run in a child process with a memory and a time limit.

qpdf resolves every object of a PDF, and a 20 MB file can hold three million of them: in the
web worker that took 14 s and 2.5 GB, for one of the ten uploads a unit may send at once. In a
child process the file gets KLA_CONTENT_CHECK_MEMORY_MB of address space (RLIMIT_AS, set by
the child on itself) and KLA_CONTENT_CHECK_SECONDS of wall clock (the parent kills it then);
past either, the file is refused as too complex to check, and the worker's memory is as it was.

The child is a fresh interpreter (`python -m opd.uploads.child KIND PATH ...`), not a fork:
a gunicorn gthread worker has threads (and maybe locks held by them, open database
connections) that a forked copy would inherit half-way. It is given the path of the file
already on disk (the upload's temporary file, Django's spool or the resumable upload's
bytes), never the bytes. It configures a minimal Django (no database, no translations), runs
the same check the tests call in-process (content.check_here) and prints one JSON line: the
refusal's code or none, and its own peak memory. The parent words the refusal in the
uploader's language from that code. A child that ends without a verdict (killed at the time
limit, or by its memory limit inside a C library) is a refusal as too complex, never an
acceptance.
"""

import json
import logging
import os
import select
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

logger = logging.getLogger(__name__)

# What the child answers when its memory ran out (a MemoryError it could still report).
TOO_COMPLEX = "too_complex"


@dataclass(frozen=True)
class ChildOutcome:
    code: str | None  # the refusal's code, None if the file is accepted
    seconds: float
    peak_rss_bytes: int  # the child's peak resident memory
    ended: str  # "verdict", "timeout" or "crash"


def run_isolated(path: Path, kind: str) -> ChildOutcome:
    """Check the file at `path` in a child process within the configured limits."""
    memory_mb = settings.KLA_CONTENT_CHECK_MEMORY_MB
    seconds = settings.KLA_CONTENT_CHECK_SECONDS
    command = [
        sys.executable,
        "-m",
        "opd.uploads.child",
        kind,
        str(Path(path).resolve()),
        str(memory_mb),
        str(seconds),
    ]
    # Output goes to files, not pipes: nothing has to read while the child runs, and qpdf may
    # warn at length about a damaged file.
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.monotonic()
        child = subprocess.Popen(  # noqa: S603 - our own interpreter and module, no shell
            command,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=err,
            cwd=settings.BASE_DIR,
            env=_child_env(),
        )
        status, usage, timed_out = _wait(child, started + seconds)
        elapsed = time.monotonic() - started
        out.seek(0)
        answer = out.read(4096)
        err.seek(max(0, err.seek(0, os.SEEK_END) - 2000))
        errors = err.read().decode("utf-8", "replace")
    # Kilobytes on Linux. The rusage's peak also counts the worker's memory when the child was
    # spawned (Linux keeps it across exec): the child's own figure is preferred.
    peak = usage.ru_maxrss * 1024
    if timed_out:
        logger.warning("content check of a %s stopped after %.1f s", kind, elapsed)
        return ChildOutcome(TOO_COMPLEX, elapsed, peak, "timeout")
    try:
        verdict = json.loads(answer)
        code = verdict["code"]
    except (ValueError, KeyError, TypeError):
        logger.warning(
            "content check of a %s ended without a verdict (status %s, %.1f s, %d MB): %s",
            kind,
            status,
            elapsed,
            peak // 2**20,
            errors,
        )
        return ChildOutcome(TOO_COMPLEX, elapsed, peak, "crash")
    if isinstance(verdict.get("peak_rss_kb"), int):
        peak = verdict["peak_rss_kb"] * 1024
    return ChildOutcome(code, elapsed, peak, "verdict")


def _child_env() -> dict:
    env = dict(os.environ)
    # The child finds this checkout's packages whatever the worker's working directory.
    env["PYTHONPATH"] = os.pathsep.join(
        filter(None, [str(settings.BASE_DIR), env.get("PYTHONPATH")])
    )
    env.pop("DJANGO_SETTINGS_MODULE", None)  # the child configures its own, minimal one
    return env


def _wait(child: subprocess.Popen, deadline: float):
    """Wait for the child until `deadline`, killing it then; (status, rusage, timed_out).

    os.wait4 reaps the child with its resource usage (its peak memory, when the child could
    not tell it); the Popen object is told the exit code so it does not wait again.
    """
    timed_out = False
    pidfd = _pidfd(child.pid)
    try:
        while True:
            pid, status, usage = os.wait4(child.pid, os.WNOHANG)
            if pid:
                break
            left = deadline - time.monotonic()
            if left <= 0:
                child.send_signal(signal.SIGKILL)
                pid, status, usage = os.wait4(child.pid, 0)
                timed_out = True
                break
            if pidfd is not None:
                select.select([pidfd], [], [], left)  # readable once the child has ended
            else:
                time.sleep(min(left, 0.01))
    finally:
        if pidfd is not None:
            os.close(pidfd)
    child.returncode = os.waitstatus_to_exitcode(status)
    return child.returncode, usage, timed_out


def _pidfd(pid: int) -> int | None:
    try:
        return os.pidfd_open(pid)
    except (AttributeError, OSError):
        return None  # before Linux 5.3: the loop polls instead
