"""The child process of the content check (isolation.py).

Imported first by the fork server, which configures a minimal Django here (no database, no
apps, no translations: the parent words the refusal) and loads the parsers once; each check is
then a fork of that single-threaded server running `check_in_fork`, which answers through a
pipe. `python -m opd.uploads.child KIND PATH MEMORY_MB SECONDS` runs the same check in a fresh
interpreter and prints its verdict as one JSON line (kept for looking at one file by hand).

The child limits itself before reading the file: RLIMIT_AS to MEMORY_MB (set here, not by the
parent, which is a threaded worker) and RLIMIT_CPU a little past SECONDS, so it ends by itself
even if the worker waiting for it is killed.
"""

import json
import resource
import sys
from pathlib import Path

from django.conf import settings

if not settings.configured:
    # In the fork server (or a fresh interpreter), not in a web worker, whose Django is set up.
    settings.configure(USE_I18N=False)
    # Each child of the fork server would run the parent's main script again before its task
    # (gunicorn's entry point: it imports gunicorn, 20 ms of CPU for every check), in case the
    # task were defined there; preloading "__main__" is meant to spare that but never reached
    # the server before Python 3.13 (gh-126631). The children's tasks are this module's own.
    from multiprocessing import spawn

    spawn._fixup_main_from_path = spawn._fixup_main_from_name = lambda _main: None

from opd.uploads.content import check_here  # noqa: E402 - after the settings it needs
from opd.uploads.errors import UploadRefused  # noqa: E402
from opd.uploads.isolation import TOO_COMPLEX  # noqa: E402
from opd.uploads.reading import TOO_SLOW, read_here  # noqa: E402

# Seconds of CPU beyond the parent's wall clock before the kernel stops the child.
_CPU_MARGIN = 5


def _limit_self(memory_mb: int, seconds: int) -> None:
    address_space = memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (address_space, address_space))
    cpu = seconds + _CPU_MARGIN
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu))


def _status_kb(field: str) -> int | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return None


def _near_limit(memory_mb: int) -> bool:
    """Whether the address space came within a quarter of the limit (Linux's VmPeak)."""
    peak = _status_kb("VmPeak")
    return peak is not None and peak * 1024 > memory_mb * 1024 * 1024 * 3 // 4


def verdict(kind: str, path: str, memory_mb: int, seconds: int) -> dict:
    """Limit this process, check the file, and say what was found and at what peak memory."""
    _limit_self(memory_mb, seconds)
    try:
        check_here(Path(path), kind)
        code = None
    except UploadRefused as refused:
        code = refused.code
    except MemoryError:
        code = TOO_COMPLEX
    if code is not None and _near_limit(memory_mb):
        # qpdf reports some allocations it could not make as a damaged file: near the limit,
        # the file is too complex, whatever the parser made of it.
        code = TOO_COMPLEX
    # This process's own peak (VmHWM); its rusage would also count its parent's memory.
    peak = _status_kb("VmHWM") or resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"code": code, "peak_rss_kb": peak}


def check_in_fork(conn, kind: str, path: str, memory_mb: int, seconds: int) -> None:
    """The fork server's child: the verdict through the pipe `conn`."""
    conn.send(verdict(kind, path, memory_mb, seconds))
    conn.close()


def read_in_fork(conn, kind: str, path: str, memory_mb: int, seconds: int) -> None:
    """The fork server's child for reading an accepted file's text (reading.py): what it
    says through the pipe. The programs it starts inherit the memory limit."""
    _limit_self(memory_mb, seconds)
    try:
        answer = read_here(Path(path), kind, seconds)
    except MemoryError:
        answer = {"text_layer": None, "number": "", "date": None, "via": "", "problem": TOO_SLOW}
    conn.send(answer)
    conn.close()


def main(argv: list[str]) -> int:
    kind, path, memory_mb, seconds = argv
    result = verdict(kind, path, int(memory_mb), int(seconds))
    sys.stdout.write(json.dumps(result) + "\n")
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
