"""The Indonesian catalogue covers every string the product shows.

makemessages runs on a copy of the sources, so the committed catalogue is not touched; a
string added without its translation (or left fuzzy by makemessages) fails here.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

from django.conf import settings

SKIP = shutil.ignore_patterns(
    ".venv",
    "node_modules",
    ".git",
    "var",
    "tests",
    "static",
    "staticfiles",
    "__pycache__",
    "*.mo",
    "*.pyc",
)


def test_every_string_has_an_indonesian_translation(tmp_path):
    copy = tmp_path / "src"
    shutil.copytree(settings.BASE_DIR, copy, ignore=SKIP)
    env = {**os.environ, "DEBUG": "1", "DJANGO_SETTINGS_MODULE": "kla.settings"}
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "id", "-v0"],
        cwd=copy,
        env=env,
        check=True,
        timeout=300,
    )
    po = Path(copy, "locale", "id", "LC_MESSAGES", "django.po")
    # Without the header's plural forms gettext falls back to English for every plural string
    # (seen once after fragments were merged with msgcat).
    assert '"Plural-Forms: nplurals=1; plural=0;\\n"' in po.read_text(), "catalogue header"
    stats = subprocess.run(
        ["msgfmt", "--statistics", "-o", os.devnull, str(po)],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stderr
    assert "translated" in stats
    if "untranslated" in stats or "fuzzy" in stats:
        missing = "".join(
            subprocess.run(
                ["msgattrib", flag, "--no-obsolete", "--no-location", str(po)],
                capture_output=True,
                text=True,
                check=True,
                timeout=60,
            ).stdout
            for flag in ("--untranslated", "--only-fuzzy")
        )
        raise AssertionError(
            f"{stats.strip()} Run `manage.py makemessages -l id` and translate:\n{missing}"
        )
