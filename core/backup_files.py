"""Where a backup does its work, and finding what a killed backup left there.

A backup (kla/backup.py) writes into a work directory of its own INSIDE the directory its
archive goes to: `.kla-backup-<pid>-<random>/`, private (0700), holding the rows' dump and
the archive being written. Only the complete archive leaves it, by a rename onto its final
name (one file system, so the rename is atomic), and the directory goes whatever happens:
an error, Ctrl-C, SIGTERM. A process killed outright (kill -9, the OOM killer, a power cut)
cannot clean up: its work directory stays behind.

Each work directory holds a lock file, locked (flock) by its backup for as long as it runs;
the kernel releases the lock when the process dies, however it dies. So a directory whose
lock nobody holds, and that is older than the run looking at it, belongs to no running
backup: the next backup removes it, and `verify_evidence` reports it. Two backups running at
once never touch each other's directories. The leading dot keeps these names out of the
retention's `find -name 'kla-backup-*.tar.gz'` and out of `ls` of the archives.

Versions before this one wrote `<archive>.partial` next to the archive and their temporary
files in /tmp; a `.partial` file older than an hour is reported and removed too.
"""

import contextlib
import fcntl
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

WORK_PREFIX = ".kla-backup-"
LOCK_NAME = "lock"
# A directory just made by a backup that has not locked it yet, or an old version's partial
# archive still being written, is left alone this long.
GRACE_SECONDS = 60
LEGACY_PARTIAL_AGE = 3600
LEGACY_SUFFIXES = (".tar.gz.partial", ".tgz.partial")


@dataclass(frozen=True)
class BackupLeftover:
    """A killed backup's work directory (or an old version's partial archive)."""

    path: Path
    size: int
    age_seconds: float

    @property
    def label(self) -> str:
        return (
            f"backup leftover {self.path} ({self.size} bytes, {self.age_seconds / 3600:.1f} h "
            "old, no backup running owns it)"
        )


@contextlib.contextmanager
def backup_workdir(directory: Path) -> Iterator[Path]:
    """A new private work directory inside `directory`, locked while the caller runs and
    removed when it leaves, whatever the reason."""
    path = Path(tempfile.mkdtemp(prefix=f"{WORK_PREFIX}{os.getpid()}-", dir=directory))
    lock = None
    try:
        lock = open(path / LOCK_NAME, "w")  # noqa: SIM115 - held open until the end, below
        fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)
        if lock is not None:
            lock.close()  # releases the lock, once the directory is gone


def _size(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    total = 0
    for root, _dirs, files in os.walk(path):
        for name in files:
            with contextlib.suppress(OSError):
                total += os.lstat(os.path.join(root, name)).st_size
    return total


@contextlib.contextmanager
def _unlocked(path: Path) -> Iterator[bool]:
    """Whether no running backup holds the work directory's lock; while the caller looks
    (and removes it), this process holds the lock, so no backup can be using it."""
    try:
        lock = open(path / LOCK_NAME)  # noqa: SIM115 - closed below
    except FileNotFoundError:
        yield True  # a backup killed before it made its lock, or one not yet that far
        return
    except OSError:
        yield False
        return
    try:
        try:
            fcntl.flock(lock.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False  # a backup is running in it
            return
        yield True
    finally:
        lock.close()


def _candidates(directory: Path, now: float, before: float):
    try:
        entries = list(os.scandir(directory))
    except (FileNotFoundError, NotADirectoryError):
        return
    for entry in sorted(entries, key=lambda e: e.name):
        try:
            stat = entry.stat(follow_symlinks=False)
        except FileNotFoundError:
            continue  # removed meanwhile (its backup finished)
        age = now - stat.st_mtime
        workdir = entry.name.startswith(WORK_PREFIX) and entry.is_dir(follow_symlinks=False)
        legacy = entry.name.endswith(LEGACY_SUFFIXES) and entry.is_file(follow_symlinks=False)
        if (workdir and stat.st_mtime < before) or (legacy and age >= LEGACY_PARTIAL_AGE):
            yield Path(entry.path), age, workdir


def backup_leftovers(directory: Path, *, before: float | None = None) -> list[BackupLeftover]:
    """What killed backups left in `directory`: work directories no running backup holds,
    last changed before `before` (a time.time(); default: GRACE_SECONDS ago). Reads only."""
    now = time.time()
    before = now - GRACE_SECONDS if before is None else before
    found = []
    for path, age, workdir in _candidates(Path(directory), now, before):
        if workdir:
            with _unlocked(path) as free:
                if not free:
                    continue
        found.append(BackupLeftover(path=path, size=_size(path), age_seconds=age))
    return found


def backup_leftovers_remove(
    directory: Path, *, before: float | None = None
) -> list[BackupLeftover]:
    """Remove what killed backups left in `directory` (see backup_leftovers); what was
    removed. Each work directory is removed while this process holds its lock."""
    now = time.time()
    before = now - GRACE_SECONDS if before is None else before
    removed = []
    for path, age, workdir in _candidates(Path(directory), now, before):
        size = _size(path)
        if not workdir:
            path.unlink(missing_ok=True)
        else:
            with _unlocked(path) as free:
                if not free:
                    continue
                shutil.rmtree(path, ignore_errors=True)
        removed.append(BackupLeftover(path=path, size=size, age_seconds=age))
    return removed
