"""The content check of a document, run in a child process with a memory and a time limit.

qpdf resolves every object of a PDF, and a 20 MB file can hold three million of them: in the
web worker that took 14 s and 2.5 GB, for one of the ten uploads a unit may send at once. In a
child process the file gets KLA_CONTENT_CHECK_MEMORY_MB of address space (RLIMIT_AS, set by
the child on itself) and KLA_CONTENT_CHECK_SECONDS of wall clock (the parent kills it then);
past either, the file is refused as too complex to check, and the worker's memory is as it was.

The child is forked by a fork server (multiprocessing's "forkserver"), never by the worker: a
gunicorn gthread worker has threads (and maybe locks held by them, open database connections)
that a forked copy would inherit half-way. The server is a single-threaded interpreter started
once per worker, which loads the parsers and a minimal Django (opd/uploads/child.py) ahead;
a fork of it costs a few milliseconds, where a fresh interpreter cost 160 ms of CPU per upload
(most of a request's CPU budget under load). The child is given the path of the file already
on disk (the upload's temporary file, Django's spool or the resumable upload's bytes), never
the bytes; it answers through a pipe with the refusal's code or none, and its own peak memory.
The parent words the refusal in the uploader's language from that code. A child that ends
without a verdict (killed at the time limit, or by its memory limit inside a C library) is a
refusal as too complex, never an acceptance.
"""

import logging
import multiprocessing
import threading
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


_context = None
_context_lock = threading.Lock()


def _forkserver():
    """The fork server's context, its parsers loaded before the first fork."""
    global _context
    with _context_lock:
        if _context is None:
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload(["opd.uploads.child"])
            _context = context
        return _context


def _in_child(target: str, path: Path, kind: str, seconds: int):
    """Run child.`target` on the file in a forked child within the memory limit and `seconds`
    of wall clock: (its answer or None, seconds taken, "verdict", "timeout" or "crash")."""
    from opd.uploads import child as child_module

    memory_mb = settings.KLA_CONTENT_CHECK_MEMORY_MB
    context = _forkserver()
    receive, send = context.Pipe(duplex=False)
    started = time.monotonic()
    child = context.Process(
        target=getattr(child_module, target),
        args=(send, kind, str(Path(path).resolve()), memory_mb, seconds),
        daemon=True,
    )
    try:
        child.start()
        send.close()  # the child holds the other end: its exit ends the wait below
        answered = receive.poll(seconds)
        answer = _read(receive) if answered else None
        if not answered:
            child.kill()
        child.join()
    finally:
        send.close()
        receive.close()
    elapsed = time.monotonic() - started
    if not answered:
        return None, elapsed, "timeout"
    return answer, elapsed, ("verdict" if isinstance(answer, dict) else "crash")


def run_isolated(path: Path, kind: str) -> ChildOutcome:
    """Check the file at `path` in a child process within the configured limits."""
    verdict, elapsed, ended = _in_child(
        "check_in_fork", path, kind, settings.KLA_CONTENT_CHECK_SECONDS
    )
    if ended == "timeout":
        logger.warning("content check of a %s stopped after %.1f s", kind, elapsed)
        return ChildOutcome(TOO_COMPLEX, elapsed, 0, "timeout")
    if not isinstance(verdict, dict) or "code" not in verdict:
        logger.warning("content check of a %s ended without a verdict (%.1f s)", kind, elapsed)
        return ChildOutcome(TOO_COMPLEX, elapsed, 0, "crash")
    return ChildOutcome(verdict["code"], elapsed, verdict.get("peak_rss_kb", 0) * 1024, "verdict")


def read_isolated(path: Path, kind: str) -> dict:
    """What the accepted file at `path` says (opd.uploads.reading.read_here), read in a child
    process under the content check's memory limit and KLA_EVIDENCE_READ_SECONDS: a reading
    that takes longer, or ends without an answer, is the problem "too_slow", never an error."""
    from opd.uploads.reading import TOO_SLOW

    seconds = settings.KLA_EVIDENCE_READ_SECONDS
    answer, elapsed, ended = _in_child("read_in_fork", path, kind, seconds)
    if ended != "verdict" or "problem" not in answer:
        logger.warning("reading a %s ended without an answer (%s, %.1f s)", kind, ended, elapsed)
        return {"text_layer": None, "number": "", "date": None, "via": "", "problem": TOO_SLOW}
    return answer


def _read(receive):
    """The child's verdict, or None when it ended without one (killed inside a C library)."""
    try:
        return receive.recv()
    except (EOFError, OSError):
        return None
