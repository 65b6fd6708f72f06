"""verify_evidence: missing, corrupted and orphaned files, exit codes, --fix-orphans."""

import datetime
import os
import subprocess
import sys
import time
from pathlib import Path
from unittest import mock

import pytest
from django.conf import settings
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command, execute_from_command_line
from django.db import connections
from django.utils import timezone

from opd import evidence as ev
from opd import services
from opd.models import EvidenceRevision
from tests import samples

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _inside_window(monkeypatch):
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: datetime.date(2026, 2, 10))


@pytest.fixture(autouse=True)
def spool(settings, tmp_path) -> Path:
    """Django's upload spool (FILE_UPLOAD_TEMP_DIR), the test's own."""
    directory = tmp_path / "upload-spool"
    directory.mkdir()
    settings.FILE_UPLOAD_TEMP_DIR = str(directory)
    return directory


@pytest.fixture
def stored(question, lead_unit, opd_user):
    """Three files on one answer: (keep, corrupt, lose)."""
    answer = services.answer_open(question=question, unit=lead_unit)
    return [
        ev.evidence_add_file(
            answer=answer,
            unit=lead_unit,
            user=opd_user,
            uploaded_file=SimpleUploadedFile(f"{n}.pdf", samples.pdf_bytes(n)),
        )
        for n in ("keep", "corrupt", "lose")
    ]


def _root() -> Path:
    return Path(default_storage.location)


def _run(*args, capsys) -> tuple[int, str]:
    """The command as cron runs it: the process's exit status and what it printed."""
    # run_from_argv closes every connection when done; the test's transaction needs its own.
    try:
        with mock.patch.object(connections, "close_all"):
            execute_from_command_line(["manage.py", "verify_evidence", "--skip-checks", *args])
    except SystemExit as exit_:
        code = exit_.code
    else:
        code = 0
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def test_a_sound_store_exits_zero(stored, capsys):
    code, out = _run(capsys=capsys)
    assert code == 0
    assert "checked 3, ok 3, missing 0, corrupted 0, orphaned 0" in out
    assert "Evidence store OK." in out


def test_removed_evidence_is_still_checked_and_not_an_orphan(stored, lead_unit, opd_user, capsys):
    ev.evidence_remove(evidence=stored[0].evidence, unit=lead_unit, user=opd_user)
    code, out = _run(capsys=capsys)
    assert (code, "checked 3, ok 3") == (0, out.splitlines()[-2][:15])


def test_missing_file_is_reported_and_exits_one(stored, capsys):
    (_root() / stored[2].file.name).unlink()
    code, out = _run(capsys=capsys)
    assert code == 1
    assert f"MISSING   revision {stored[2].pk}" in out and "“lose.pdf”" in out
    assert "checked 3, ok 2, missing 1, corrupted 0, orphaned 0" in out


@pytest.mark.parametrize("damage", ["same_size", "truncated", "grown"])
def test_corrupted_file_is_reported(stored, capsys, damage):
    path = _root() / stored[1].file.name
    data = bytearray(path.read_bytes())
    if damage == "same_size":
        data[len(data) // 2] ^= 0x01  # one bit: only the SHA-256 can tell
    elif damage == "truncated":
        data = data[:-10]
    else:
        data += b"\n"
    path.write_bytes(bytes(data))
    code, out = _run(capsys=capsys)
    assert code == 1
    assert f"CORRUPTED revision {stored[1].pk}" in out
    assert ("SHA-256 differs" if damage == "same_size" else "size differs") in out
    assert "ok 2, missing 0, corrupted 1, orphaned 0" in out


def test_orphans_are_listed_and_temporary_ones_named(stored, capsys):
    month = Path(stored[0].file.name).parent
    (_root() / month / "0123456789abcdef0123456789abcdef").write_bytes(b"%PDF-1.4 nobody's")
    (_root() / month / ".upload-k3j4h5").write_bytes(b"%PDF-1.4 half")
    (_root() / "evidence" / "2025" / "12").mkdir(parents=True)
    (_root() / "evidence" / "2025" / "12" / "abandoned").write_bytes(b"x")
    (_root() / "not-evidence.txt").write_bytes(b"outside evidence/: not ours to judge")
    code, out = _run(capsys=capsys)
    assert code == 1
    assert f"ORPHAN    orphan file {month}/0123456789abcdef0123456789abcdef" in out
    assert f"ORPHAN    temporary file {month}/.upload-k3j4h5" in out
    assert "ORPHAN    orphan file evidence/2025/12/abandoned" in out
    assert "not-evidence" not in out
    assert "checked 3, ok 3, missing 0, corrupted 0, orphaned 3" in out


def test_fix_orphans_removes_old_and_temporary_orphans_keeps_young_ones(stored, capsys):
    month = _root() / Path(stored[0].file.name).parent
    young, old, temp = month / "young0", month / "old0", month / ".upload-x"
    for path in (young, old, temp):
        path.write_bytes(b"data")
    two_hours_ago = time.time() - 2 * 3600
    os.utime(old, (two_hours_ago, two_hours_ago))
    code, out = _run("--fix-orphans", capsys=capsys)
    assert code == 1  # the young orphan is still there
    assert not old.exists() and not temp.exists() and young.exists()
    assert "KEPT      orphan file" in out and "(removed 2, kept 1)" in out
    code, out = _run("--fix-orphans", "--min-age-minutes", "0", capsys=capsys)
    assert code == 0 and not young.exists()
    assert all((_root() / r.file.name).exists() for r in stored)
    assert _run(capsys=capsys)[0] == 0


def test_fix_orphans_never_touches_missing_or_corrupted_files(stored, capsys):
    corrupt = _root() / stored[1].file.name
    corrupt.write_bytes(b"%PDF-1.4 tampered")
    (_root() / stored[2].file.name).unlink()
    with pytest.raises(CommandError, match="restored from a backup"):
        call_command("verify_evidence", "--fix-orphans", "--min-age-minutes", "0")
    assert corrupt.read_bytes() == b"%PDF-1.4 tampered"
    assert EvidenceRevision.objects.count() == 3
    assert "missing 1, corrupted 1, orphaned 0 (removed 0, kept 0)" in capsys.readouterr().out


def test_works_against_a_bucket_without_local_paths(
    question, lead_unit, opd_user, capsys, s3_bucket
):
    """A bucket (S3) has no local paths: storing and verifying go through the storage API."""
    answer = services.answer_open(question=question, unit=lead_unit)
    revisions = [
        ev.evidence_add_file(
            answer=answer,
            unit=lead_unit,
            user=opd_user,
            uploaded_file=SimpleUploadedFile(f"{n}.pdf", samples.pdf_bytes(n)),
        )
        for n in ("keep", "corrupt", "lose")
    ]
    assert s3_bucket.objects() == sorted(r.file.name for r in revisions)
    code, out = _run(capsys=capsys)
    assert code == 0 and "checked 3, ok 3, missing 0, corrupted 0, orphaned 0" in out
    keep, corrupt, lose = revisions
    client, bucket = s3_bucket.client, s3_bucket.name
    damaged = bytearray(samples.pdf_bytes("corrupt"))
    damaged[len(damaged) // 2] ^= 0x01  # same size: only the SHA-256 can tell
    client.put_object(Bucket=bucket, Key=corrupt.file.name, Body=bytes(damaged))
    client.delete_object(Bucket=bucket, Key=lose.file.name)
    client.put_object(Bucket=bucket, Key="evidence/2026/02/stray", Body=b"x")
    code, out = _run(capsys=capsys)
    assert code == 1
    assert f"CORRUPTED revision {corrupt.pk}" in out and "SHA-256 differs" in out
    assert f"MISSING   revision {lose.pk}" in out
    assert "ORPHAN    orphan file evidence/2026/02/stray" in out
    assert "checked 3, ok 1, missing 1, corrupted 1, orphaned 1" in out
    code, out = _run("--fix-orphans", "--min-age-minutes", "0", capsys=capsys)
    assert code == 1 and "REMOVED   orphan file evidence/2026/02/stray" in out
    assert s3_bucket.objects() == sorted([keep.file.name, corrupt.file.name])


def _spool_file(spool: Path, name: str, size: int, *, hours_old: float) -> Path:
    path = spool / name
    path.write_bytes(b"x" * size)
    then = time.time() - hours_old * 3600
    os.utime(path, (then, then))
    return path


def test_stale_spool_files_are_reported_and_removed_fresh_ones_kept(stored, spool, capsys):
    """A worker killed mid-upload leaves Django's spool file behind; nothing else removes it."""
    old = _spool_file(spool, "tmpab12cd34.upload.pdf", 3000, hours_old=2)
    fresh = _spool_file(spool, "tmpef56gh78.upload.pdf", 10, hours_old=0)
    code, out = _run(capsys=capsys)
    assert code == 1
    assert f"STALE     upload spool file {old} (3000 bytes, 2.0 h old)" in out
    assert str(fresh) not in out
    assert "orphaned 0, stale spool files 1" in out
    assert old.exists() and fresh.exists()  # only reported
    code, out = _run("--fix-orphans", capsys=capsys)
    assert code == 0
    assert f"REMOVED   upload spool file {old}" in out
    assert "stale spool files 1 (removed 1)" in out and "Evidence store OK." in out
    assert not old.exists() and fresh.exists()
    assert all((_root() / r.file.name).exists() for r in stored)


def test_a_missing_spool_directory_is_no_problem(stored, spool, settings, capsys):
    settings.FILE_UPLOAD_TEMP_DIR = str(spool / "not-there")
    code, out = _run(capsys=capsys)
    assert code == 0 and "stale spool files 0" in out


def test_the_spool_is_a_directory_of_our_own_made_at_start(tmp_path):
    """Not /tmp: verify_evidence removes old files there, which must all be Django's spool."""
    env = {k: v for k, v in os.environ.items() if k != "KLA_UPLOAD_SPOOL_DIR"}
    env.update(DEBUG="1", KLA_VAR_DIR=str(tmp_path / "var"), DJANGO_SETTINGS_MODULE="kla.settings")
    code = "from django.conf import settings; print(settings.FILE_UPLOAD_TEMP_DIR)"
    out = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout.strip()
    assert out == str(tmp_path / "var" / "upload-spool")
    assert Path(out).is_dir()
