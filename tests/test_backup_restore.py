"""Backup and restore: a round trip keeps every row, the audit trail and every file; a damaged
archive or a database that already holds data is refused and nothing changes; a backup of a
SQLite trial restores into PostgreSQL."""

import datetime
import hashlib
import io
import json
import os
import signal
import subprocess
import sys
import tarfile
import time
from decimal import Decimal

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.utils import timezone

from indicators.models import Period
from kla.backup import product_models, product_rows
from opd.audit import audit_log
from opd.models import (
    Answer,
    AuditEvent,
    Comment,
    Evidence,
    EvidenceRevision,
    Extension,
    Profile,
    Unit,
)
from opd.scoring import score_period
from tests import factories, samples

# --- A small district with everything a backup must carry ------------------------------------


def _store(content: bytes, *, evidence, user, original_name: str, when) -> EvidenceRevision:
    digest = hashlib.sha256(content).hexdigest()
    name = default_storage.save(f"evidence/2026/02/{digest[:32]}", ContentFile(content))
    return EvidenceRevision.objects.create(
        evidence=evidence,
        file=name,
        original_name=original_name,
        size=len(content),
        sha256=digest,
        content_type="application/pdf",
        uploaded_by=user,
        uploaded_at=when,
    )


def build_world() -> None:
    """Rows of every kind, with awkward cases: a child unit with a lower id than its parent,
    permissions by group and by user, several revisions of one file, a link, JSON data."""
    period = factories.PeriodFactory(year=2026)
    q1 = factories.QuestionFactory(indicator__group__period=period, max_points=Decimal("10.00"))
    q2 = factories.QuestionFactory(indicator=q1.indicator, max_points=Decimal("7.50"))
    dinkes = factories.UnitFactory(name="Dinas Kesehatan", short_name="Dinkes")
    dinsos = factories.UnitFactory(name="Dinas Sosial", short_name="Dinsos")
    desa = factories.UnitFactory(name="Desa Teluk Nilau", short_name="Teluk Nilau", kind="desa")
    kecamatan = factories.UnitFactory(
        name="Kecamatan Pengabuan", short_name="Pengabuan", kind="kecamatan"
    )
    desa.parent = kecamatan
    desa.save(update_fields=["parent"])
    for question in (q1, q2):
        factories.AssignmentFactory(question=question, unit=dinkes, role="lead")
        factories.AssignmentFactory(question=question, unit=dinsos, role="support")

    staff = factories.UserFactory(username="siti", role=Profile.Role.OPD, units=[dinkes])
    helper = factories.UserFactory(username="budi", role=Profile.Role.OPD, units=[dinsos])
    reviewer = factories.UserFactory(username="rina", role=Profile.Role.SECRETARIAT)
    factories.UserFactory(username="bupati", role=Profile.Role.EXECUTIVE)
    editors = Group.objects.create(name="Pengelola instrumen")
    editors.permissions.add(Permission.objects.get(codename="change_question"))
    reviewer.groups.add(editors)
    reviewer.user_permissions.add(Permission.objects.get(codename="view_auditevent"))

    t0 = timezone.make_aware(datetime.datetime(2026, 2, 10, 9, 30, 15, 123456))
    approved = Answer.objects.create(
        question=q1,
        unit=dinkes,
        status=Answer.Status.APPROVED,
        claimed_points=Decimal("10.00"),
        verified_points=Decimal("7.25"),
        narrative="Perbup KLA No. 12 Tahun 2024 — lampiran.",
        data_values={"2025": "87%"},
        review_note="Lampiran tanda tangan kurang.",
        submitted_at=t0,
        submitted_by=staff,
        reviewed_at=t0 + datetime.timedelta(hours=2),
        reviewed_by=reviewer,
        version=4,
    )
    draft = Answer.objects.create(question=q2, unit=dinkes, claimed_points=Decimal("2.25"))
    evidence = Evidence.objects.create(
        answer=approved, unit=dinkes, title="Perbup", created_by=staff
    )
    _store(
        samples.pdf_bytes("versi 1"),
        evidence=evidence,
        user=staff,
        original_name="perbup.pdf",
        when=t0,
    )  # noqa: E501
    _store(
        samples.pdf_bytes("versi 2"),
        evidence=evidence,
        user=staff,
        original_name="perbup (2).pdf",
        when=t0 + datetime.timedelta(minutes=5),
    )  # noqa: E501
    support = Evidence.objects.create(answer=approved, unit=dinsos, created_by=helper)
    _store(
        samples.pdf_bytes("data dinsos"),
        evidence=support,
        user=helper,
        original_name="data.pdf",
        when=t0,
    )  # noqa: E501
    Evidence.objects.create(
        answer=draft,
        unit=dinkes,
        kind="link",
        url="https://jdih.example.go.id/perbup-12",
        created_by=staff,
    )
    Comment.objects.create(
        answer=approved, author=reviewer, body="Mohon tanda tangan kepala dinas."
    )
    Extension.objects.create(
        period=period,
        unit=dinsos,
        until=datetime.date(2026, 4, 2),
        reason="Jaringan putus",
        granted_by=reviewer,
    )
    for offset, (action, actor, answer) in enumerate(
        [
            (AuditEvent.Action.ANSWER_SAVE, staff, approved),
            (AuditEvent.Action.EVIDENCE_UPLOAD, staff, approved),
            (AuditEvent.Action.ANSWER_SUBMIT, staff, approved),
            (AuditEvent.Action.ANSWER_APPROVE, reviewer, approved),
            (AuditEvent.Action.ANSWER_SAVE, staff, draft),
        ]
    ):
        event = audit_log(
            action=action,
            actor=actor,
            ip="10.1.2.3",
            answer=answer,
            summary=f"{action} #{offset}",
            data={"step": offset, "points": "7.25"},
        )
        AuditEvent.objects.filter(pk=event.pk).update(
            created_at=t0 + datetime.timedelta(minutes=offset)
        )
    audit_log(action=AuditEvent.Action.EXTENSION_GRANT, actor=reviewer, period=period, unit=dinsos)


def fingerprint() -> dict:
    """What must survive a backup and restore, in engine-independent form."""

    def iso(value):
        return value.astimezone(datetime.UTC).isoformat() if value else None

    counts = {m._meta.label_lower: m._base_manager.count() for m in product_models()}
    audit = [
        [
            iso(e.created_at),
            e.actor.username if e.actor else None,
            e.action,
            e.ip_address,
            e.period.year if e.period else None,
            e.unit.short_name if e.unit else None,
            e.answer_id,
            e.summary,
            e.data,
        ]
        for e in AuditEvent.objects.select_related("actor", "period", "unit").order_by(
            "created_at", "pk"
        )
    ]
    files = {}
    for rev in EvidenceRevision.objects.order_by("pk"):
        with default_storage.open(rev.file.name, "rb") as fh:
            files[rev.file.name] = [hashlib.sha256(fh.read()).hexdigest(), rev.sha256]
    answers = [
        [
            a.pk,
            a.question_id,
            a.unit.short_name,
            a.status,
            str(a.claimed_points),
            str(a.verified_points),
            a.version,
            a.narrative,
            a.data_values,
            iso(a.submitted_at),
            a.submitted_by.username if a.submitted_by else None,
        ]
        for a in Answer.objects.select_related("unit", "submitted_by").order_by("pk")
    ]
    users = [
        [
            u.username,
            u.password,
            u.is_superuser,
            u.profile.role,
            sorted(u.profile.units.values_list("short_name", flat=True)),
            sorted(u.groups.values_list("name", flat=True)),
            sorted(u.get_all_permissions()),
        ]
        for u in get_user_model().objects.order_by("username")
    ]
    units = [[u.short_name, u.parent.short_name if u.parent else None] for u in Unit.objects.all()]
    scores = []
    for period in Period.objects.order_by("year"):
        score = score_period(period=period)
        scores.append(
            [
                period.year,
                str(score.claimed),
                str(score.verified),
                str(score.potential),
                score.rank_claimed,
                score.rank_verified,
            ]
        )
    return {
        "counts": counts,
        "audit": audit,
        "files": files,
        "answers": answers,
        "users": users,
        "units": units,
        "scores": scores,
    }


# --- Helpers ---------------------------------------------------------------------------------


def _empty_the_database_and_storage():
    # What an operator does before restoring: an empty, migrated database. The tests are
    # transactional (flush and restore run in their own transactions, as in production).
    names = list(EvidenceRevision.objects.values_list("file", flat=True))
    call_command("flush", "--no-input", verbosity=0)
    for name in names:
        default_storage.delete(name)
    assert product_rows() == {}


def _rewrite(archive, out, *, change=None, drop=None):
    """Copy an archive member by member, changing one member's bytes or dropping one."""
    with tarfile.open(archive, "r:gz") as src, tarfile.open(out, "w:gz") as dst:
        for member in src.getmembers():
            if member.name == drop:
                continue
            data = src.extractfile(member).read()
            if change and member.name.startswith(change[0]):
                data = change[1](data)
            info = tarfile.TarInfo(member.name)
            info.size = len(data)
            dst.addfile(info, io.BytesIO(data))


def _members(archive) -> list[str]:
    with tarfile.open(archive, "r:gz") as tar:
        return tar.getnames()


# --- Same engine -----------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_round_trip_keeps_rows_audit_trail_and_files(tmp_path):
    build_world()
    before = fingerprint()
    assert before["scores"] == [[2026, "12.25", "7.25", "7.25", None, None]]
    archive = tmp_path / "backup.tar.gz"
    call_command("backup", "--out", str(archive), stdout=io.StringIO())
    assert oct(archive.stat().st_mode & 0o777) == "0o600"

    members = _members(archive)
    assert members[0] == "data.jsonl" and members[-1] == "manifest.json"
    assert len([m for m in members if m.startswith("files/")]) == 3
    with tarfile.open(archive, "r:gz") as tar:
        manifest = json.load(tar.extractfile("manifest.json"))
        data = tar.extractfile("data.jsonl").read().decode()
    assert manifest["counts"]["opd.auditevent"] == 6
    assert manifest["counts"]["opd.evidencerevision"] == 3
    assert "axes.accessattempt" not in manifest["counts"]
    assert "sessions.session" not in manifest["counts"]
    assert "auth.permission" not in manifest["counts"]
    assert manifest["source_engine"] == connection.vendor
    assert set(manifest["members"]) == set(members) - {"manifest.json"}
    # Permissions travel by natural key, so they resolve whatever their ids are elsewhere.
    assert '["change_question","indicators","question"]' in data

    _empty_the_database_and_storage()
    out = io.StringIO()
    call_command("restore", str(archive), stdout=out)
    assert "Restored" in out.getvalue()
    assert fingerprint() == before


@pytest.mark.django_db(transaction=True)
def test_restored_database_accepts_new_rows(tmp_path):
    """Sequences continue after the restored ids (PostgreSQL needs them reset)."""
    build_world()
    archive = tmp_path / "b.tar.gz"
    call_command("backup", "--out", str(archive), stdout=io.StringIO())
    highest = AuditEvent.objects.order_by("-pk").first().pk
    _empty_the_database_and_storage()
    call_command("restore", str(archive), stdout=io.StringIO())
    event = audit_log(action=AuditEvent.Action.EXPORT, summary="after restore")
    assert event.pk > highest


@pytest.mark.django_db(transaction=True)
def test_backup_to_a_directory_chooses_a_dated_name(tmp_path):
    build_world()
    out = io.StringIO()
    call_command("backup", "--out", str(tmp_path), stdout=out)
    written = list(tmp_path.glob("kla-backup-*.tar.gz"))
    assert len(written) == 1
    assert str(written[0]) in out.getvalue()
    assert not list(tmp_path.glob("*.partial"))


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    "damage",
    [
        pytest.param({"change": ("files/", lambda b: b + b"x")}, id="file-changed"),
        pytest.param(
            {"change": ("data.jsonl", lambda b: b.replace(b"7.25", b"9.25"))}, id="data-changed"
        ),  # noqa: E501
        pytest.param({"drop": "data.jsonl"}, id="data-missing"),
        pytest.param({"drop": "manifest.json"}, id="manifest-missing"),
        pytest.param(
            {"change": ("manifest.json", lambda b: b.replace(b'"counts"', b'"countz"', 1) + b"}")},
            id="manifest-broken",
        ),  # noqa: E501
    ],
)
def test_damaged_archive_is_refused_and_nothing_changes(tmp_path, damage):
    build_world()
    archive = tmp_path / "good.tar.gz"
    call_command("backup", "--out", str(archive), stdout=io.StringIO())
    names = list(EvidenceRevision.objects.values_list("file", flat=True))
    _empty_the_database_and_storage()
    bad = tmp_path / "bad.tar.gz"
    _rewrite(archive, bad, **damage)

    with pytest.raises(CommandError, match="Nothing was restored"):
        call_command("restore", str(bad), stdout=io.StringIO())
    assert product_rows() == {}
    assert not any(default_storage.exists(name) for name in names)


@pytest.mark.django_db(transaction=True)
def test_a_file_dropped_from_the_archive_is_named(tmp_path):
    build_world()
    archive = tmp_path / "good.tar.gz"
    call_command("backup", "--out", str(archive), stdout=io.StringIO())
    victim = next(m for m in _members(archive) if m.startswith("files/"))
    _empty_the_database_and_storage()
    bad = tmp_path / "bad.tar.gz"
    _rewrite(archive, bad, drop=victim)
    with pytest.raises(CommandError, match=f"missing: {victim}"):
        call_command("restore", str(bad), stdout=io.StringIO())
    assert product_rows() == {}


@pytest.mark.django_db(transaction=True)
def test_not_an_archive_is_refused(tmp_path):
    junk = tmp_path / "junk.tar.gz"
    junk.write_bytes(b"this is not a tar file")
    with pytest.raises(CommandError, match="not a readable backup archive"):
        call_command("restore", str(junk), stdout=io.StringIO())


@pytest.mark.django_db(transaction=True)
def test_restore_into_a_database_with_data_is_refused(tmp_path):
    build_world()
    archive = tmp_path / "b.tar.gz"
    call_command("backup", "--out", str(archive), stdout=io.StringIO())
    before = fingerprint()
    with pytest.raises(CommandError, match="already holds product data"):
        call_command("restore", str(archive), stdout=io.StringIO())
    assert fingerprint() == before


@pytest.mark.django_db(transaction=True)
def test_one_user_is_enough_to_refuse(tmp_path):
    build_world()
    archive = tmp_path / "b.tar.gz"
    call_command("backup", "--out", str(archive), stdout=io.StringIO())
    _empty_the_database_and_storage()
    factories.UserFactory(username="created-too-early")
    with pytest.raises(CommandError, match="auth.user"):
        call_command("restore", str(archive), stdout=io.StringIO())
    assert AuditEvent.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_missing_evidence_file_is_reported_and_restore_warns(tmp_path):
    build_world()
    lost = EvidenceRevision.objects.order_by("pk").first()
    default_storage.delete(lost.file.name)
    archive = tmp_path / "b.tar.gz"
    err = io.StringIO()
    with pytest.raises(CommandError, match="1 evidence files were missing"):
        call_command("backup", "--out", str(archive), stdout=io.StringIO(), stderr=err)
    assert lost.file.name in err.getvalue()
    with tarfile.open(archive, "r:gz") as tar:
        manifest = json.load(tar.extractfile("manifest.json"))
    assert manifest["missing_files"] == [lost.file.name]

    _empty_the_database_and_storage()
    err = io.StringIO()
    call_command("restore", str(archive), stdout=io.StringIO(), stderr=err)
    assert f"already missing when backed up: {lost.file.name}" in err.getvalue()
    assert EvidenceRevision.objects.count() == 3


# --- SQLite trial -> PostgreSQL production ---------------------------------------------------

SUBPROCESS_SCRIPT = """
import json, django
django.setup()
from tests.test_backup_restore import build_world, fingerprint
from django.db import transaction
with transaction.atomic():
    build_world()
print(json.dumps(fingerprint()))
"""
FINGERPRINT_SCRIPT = """
import json, django
django.setup()
from tests.test_backup_restore import fingerprint
print(json.dumps(fingerprint()))
"""


def _sqlite_env(tmp_path) -> dict:
    """A trial installation: SQLite in a file, its own evidence directory."""
    assert settings.DATABASES["default"]["ENGINE"].endswith("postgresql")
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "DATABASE_URL", "KLA_"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="kla.settings",
        DEBUG="1",
        DATABASE_URL=f"sqlite:///{tmp_path / 'trial.sqlite3'}",
        MEDIA_ROOT=str(tmp_path / "trial-evidence"),
        KLA_VAR_DIR=str(tmp_path / "var"),
    )
    return env


def _run(args, env, **kwargs):
    result = subprocess.run(
        args,
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        **kwargs,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_sqlite_backup_restores_into_postgresql(tmp_path):
    env = _sqlite_env(tmp_path)
    python = sys.executable
    _run([python, "manage.py", "migrate", "--no-input", "-v0"], env)
    expected = json.loads(_run([python, "-c", SUBPROCESS_SCRIPT], env).strip().splitlines()[-1])
    archive = tmp_path / "trial.tar.gz"
    _run([python, "manage.py", "backup", "--out", str(archive)], env)
    with tarfile.open(archive, "r:gz") as tar:
        assert json.load(tar.extractfile("manifest.json"))["source_engine"] == "sqlite"

    assert product_rows() == {}
    call_command("restore", str(archive), stdout=io.StringIO())
    restored = json.loads(json.dumps(fingerprint()))
    assert restored["counts"] == expected["counts"]
    assert restored["audit"] == expected["audit"]
    assert restored["files"] == expected["files"]
    assert restored == expected
    # The sequences continue after the restored ids.
    highest = AuditEvent.objects.order_by("-pk").first().pk
    assert audit_log(action=AuditEvent.Action.EXPORT).pk > highest


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_sqlite_demo_district_restores_into_postgresql(tmp_path):
    """The whole demo district (two periods, every agency and kecamatan) crosses engines with
    the same rows, audit trail and scores."""
    env = _sqlite_env(tmp_path)
    python = sys.executable
    _run([python, "manage.py", "migrate", "--no-input", "-v0"], env)
    _run([python, "manage.py", "load_demo"], env)
    expected = json.loads(_run([python, "-c", FINGERPRINT_SCRIPT], env).strip().splitlines()[-1])
    archive = tmp_path / "demo.tar.gz"
    _run([python, "manage.py", "backup", "--out", str(archive)], env)

    call_command("restore", str(archive), stdout=io.StringIO())
    restored = json.loads(json.dumps(fingerprint()))
    assert sum(restored["counts"].values()) > 500
    assert restored["scores"] == expected["scores"]
    assert restored == expected


# --- Evidence in a bucket ----------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_round_trip_through_a_bucket(tmp_path, s3_bucket):
    """Backup reads every file from the bucket, restore writes them back to it (moto's real
    S3 server, tests/conftest.py)."""
    build_world()
    before = fingerprint()
    names = sorted(set(EvidenceRevision.objects.values_list("file", flat=True)))
    assert s3_bucket.objects() == names
    archive = tmp_path / "backup.tar.gz"
    call_command("backup", "--out", str(archive), stdout=io.StringIO())
    assert len([m for m in _members(archive) if m.startswith("files/")]) == 3
    _empty_the_database_and_storage()
    assert s3_bucket.objects() == []
    call_command("restore", str(archive), stdout=io.StringIO())
    assert s3_bucket.objects() == names
    assert fingerprint() == before


# --- A backup cleans up after itself -------------------------------------------------------------

KILLED_BACKUP_SCRIPT = """
import sys, time, django
django.setup()
from django.db import transaction
from kla import backup
from tests.test_backup_restore import build_world
with transaction.atomic():
    build_world()
original = backup._add_evidence_file
def slow(tar, name):
    result = original(tar, name)
    open(sys.argv[1], "w").close()  # mid-way: the rows and one file are in the archive
    time.sleep(300)
    return result
backup._add_evidence_file = slow
backup.create_backup(sys.argv[2])
"""


def _backup_stopped_mid_way(tmp_path, out_dir, signum) -> int:
    """Run a backup in its own process (a SQLite trial database) and send it `signum` once
    it is half-way through the archive; its exit status."""
    env = _sqlite_env_any(tmp_path)
    python = sys.executable
    _run([python, "manage.py", "migrate", "--no-input", "-v0"], env)
    marker = tmp_path / "half-way"
    process = subprocess.Popen(
        [python, "-c", KILLED_BACKUP_SCRIPT, str(marker), str(out_dir)],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 120
    while not marker.exists():
        assert process.poll() is None, process.stderr.read().decode()
        assert time.monotonic() < deadline, "the backup never got half-way"
        time.sleep(0.05)
    process.send_signal(signum)
    code = process.wait(timeout=60)
    process.stderr.close()
    return code


def _sqlite_env_any(tmp_path) -> dict:
    """A trial installation's environment, whatever database the tests run on."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "DATABASE_URL", "KLA_"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="kla.settings",
        DEBUG="1",
        DATABASE_URL=f"sqlite:///{tmp_path / 'trial.sqlite3'}",
        MEDIA_ROOT=str(tmp_path / "trial-evidence"),
        KLA_VAR_DIR=str(tmp_path / "var"),
    )
    return env


def _verify(capsys) -> tuple[int, str]:
    try:
        call_command("verify_evidence")
    except CommandError:
        code = 1
    else:
        code = 0
    return code, capsys.readouterr().out


@pytest.mark.django_db
def test_a_killed_backup_leaves_a_work_directory_that_verify_reports_and_the_next_run_removes(
    tmp_path, settings, capsys
):
    out_dir = tmp_path / "backups"
    out_dir.mkdir()
    assert _backup_stopped_mid_way(tmp_path, out_dir, signal.SIGKILL) == -signal.SIGKILL
    # Everything the killed run wrote is in one hidden directory beside the archives.
    [left] = out_dir.iterdir()
    assert left.name.startswith(".kla-backup-") and left.is_dir()
    assert {p.name for p in left.iterdir()} >= {"data.jsonl", "lock"}
    partial = [p for p in left.iterdir() if p.name.endswith(".tar.gz.partial")]
    assert len(partial) == 1  # the archive being written
    assert not list(out_dir.glob("kla-backup-*.tar.gz"))  # what the retention's find matches

    settings.KLA_BACKUP_DIR = str(out_dir)
    code, out = _verify(capsys)
    assert code == 0 and "backup leftovers 0" in out  # a minute's grace: it may be starting
    an_hour_ago = time.time() - 3600
    os.utime(left, (an_hour_ago, an_hour_ago))
    code, out = _verify(capsys)
    assert code == 1
    assert f"STALE     backup leftover {left} (" in out and "1.0 h old" in out
    assert "backup leftovers 1" in out
    assert left.exists()  # only reported

    build_world()
    stderr = io.StringIO()
    call_command("backup", stdout=io.StringIO(), stderr=stderr)  # --out: KLA_BACKUP_DIR
    assert f"removed what an interrupted backup left: {left}" in stderr.getvalue()
    [archive] = out_dir.iterdir()
    assert archive.name.startswith("kla-backup-") and archive.name.endswith(".tar.gz")
    code, out = _verify(capsys)
    assert code == 0 and "backup leftovers 0" in out


@pytest.mark.django_db
def test_verify_fix_orphans_removes_backup_leftovers(tmp_path, settings, capsys):
    out_dir = tmp_path / "backups"
    left = out_dir / ".kla-backup-4242-abc"
    left.mkdir(parents=True)
    (left / "data.jsonl").write_bytes(b"x" * 1000)
    an_hour_ago = time.time() - 3600
    os.utime(left, (an_hour_ago, an_hour_ago))
    settings.KLA_BACKUP_DIR = str(out_dir)
    call_command("verify_evidence", "--fix-orphans")
    out = capsys.readouterr().out
    assert f"REMOVED   backup leftover {left} (1000 bytes" in out
    assert "backup leftovers 1 (removed 1)" in out and not left.exists()


@pytest.mark.django_db
def test_a_running_backups_directory_is_never_touched(tmp_path, settings, capsys):
    """Two backups at once: neither removes the other's work, however old it looks."""
    from core.backup_files import backup_workdir

    out_dir = tmp_path / "backups"
    out_dir.mkdir()
    settings.KLA_BACKUP_DIR = str(out_dir)
    build_world()
    with backup_workdir(out_dir) as running:
        an_hour_ago = time.time() - 3600
        os.utime(running, (an_hour_ago, an_hour_ago))
        call_command("backup", stdout=io.StringIO(), stderr=io.StringIO())
        call_command("verify_evidence", "--fix-orphans")
        assert "backup leftovers 0" in capsys.readouterr().out
        assert running.is_dir()
    assert not running.exists()  # and it cleans up after itself
    assert [p.name.startswith("kla-backup-") for p in out_dir.iterdir()] == [True]


@pytest.mark.django_db
def test_a_terminated_backup_leaves_nothing(tmp_path):
    out_dir = tmp_path / "backups"
    out_dir.mkdir()
    assert _backup_stopped_mid_way(tmp_path, out_dir, signal.SIGTERM) == 128 + signal.SIGTERM
    assert list(out_dir.iterdir()) == []


@pytest.mark.django_db
def test_a_failing_backup_leaves_nothing(tmp_path, monkeypatch):
    from kla import backup

    build_world()
    out_dir = tmp_path / "backups"
    out_dir.mkdir()
    reads = []

    def broken(name):
        reads.append(name)
        if len(reads) == 2:
            raise OSError("the storage broke half-way")
        return original(name)

    original = backup.open_stored
    monkeypatch.setattr(backup, "open_stored", broken)
    with pytest.raises(OSError, match="half-way"):
        call_command("backup", "--out", str(out_dir), stdout=io.StringIO())
    assert len(reads) == 2 and list(out_dir.iterdir()) == []


@pytest.mark.django_db
def test_a_backup_from_an_unreachable_bucket_leaves_nothing(tmp_path, s3_bucket):
    from tests.conftest import closed_port_url

    build_world()
    out_dir = tmp_path / "backups"
    out_dir.mkdir()
    s3_bucket.point_at(closed_port_url())
    with pytest.raises(Exception, match="Could not connect"):
        call_command("backup", "--out", str(out_dir), stdout=io.StringIO())
    assert list(out_dir.iterdir()) == []
