"""Check the evidence store against the database: every file there, whole, and nothing else.

For every evidence revision: the file exists, and its size and SHA-256 are the recorded ones
(read in a streaming way, 1 MB at a time). Under evidence/: files no revision records
(orphans; "temporary" when an upload never finished). Exits non-zero on any problem left.

In the upload spool (FILE_UPLOAD_TEMP_DIR, where Django writes large uploads while it reads
the request): files older than an hour, which a killed worker left behind.

Resumable uploads (KLA_TUS_DIR): uploads that expired (nobody sent a piece for a day) and
spool files no upload owns; `tus_cleanup` (cron) normally removes them first.

Backups (KLA_BACKUP_DIR, if set): work directories a killed backup left behind (the next
backup removes them; core/backup_files.py), never one a running backup holds.

--fix-orphans deletes orphans, never missing or corrupted files (those need a backup).
Temporary files go at once (deleting one mid-upload makes that upload fail cleanly); a
complete orphan younger than --min-age-minutes is kept, because it may belong to an upload
whose row is being committed right now. Stale spool files, expired uploads and backup
leftovers go too.
"""

import contextlib
import hashlib
import os
import time
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.core.files.storage import default_storage
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from core.backup_files import backup_leftovers, backup_leftovers_remove
from opd.models import EvidenceRevision
from opd.tus import tus_cleanup, tus_leftovers
from opd.uploads import EVIDENCE_DIR, TEMP_PREFIX, open_stored

READ_SIZE = 1024 * 1024
# A spool file lives only while its request's body is being read (gunicorn ends a request
# after 120 s): one an hour old belongs to no request any more.
SPOOL_MAX_AGE = timedelta(hours=1)


def _walk(storage, directory: str):
    """Every file name under `directory`, recursively, through the storage API."""
    try:
        directories, files = storage.listdir(directory)
    except FileNotFoundError:
        return
    for name in files:
        yield f"{directory}/{name}"
    for name in directories:
        yield from _walk(storage, f"{directory}/{name}")


def _sha256(name: str) -> str:
    digest = hashlib.sha256()
    with open_stored(name) as handle:  # streamed, from a bucket too
        while chunk := handle.read(READ_SIZE):
            digest.update(chunk)
    return digest.hexdigest()


class Command(BaseCommand):
    help = (
        "Check every stored evidence file against its size and SHA-256; report missing, "
        "corrupted and orphaned files and stale upload spool files. Exits non-zero on any "
        "problem."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--fix-orphans",
            action="store_true",
            help="Delete files that no revision records (never missing or corrupted ones) "
            "and upload spool files older than an hour.",
        )
        parser.add_argument(
            "--min-age-minutes",
            type=int,
            default=60,
            help="With --fix-orphans, keep complete orphans younger than this (default 60): "
            "they may belong to an upload being recorded right now.",
        )

    def handle(self, *args, fix_orphans, min_age_minutes, **options):
        storage = default_storage
        known, checked, missing, corrupted = set(), 0, [], []
        rows = EvidenceRevision.objects.values_list(
            "pk", "evidence_id", "file", "original_name", "sha256", "size"
        ).order_by("pk")
        for pk, evidence_id, name, original, sha256, size in rows.iterator(chunk_size=500):
            checked += 1
            known.add(name)
            label = f"revision {pk} (evidence {evidence_id}, “{original}”): {name}"
            try:
                actual_size = storage.size(name)
                actual_sha = _sha256(name) if actual_size == size else None
            except FileNotFoundError:
                missing.append(label)
                self.stdout.write(f"MISSING   {label}")
                continue
            if actual_size != size or actual_sha != sha256:
                corrupted.append(label)
                why = "size" if actual_size != size else "SHA-256"
                self.stdout.write(f"CORRUPTED {label} ({why} differs from the record)")

        orphans = sorted(name for name in _walk(storage, EVIDENCE_DIR) if name not in known)
        cutoff = timezone.now() - timedelta(minutes=min_age_minutes)
        removed = kept = 0
        for name in orphans:
            temporary = name.rsplit("/", 1)[-1].startswith(TEMP_PREFIX)
            label = f"{'temporary' if temporary else 'orphan'} file {name}"
            if not fix_orphans:
                self.stdout.write(f"ORPHAN    {label}")
            elif temporary or _modified(storage, name) <= cutoff:
                storage.delete(name)
                removed += 1
                self.stdout.write(f"REMOVED   {label}")
            else:
                kept += 1
                self.stdout.write(
                    f"KEPT      {label} (younger than {min_age_minutes} min: "
                    "may be an upload being recorded)"
                )

        stale = _stale_spool_files()
        spool_removed = 0
        for path, size, age in stale:
            label = f"upload spool file {path} ({size} bytes, {age / 3600:.1f} h old)"
            if fix_orphans:
                with contextlib.suppress(FileNotFoundError):  # gone meanwhile: as good
                    os.unlink(path)
                spool_removed += 1
                self.stdout.write(f"REMOVED   {label}")
            else:
                self.stdout.write(f"STALE     {label}")

        expired, expired_left = self._resumable(fix_orphans)
        backups, backups_left = self._backup_leftovers(fix_orphans)

        ok = checked - len(missing) - len(corrupted)
        summary = (
            f"checked {checked}, ok {ok}, missing {len(missing)}, corrupted {len(corrupted)}, "
            f"orphaned {len(orphans)}"
        )
        if fix_orphans:
            summary += f" (removed {removed}, kept {kept})"
        summary += f", stale spool files {len(stale)}"
        if fix_orphans:
            summary += f" (removed {spool_removed})"
        summary += f", expired uploads {expired}"
        if fix_orphans:
            summary += f" (removed {expired - expired_left})"
        summary += f", backup leftovers {backups}"
        if fix_orphans:
            summary += f" (removed {backups - backups_left})"
        self.stdout.write(summary)
        if (
            missing
            or corrupted
            or len(orphans) - removed
            or len(stale) - spool_removed
            or expired_left
            or backups_left
        ):
            raise CommandError(
                "The evidence store has problems (see above). Missing or corrupted files must "
                "be restored from a backup; orphans, stale spool files, expired uploads and "
                "backup leftovers can be removed with --fix-orphans."
            )
        self.stdout.write(self.style.SUCCESS("Evidence store OK."))

    def _resumable(self, fix_orphans) -> tuple[int, int]:
        """Expired resumable uploads and spool files no upload owns: (found, left)."""
        if not fix_orphans:
            leftovers = tus_leftovers()
            for leftover in leftovers:
                self.stdout.write(f"EXPIRED   {leftover.label}")
            return len(leftovers), len(leftovers)
        removed, busy = tus_cleanup()
        for leftover in removed:
            self.stdout.write(f"REMOVED   {leftover.label}")
        for leftover in busy:
            self.stdout.write(f"KEPT      {leftover.label} (being written right now)")
        return len(removed) + len(busy), len(busy)

    def _backup_leftovers(self, fix_orphans) -> tuple[int, int]:
        """What killed backups left in KLA_BACKUP_DIR (their work directories): (found, left).
        One a backup is working in is never touched, nor counted."""
        directory = settings.KLA_BACKUP_DIR
        if not directory:
            return 0, 0
        if not fix_orphans:
            leftovers = backup_leftovers(Path(directory))
            for leftover in leftovers:
                self.stdout.write(f"STALE     {leftover.label}")
            return len(leftovers), len(leftovers)
        removed = backup_leftovers_remove(Path(directory))
        for leftover in removed:
            self.stdout.write(f"REMOVED   {leftover.label}")
        return len(removed), 0


def _stale_spool_files() -> list[tuple[str, int, float]]:
    """(path, size, age in seconds) of every spool file older than SPOOL_MAX_AGE."""
    spool = settings.FILE_UPLOAD_TEMP_DIR
    if not spool:
        return []  # Django spools into the system's temporary directory: not ours to clean
    try:
        entries = list(os.scandir(spool))
    except FileNotFoundError:
        return []
    now = time.time()
    stale = []
    for entry in entries:
        if not entry.is_file(follow_symlinks=False):
            continue
        stat = entry.stat(follow_symlinks=False)
        if now - stat.st_mtime >= SPOOL_MAX_AGE.total_seconds():
            stale.append((entry.path, stat.st_size, now - stat.st_mtime))
    return sorted(stale)


def _modified(storage, name: str):
    try:
        return storage.get_modified_time(name)
    except NotImplementedError:
        return timezone.now()  # unknown age: treat as young, never delete by guess
