"""Indonesian for strings whose translations still wait in a PO fragment.

New strings get their Indonesian in `locale/id/LC_MESSAGES/pending-small.po` until that
fragment is merged into django.po (several people edit the catalogue at once). The fixture
below compiles the catalogue plus the fragment into a temporary locale directory, so tests
can check the Indonesian a page shows before the merge. Once the fragment is merged and
gone, it changes nothing and the committed catalogue is used.
"""

import subprocess
from pathlib import Path

import pytest
from django.conf import settings

LC_MESSAGES = Path(settings.BASE_DIR) / "locale" / "id" / "LC_MESSAGES"
FRAGMENT = LC_MESSAGES / "pending-small.po"


@pytest.fixture(scope="session")
def _pending_locale(tmp_path_factory):
    if not FRAGMENT.exists():
        return None
    root = tmp_path_factory.mktemp("locale")
    target = root / "id" / "LC_MESSAGES"
    target.mkdir(parents=True)
    merged = target / "django.po"
    # The fragment first: where both define a msgid, its (newer) translation wins.
    catalogue = str(LC_MESSAGES / "django.po")
    subprocess.run(
        ["msgcat", "--use-first", "-o", str(merged), str(FRAGMENT), catalogue],
        check=True, timeout=60,
    )  # fmt: skip
    subprocess.run(
        ["msgfmt", "-o", str(target / "django.mo"), str(merged)], check=True, timeout=60
    )  # fmt: skip
    return root


@pytest.fixture
def pending_translations(_pending_locale, settings):
    """Use the catalogue with the pending fragment merged in (a no-op once it is merged)."""
    if _pending_locale is not None:
        # Changing LOCALE_PATHS makes Django drop its cached catalogues (setting_changed).
        settings.LOCALE_PATHS = [_pending_locale, *settings.LOCALE_PATHS]
