"""The child process of the content check (isolation.py): `python -m opd.uploads.child KIND
PATH MEMORY_MB SECONDS` checks the file at PATH and prints its verdict as one JSON line.

It limits itself before reading the file: RLIMIT_AS to MEMORY_MB (set here, not by the parent
between fork and exec, which is unsafe in a threaded worker) and RLIMIT_CPU a little past
SECONDS, so it ends by itself even if the worker waiting for it is killed.
"""

import json
import resource
import sys
from pathlib import Path

from django.conf import settings

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


def main(argv: list[str]) -> int:
    kind, path, memory_mb, seconds = argv
    if not settings.configured:
        # No database, no apps, no translations: the parent words the refusal.
        settings.configure(USE_I18N=False)
    from opd.uploads.content import check_here
    from opd.uploads.errors import UploadRefused
    from opd.uploads.isolation import TOO_COMPLEX

    _limit_self(int(memory_mb), int(seconds))
    try:
        check_here(Path(path), kind)
        code = None
    except UploadRefused as refused:
        code = refused.code
    except MemoryError:
        code = TOO_COMPLEX
    if code is not None and _near_limit(int(memory_mb)):
        # qpdf reports some allocations it could not make as a damaged file: near the limit,
        # the file is too complex, whatever the parser made of it.
        code = TOO_COMPLEX
    # This process's own peak (VmHWM): its rusage also counts the worker's memory at the
    # moment it was spawned, before exec.
    peak = _status_kb("VmHWM") or resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    sys.stdout.write(json.dumps({"code": code, "peak_rss_kb": peak}) + "\n")
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
