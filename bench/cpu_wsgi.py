"""The product's WSGI application, measuring the CPU each request costs its thread, by page.

`make load ARGS=--by-page` serves this instead of kla.wsgi so that the load's report can say
which pages the server's CPU goes to: the thread's own CPU time (time.thread_time) from the
call until the response is closed, summed per "METHOD url-name". What runs outside requests
(gunicorn's loop, the upload checks' child processes) is the rest of the process group's
figure that scripts/load.py prints beside it.

Each worker writes its sums to $KLA_CPU_BY_PAGE_DIR/<pid>.json every few seconds and when it
exits; scripts/load.py adds the workers' files up.
"""

import atexit
import json
import os
import threading
import time
from pathlib import Path

from django.urls import Resolver404, resolve

from kla.wsgi import application as _application

_DIRECTORY = Path(os.environ["KLA_CPU_BY_PAGE_DIR"])
_WRITE_EVERY_SECONDS = 2.0
_lock = threading.Lock()
_sums: dict[str, list[float]] = {}  # kind -> [requests, CPU seconds]
_written = [time.monotonic()]


def _kind(environ) -> str:
    try:
        name = resolve(environ.get("PATH_INFO", "/")).url_name or "?"
    except Resolver404:
        name = "static" if environ.get("PATH_INFO", "").startswith("/static/") else "404"
    return f"{environ.get('REQUEST_METHOD', '?')} {name}"


def _write() -> None:
    with _lock:
        data = json.dumps(_sums)
        _written[0] = time.monotonic()
    path = _DIRECTORY / f"{os.getpid()}.json"
    path.with_suffix(".tmp").write_text(data)
    path.with_suffix(".tmp").replace(path)


atexit.register(_write)


class _Measured:
    """The response's iterable, closed by the server after it sent the body: the CPU spent
    rendering a streamed body counts too."""

    def __init__(self, body, kind: str, started: float):
        self._body, self._kind, self._started = body, kind, started

    def __iter__(self):
        return iter(self._body)

    def close(self):
        try:
            if hasattr(self._body, "close"):
                self._body.close()
        finally:
            spent = time.thread_time() - self._started
            with _lock:
                entry = _sums.setdefault(self._kind, [0, 0.0])
                entry[0] += 1
                entry[1] += spent
                due = time.monotonic() - _written[0] > _WRITE_EVERY_SECONDS
            if due:
                _write()


def application(environ, start_response):
    kind = _kind(environ)
    started = time.thread_time()
    return _Measured(_application(environ, start_response), kind, started)
