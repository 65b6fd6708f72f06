"""Backup and restore of everything the product owns, in one verifiable archive.

An archive is a .tar.gz with, in this order:

    data.jsonl       every row of the product's tables as Django's serialised JSON Lines
                     (what dumpdata writes with --format jsonl), models in dependency order;
    files/<name>     every evidence file, at its stored name (EvidenceRevision.file);
    manifest.json    when, from which engine and Django version, the applied migrations,
                     the row count of every model, and the SHA-256 of every other member.

What "the product owns": users, groups and their permission assignments (auth), the admin's
change log, and every table of indicators, opd and kla. Not included: sessions (users log in
again), axes lockouts (they expire), content types and permissions (migrate creates them;
rows that point at them are written with natural keys, so they resolve on any database).

Restore is for an empty, migrated database: it refuses a database that already holds product
data, whatever the flags, because merging two histories is not something a restore can do
safely. It verifies the whole archive before touching anything, loads the rows in one
transaction, resets PostgreSQL sequences, writes the files back to the evidence storage at the
same names and checks each against its EvidenceRevision row. A backup taken on SQLite
restores into PostgreSQL: that is the path from a trial to production (docs/deploy.md).
"""

from __future__ import annotations

import contextlib
import datetime
import hashlib
import io
import json
import os
import signal
import tarfile
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import django
from django.apps import apps
from django.core import serializers
from django.core.files.base import File
from django.core.files.storage import default_storage
from django.core.management.color import no_style
from django.core.serializers.json import DjangoJSONEncoder
from django.core.serializers.jsonl import Serializer as JSONLSerializer
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.migrations.recorder import MigrationRecorder
from django.db.models import Model
from django.utils import timezone

from core.backup_files import backup_leftovers_remove, backup_workdir
from opd.uploads import open_stored

FORMAT = "kla-backup"
FORMAT_VERSION = 1
DATA_MEMBER = "data.jsonl"
MANIFEST_MEMBER = "manifest.json"
FILES_PREFIX = "files/"
PRODUCT_APPS = ("auth", "admin", "indicators", "opd", "kla")
# Permissions are created by migrate on every database and referenced by natural key instead
# of by id; the data version is derived state (core/page_cache.py).
# Resumable uploads in flight are transient: their bytes are not in the archive, and after a
# restore their browsers start them again.
NOT_BACKED_UP = {"auth.permission", "core.dataversion", "opd.resumableupload"}
CHUNK = 1024 * 1024
MAX_MANIFEST_BYTES = 64 * 1024 * 1024


class BackupError(Exception):
    """The archive is unusable, or the database is not in a state to restore into."""


@dataclass
class BackupResult:
    path: Path
    counts: dict[str, int]
    files: int
    file_bytes: int
    missing_files: list[str] = field(default_factory=list)
    damaged_files: list[str] = field(default_factory=list)
    # What interrupted backups had left in the archive's directory, removed by this run.
    leftovers_removed: list[Path] = field(default_factory=list)


@dataclass
class RestoreResult:
    counts: dict[str, int]
    files_written: int
    files_already_present: int
    warnings: list[str] = field(default_factory=list)


# --- What is backed up -----------------------------------------------------------------------


def product_models() -> list[type[Model]]:
    """Every concrete model of the product's apps, parents before the models that point at them."""
    app_list = [
        (apps.get_app_config(label), None) for label in PRODUCT_APPS if label in apps.app_configs
    ]
    ordered = serializers.sort_dependencies(app_list, allow_cycles=True)
    return [
        model
        for model in ordered
        if model._meta.label_lower not in NOT_BACKED_UP
        and not model._meta.proxy
        and model._meta.managed
    ]


def _natural_key_models() -> tuple[type[Model], ...]:
    from django.contrib.auth.models import Permission
    from django.contrib.contenttypes.models import ContentType

    return (ContentType, Permission)


class _Serializer(JSONLSerializer):
    """JSON Lines with natural keys only for content types and permissions.

    Their ids differ from one database to the next; every other row keeps its primary key, so
    foreign keys stay plain ids and a restore does not look each one up by natural key.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._natural = _natural_key_models()

    def handle_fk_field(self, obj, field):
        self.use_natural_foreign_keys = field.remote_field.model in self._natural
        super().handle_fk_field(obj, field)

    def handle_m2m_field(self, obj, field):
        self.use_natural_foreign_keys = field.remote_field.model in self._natural
        super().handle_m2m_field(obj, field)


class _ExactEncoder(DjangoJSONEncoder):
    """DjangoJSONEncoder cuts datetimes to milliseconds; a backup keeps the microseconds."""

    def default(self, o):
        if isinstance(o, datetime.datetime | datetime.time):
            return o.isoformat()
        return super().default(o)


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


class _HashingReader(io.RawIOBase):
    """Reads from a file while computing its SHA-256 (what tarfile reads is what is hashed)."""

    def __init__(self, fh):
        self.fh = fh
        self.digest = hashlib.sha256()

    def readable(self) -> bool:
        return True

    def read(self, size=-1):
        data = self.fh.read(size)
        self.digest.update(data)
        return data


def _applied_migrations(using: str) -> dict[str, list[str]]:
    recorder = MigrationRecorder(connections[using])
    applied: dict[str, list[str]] = {}
    for app, name in sorted(recorder.applied_migrations()):
        applied.setdefault(app, []).append(name)
    return applied


# --- Backup -----------------------------------------------------------------------------------


def default_backup_name(now: datetime.datetime | None = None) -> str:
    now = timezone.localtime(now or timezone.now())
    return f"kla-backup-{now:%Y%m%d-%H%M%S}.tar.gz"


def create_backup(
    out: str | os.PathLike,
    *,
    using: str = DEFAULT_DB_ALIAS,
    log: Callable[[str], None] = lambda message: None,
) -> BackupResult:
    """Write the archive to `out` (a .tar.gz file, or a directory to put a dated one in).

    The rows are read in one transaction, REPEATABLE READ on PostgreSQL, so the archive is one
    consistent moment even while people keep working. Everything is written in a private,
    locked work directory inside the archive's directory (core/backup_files.py) and the
    archive renamed onto its name when complete; it is readable by its owner only (it holds
    password hashes). On any failure, SIGTERM included, the work directory goes and nothing
    is left; what a killed run left (kill -9) is removed by the next run.
    """
    started = time.time()
    out = Path(out)
    if out.is_dir():
        out = out / default_backup_name()
    if not out.name.endswith((".tar.gz", ".tgz")):
        raise BackupError("The backup file name must end with .tar.gz.")
    out.parent.mkdir(parents=True, exist_ok=True)
    with _terminate_cleanly(), backup_workdir(out.parent) as workdir:
        removed = backup_leftovers_remove(out.parent, before=started)
        for leftover in removed:
            log(f"removed what an interrupted backup left: {leftover.path} ({leftover.size} bytes)")
        result = _write_archive(out, workdir, using=using, log=log)
    result.leftovers_removed = [leftover.path for leftover in removed]
    return result


@contextlib.contextmanager
def _terminate_cleanly():
    """SIGTERM (systemd stopping the job, a plain `kill`) raises SystemExit like Ctrl-C
    raises KeyboardInterrupt, so the work directory is removed on the way out. Only the main
    thread can take signals; elsewhere nothing changes."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum, frame):
        raise SystemExit(128 + signum)

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _write_archive(out: Path, workdir: Path, *, using: str, log) -> BackupResult:
    connection = connections[using]
    data_path = workdir / DATA_MEMBER
    partial = workdir / (out.name + ".partial")
    snapshot = transaction.atomic(using=using)
    with snapshot:
        if connection.vendor == "postgresql" and len(connection.atomic_blocks) == 1:
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        counts = _write_data(data_path, using=using)
        revisions = _evidence_files(using=using)
        migrations = _applied_migrations(using)

    members: dict[str, str] = {DATA_MEMBER: _sha256_file(data_path)}
    missing: list[str] = []
    damaged: list[str] = []
    file_bytes = 0
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as raw:
        with tarfile.open(fileobj=raw, mode="w:gz") as tar:
            tar.add(data_path, arcname=DATA_MEMBER, recursive=False)
            for name, expected in revisions.items():
                stored = _add_evidence_file(tar, name)
                if stored is None:
                    missing.append(name)
                    log(f"missing evidence file: {name}")
                    continue
                digest, size = stored
                members[FILES_PREFIX + name] = digest
                file_bytes += size
                if digest not in expected:
                    damaged.append(name)
                    log(f"evidence file differs from its recorded SHA-256: {name}")
            manifest = {
                "format": FORMAT,
                "format_version": FORMAT_VERSION,
                "created_at": timezone.now().isoformat(),
                "django_version": django.get_version(),
                "source_engine": connection.vendor,
                "migrations": migrations,
                "counts": counts,
                "files": {"count": len(members) - 1, "bytes": file_bytes},
                "missing_files": missing,
                "damaged_files": damaged,
                "members": members,
            }
            body = json.dumps(manifest, indent=2, sort_keys=True).encode()
            info = tarfile.TarInfo(MANIFEST_MEMBER)
            info.size = len(body)
            info.mtime = int(timezone.now().timestamp())
            info.mode = 0o600
            tar.addfile(info, io.BytesIO(body))
        raw.flush()
        os.fsync(raw.fileno())
    os.replace(partial, out)
    return BackupResult(
        path=out,
        counts=counts,
        files=len(members) - 1,
        file_bytes=file_bytes,
        missing_files=missing,
        damaged_files=damaged,
    )


def _objects(model: type[Model], using: str, counts: Counter) -> Iterator[Model]:
    queryset = model._base_manager.using(using).order_by("pk")
    label = model._meta.label_lower
    counts[label] += 0
    for obj in queryset.iterator(chunk_size=2000):
        counts[label] += 1
        yield obj


def _write_data(path: Path, *, using: str) -> dict[str, int]:
    counts: Counter = Counter()

    def everything():
        for model in product_models():
            yield from _objects(model, using, counts)

    with open(path, "w", encoding="utf-8") as stream:
        _Serializer().serialize(everything(), stream=stream, cls=_ExactEncoder)
    return dict(counts)


def _evidence_files(*, using: str) -> dict[str, set[str]]:
    """Stored name -> the SHA-256 values its EvidenceRevision rows record."""
    from opd.models import EvidenceRevision

    files: dict[str, set[str]] = {}
    rows = (
        EvidenceRevision.objects.using(using)
        .order_by("pk")
        .values_list("file", "sha256")
        .iterator(chunk_size=2000)
    )
    for name, sha256 in rows:
        if name:
            files.setdefault(name, set()).add(sha256)
    return files


def _add_evidence_file(tar: tarfile.TarFile, name: str) -> tuple[str, int] | None:
    try:
        handle = open_stored(name)  # streamed, from a bucket too
    except FileNotFoundError:
        return None
    with handle:
        size = handle.size
        reader = _HashingReader(handle)
        info = tarfile.TarInfo(FILES_PREFIX + name)
        info.size = size
        info.mode = 0o600
        info.mtime = int(timezone.now().timestamp())
        tar.addfile(info, reader)
    return reader.digest.hexdigest(), size


# --- Verify -----------------------------------------------------------------------------------


def _member_name_ok(name: str) -> bool:
    parts = name.split("/")
    return not name.startswith("/") and ".." not in parts and "" not in parts and "\\" not in name


def verify_archive(path: str | os.PathLike) -> dict:
    """Read the whole archive once; return its manifest if every member is as it says.

    Raises BackupError naming the first problem: not a backup, a member missing, an extra
    member, or a member whose SHA-256 differs from the manifest's.
    """
    path = Path(path)
    if not path.is_file():
        raise BackupError(f"No such backup file: {path}")
    seen: dict[str, str] = {}
    manifest_bytes = None
    try:
        with tarfile.open(path, mode="r|gz") as tar:
            for member in tar:
                if not member.isfile() or not _member_name_ok(member.name):
                    raise BackupError(f"Unexpected member in the archive: {member.name!r}")
                if member.name in seen or (
                    member.name == MANIFEST_MEMBER and manifest_bytes is not None
                ):
                    raise BackupError(f"Member appears twice in the archive: {member.name}")
                fh = tar.extractfile(member)
                if member.name == MANIFEST_MEMBER:
                    if member.size > MAX_MANIFEST_BYTES:
                        raise BackupError("The manifest is implausibly large.")
                    manifest_bytes = fh.read()
                    continue
                digest = hashlib.sha256()
                for chunk in iter(lambda fh=fh: fh.read(CHUNK), b""):
                    digest.update(chunk)
                seen[member.name] = digest.hexdigest()
    except (tarfile.TarError, EOFError, OSError) as error:
        raise BackupError(f"The file is not a readable backup archive ({error}).") from None
    if manifest_bytes is None:
        raise BackupError("The archive has no manifest.json: it is not a KLA backup.")
    try:
        manifest = json.loads(manifest_bytes)
    except ValueError:
        raise BackupError("manifest.json is not valid JSON.") from None
    if manifest.get("format") != FORMAT or manifest.get("format_version") != FORMAT_VERSION:
        raise BackupError("This archive is not a KLA backup of a format this version reads.")
    declared = manifest.get("members") or {}
    if DATA_MEMBER not in declared:
        raise BackupError("The manifest does not list data.jsonl.")
    for name, digest in sorted(declared.items()):
        if name not in seen:
            raise BackupError(f"Member listed in the manifest is missing: {name}")
        if seen[name] != digest:
            raise BackupError(f"SHA-256 mismatch: {name} is not what was backed up.")
    extra = sorted(set(seen) - set(declared))
    if extra:
        raise BackupError(f"Member not listed in the manifest: {extra[0]}")
    return manifest


# --- Restore ----------------------------------------------------------------------------------


def product_rows(using: str = DEFAULT_DB_ALIAS) -> dict[str, int]:
    """Models of the product that hold rows in this database (empty dict: nothing there)."""
    found = {}
    for model in product_models():
        count = model._base_manager.using(using).count()
        if count:
            found[model._meta.label_lower] = count
    return found


def _check_migrations(manifest: dict, using: str) -> None:
    applied = _applied_migrations(using)
    for app, names in (manifest.get("migrations") or {}).items():
        if app not in {*PRODUCT_APPS, "contenttypes"}:
            continue
        lacking = sorted(set(names) - set(applied.get(app, [])))
        if lacking:
            raise BackupError(
                f"This database lacks migration {app}.{lacking[0]} that the backup's database "
                "had. Install the same or a newer version of the product and run migrate first."
            )


def restore_backup(
    path: str | os.PathLike,
    *,
    using: str = DEFAULT_DB_ALIAS,
    log: Callable[[str], None] = lambda message: None,
) -> RestoreResult:
    path = Path(path)
    manifest = verify_archive(path)
    log(f"archive verified: {len(manifest['members'])} members, SHA-256 all correct")
    present = product_rows(using)
    if present:
        sample = ", ".join(f"{label} ({n})" for label, n in sorted(present.items())[:3])
        raise BackupError(
            "This database already holds product data: "
            f"{sample}. Restore only into an empty, migrated database "
            "(create a new database, run migrate, then restore)."
        )
    _check_migrations(manifest, using)
    known_missing = set(manifest.get("missing_files") or [])
    known_damaged = set(manifest.get("damaged_files") or [])
    warnings: list[str] = []
    written: list[str] = []
    already = 0
    connection = connections[using]
    try:
        with transaction.atomic(using=using):
            with tarfile.open(path, mode="r|gz") as tar:
                expected_files: dict[str, set[str]] | None = None
                for member in tar:
                    if member.name == DATA_MEMBER:
                        counts = _load_data(tar.extractfile(member), using=using)
                        _compare_counts(manifest.get("counts") or {}, counts)
                        expected_files = _evidence_files(using=using)
                        continue
                    if not member.name.startswith(FILES_PREFIX):
                        continue
                    if expected_files is None:
                        raise BackupError("Evidence files come before the data in the archive.")
                    name = member.name[len(FILES_PREFIX) :]
                    expected = expected_files.pop(name, None)
                    if expected is None:
                        raise BackupError(f"No evidence revision refers to the file {name}.")
                    outcome = _write_file(tar.extractfile(member), name, expected)
                    if outcome == "present":
                        already += 1
                        continue
                    written.append(name)
                    if outcome == "mismatch":  # the content differs from what its row records
                        if name not in known_damaged:
                            raise BackupError(
                                f"The file {name} does not match the SHA-256 of its evidence "
                                "revision."
                            )
                        warnings.append(f"restored as backed up, already damaged then: {name}")
            if expected_files is None:
                raise BackupError("The archive holds no data.")
            for name in sorted(expected_files):
                if name in known_missing:
                    warnings.append(f"file was already missing when backed up: {name}")
                else:
                    raise BackupError(f"The archive lacks the evidence file {name}.")
            _reset_sequences(connection)
    except BaseException:
        for name in written:
            default_storage.delete(name)
        raise
    return RestoreResult(
        counts=counts,
        files_written=len(written),
        files_already_present=already,
        warnings=warnings,
    )


def _load_data(fh, *, using: str) -> dict[str, int]:
    """loaddata for one JSON Lines stream: constraint checks at the end, forward references."""
    connection = connections[using]
    counts: Counter = Counter()
    deferred = []
    tables = set()
    # Line by line: an archive read as a stream is not seekable, so no TextIOWrapper.
    text = (line.decode("utf-8") for line in fh)
    with connection.constraint_checks_disabled():
        objects = serializers.deserialize(
            "jsonl", text, using=using, handle_forward_references=True
        )
        for obj in objects:
            obj.save(using=using)
            counts[obj.object._meta.label_lower] += 1
            tables.add(obj.object._meta.db_table)
            if obj.deferred_fields:
                deferred.append(obj)
        for obj in deferred:
            obj.save_deferred_fields(using=using)
    connection.check_constraints(table_names=sorted(tables))
    return dict(counts)


def _compare_counts(declared: dict[str, int], loaded: dict[str, int]) -> None:
    for label in sorted(set(declared) | set(loaded)):
        if declared.get(label, 0) != loaded.get(label, 0):
            raise BackupError(
                f"{label}: the manifest says {declared.get(label, 0)} rows, "
                f"the data holds {loaded.get(label, 0)}."
            )


def _write_file(fh, name: str, expected: set[str]) -> str:
    """Put one evidence file back at its stored name. Returns written, present or mismatch."""
    with tempfile.SpooledTemporaryFile(max_size=8 * CHUNK) as spool:
        digest = hashlib.sha256()
        for chunk in iter(lambda: fh.read(CHUNK), b""):
            digest.update(chunk)
            spool.write(chunk)
        sha = digest.hexdigest()
        if default_storage.exists(name):
            with default_storage.open(name, "rb") as current:
                existing = hashlib.sha256()
                for chunk in iter(lambda: current.read(CHUNK), b""):
                    existing.update(chunk)
            if existing.hexdigest() == sha and sha in expected:
                return "present"
            # A leftover under the same name that is not this file: the archive wins.
            default_storage.delete(name)
        content = File(spool, name=name)
        content.size = spool.tell()
        spool.seek(0)
        stored = default_storage.save(name, content)
    if stored != name:
        default_storage.delete(stored)
        raise BackupError(f"The storage would not keep the file at its name: {name}")
    return "written" if sha in expected else "mismatch"


def _reset_sequences(connection) -> None:
    statements = connection.ops.sequence_reset_sql(no_style(), product_models())
    if statements:
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)
