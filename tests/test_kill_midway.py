"""A process killed with SIGKILL in the middle of an upload or a review leaves no half state."""

import datetime
import os
import signal
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from opd import services
from opd.models import Answer, AuditEvent, EvidenceRevision

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

CHILD = r"""
import os, sys, time, datetime
import django
django.setup()
from django.utils import timezone
timezone.localdate = lambda *a, **k: datetime.date(2026, 2, 10)
from django.db import transaction
from opd.models import Answer, Unit
from django.contrib.auth import get_user_model

mode, answer_id, user_id = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
answer = Answer.objects.get(pk=answer_id)
user = get_user_model().objects.get(pk=user_id)

class SlowUpload:
    name = "besar.pdf"
    size = None
    def seek(self, pos): pass
    def chunks(self, size):
        yield b"%PDF-1.4\n" + b"%" * (1024 * 1024)
        print("writing", flush=True)
        while True:  # never finishes: the parent kills us mid-file
            time.sleep(0.05)
            yield b"%" * 65536

if mode == "upload":
    from opd import evidence
    evidence.evidence_add_file(answer=answer, unit=answer.unit, user=user, uploaded_file=SlowUpload())
else:
    from opd import services
    with transaction.atomic():
        services.answer_approve(answer=answer, user=user, verified_points="3", reason="kurang")
        print("writing", flush=True)
        time.sleep(60)  # killed before the commit
"""


def _run_and_kill(mode, answer, user):
    db = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "kla.settings_test",
        "DATABASE_URL": f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
    }
    child = subprocess.Popen(  # noqa: S603
        [sys.executable, "-c", CHILD, mode, str(answer.pk), str(user.pk)],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = child.stdout.readline()
        assert line.strip() == "writing", child.stderr.read()
        time.sleep(0.3)
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=10)
    assert child.returncode == -signal.SIGKILL


@pytest.fixture(autouse=True)
def _inside_window(monkeypatch):
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: datetime.date(2026, 2, 10))


def test_killed_upload_leaves_only_an_orphan_that_verify_cleans(
    question, lead_unit, opd_user, capsys
):
    answer = services.answer_open(question=question, unit=lead_unit)
    _run_and_kill("upload", answer, opd_user)
    assert not EvidenceRevision.objects.exists()
    leftovers = [p for p in (Path(settings.MEDIA_ROOT) / "evidence").rglob("*") if p.is_file()]
    assert leftovers and all(p.name.startswith(".upload-") for p in leftovers)
    call_command("verify_evidence", "--fix-orphans")
    call_command("verify_evidence")  # now clean: exits 0
    assert "missing 0, corrupted 0, orphaned 0" in capsys.readouterr().out


def test_killed_review_changes_nothing(question, lead_unit, secretariat_user):
    answer = services.answer_open(question=question, unit=lead_unit)
    Answer.objects.filter(pk=answer.pk).update(status="submitted", claimed_points=Decimal("8"))
    _run_and_kill("review", answer, secretariat_user)
    answer.refresh_from_db()
    assert (answer.status, answer.verified_points, answer.version) == ("submitted", None, 1)
    assert not AuditEvent.objects.filter(action="answer.approve").exists()
    call_command("verify_evidence")
