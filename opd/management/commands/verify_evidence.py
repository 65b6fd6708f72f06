import hashlib
from pathlib import Path

from django.core.files.storage import default_storage
from django.core.management.base import BaseCommand, CommandError

from opd.models import EvidenceRevision


class Command(BaseCommand):
    help = (
        "Check every stored evidence file against its SHA-256; report missing, corrupted and "
        "orphaned files. Exits non-zero on any problem."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--fix-orphans", action="store_true", help="Delete files that no revision records."
        )

    def handle(self, *args, fix_orphans, **options):
        root = Path(default_storage.location)
        known, checked, missing, corrupted = set(), 0, [], []
        for pk, name, sha256, size in EvidenceRevision.objects.values_list(
            "pk", "file", "sha256", "size"
        ).iterator():
            checked += 1
            known.add(name)
            path = root / name
            if not path.is_file():
                missing.append((pk, name))
                continue
            digest = hashlib.sha256()
            with path.open("rb") as handle:
                for chunk in iter(lambda h=handle: h.read(1024 * 1024), b""):
                    digest.update(chunk)
            if digest.hexdigest() != sha256 or path.stat().st_size != size:
                corrupted.append((pk, name))
        orphans = []
        evidence_root = root / "evidence"
        if evidence_root.is_dir():
            for path in evidence_root.rglob("*"):
                if path.is_file() and str(path.relative_to(root)) not in known:
                    orphans.append(path)
        for pk, name in missing:
            self.stdout.write(f"MISSING   revision {pk}: {name}")
        for pk, name in corrupted:
            self.stdout.write(f"CORRUPTED revision {pk}: {name} (SHA-256 or size differs)")
        removed = 0
        for path in orphans:
            label = "temporary" if path.name.startswith(".upload-") else "orphan"
            if fix_orphans:
                path.unlink(missing_ok=True)
                removed += 1
                self.stdout.write(f"REMOVED   {label} file {path.relative_to(root)}")
            else:
                self.stdout.write(f"ORPHAN    {label} file {path.relative_to(root)}")
        ok = checked - len(missing) - len(corrupted)
        remaining_orphans = len(orphans) - removed
        self.stdout.write(
            f"checked {checked}, ok {ok}, missing {len(missing)}, corrupted {len(corrupted)}, "
            f"orphaned {len(orphans)}" + (f" (removed {removed})" if fix_orphans else "")
        )
        if missing or corrupted or remaining_orphans:
            raise CommandError("Evidence store has problems (see above).")
