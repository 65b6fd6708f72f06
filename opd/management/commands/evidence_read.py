"""Read what existing evidence files say, for the verification risk: each stored PDF not read
yet (a file uploaded before reading existed, or while KLA_EVIDENCE_READ_SECONDS was 0) gets its
text layer, number and date (opd/uploads/reading.py), in the same limited child process as at
upload. Idempotent: a file read once is skipped, and the same bytes (one SHA-256) are read once
for every revision that holds them. --again reads every PDF anew (after installing OCR). One
progress line per file; a file that cannot be read is recorded with its reason, never an error.
"""

import shutil
import tempfile
from pathlib import Path

from django.core.management.base import BaseCommand

from opd.evidence import reading_fields
from opd.models import EvidenceRevision
from opd.uploads import TEMP_PREFIX, open_stored
from opd.uploads.isolation import read_isolated
from opd.uploads.reading import MISSING


class Command(BaseCommand):
    help = "Read the number and date of stored PDF evidence (text layer or OCR) for the risk."

    def add_arguments(self, parser):
        parser.add_argument("--again", action="store_true", help="Read files read before too.")

    def handle(self, *args, again=False, **options):
        pending = EvidenceRevision.objects.filter(content_type="application/pdf")
        if not again:
            pending = pending.filter(read_at__isnull=True)
        # One stored file per SHA-256: a registered document attached to twenty answers is
        # twenty revisions of the same bytes.
        files = {}
        for sha256, name in pending.order_by("pk").values_list("sha256", "file"):
            files.setdefault(sha256, name)
        total = len(files)
        self.stdout.write(f"{total} file(s) to read")
        counts = {"read": 0, "problem": 0}
        for index, (sha256, name) in enumerate(files.items(), start=1):
            reading = self._read(name)
            fields = reading_fields(reading)
            updated = pending.filter(sha256=sha256).update(**fields)
            said = reading["problem"] or (
                f"{reading['via']}: number {reading['number'] or '-'}, "
                f"date {reading['date'] or '-'}"
            )
            counts["problem" if reading["problem"] else "read"] += 1
            self.stdout.write(f"[{index}/{total}] {sha256[:12]} ({updated} revision(s)): {said}")
        self.stdout.write(f"done: {counts['read']} read, {counts['problem']} could not be read")

    def _read(self, name: str) -> dict:
        """The stored file copied to a local temporary file (it may live in a bucket), read."""
        try:
            source = open_stored(name)
        except FileNotFoundError:
            return {"text_layer": None, "number": "", "date": None, "via": "", "problem": MISSING}
        with source, tempfile.TemporaryDirectory(prefix=TEMP_PREFIX) as work:
            path = Path(work) / "file.pdf"
            with open(path, "wb") as out:
                shutil.copyfileobj(source, out, 1024 * 1024)
            return read_isolated(path, "pdf")
