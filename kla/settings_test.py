"""Test settings: the real settings with fast hashing, captured mail and a private media dir.

The database comes from DATABASE_URL like everywhere else: `make test` points it at a
throwaway PostgreSQL cluster; `make test-fast` leaves it on SQLite.
"""

import os
import tempfile

os.environ.setdefault("DEBUG", "0")
os.environ.setdefault("SECRET_KEY", "test-secret-key-not-for-production")
# Production settings refuse to start without it; tests that read links set their own.
os.environ.setdefault("KLA_BASE_URL", "http://testserver")
# Ordinary tests never commit, so the data version would never move: the page cache is on
# only where a test asks for it (the page_cache fixture) and in the benchmark.
os.environ.setdefault("KLA_PAGE_CACHE_SECONDS", "0")
# Throwaway directories, made once by the run's main process: its pytest-xdist workers
# inherit them, and tests/conftest.py removes them at the end of the run.
for name, prefix in [
    ("MEDIA_ROOT", "kla-test-media-"),
    ("KLA_UPLOAD_SPOOL_DIR", "kla-test-spool-"),
    ("KLA_TUS_DIR", "kla-test-tus-"),
]:
    if name not in os.environ:
        os.environ[name] = tempfile.mkdtemp(prefix=prefix)

from kla.settings import *  # noqa: E402,F403
from kla.settings import STORAGES  # noqa: E402

ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
SECURE_HSTS_SECONDS = 0
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_AUTOREFRESH = True
AXES_FAILURE_LIMIT = 3

# Parallel test runs on one PostgreSQL cluster need distinct test database names.
if os.environ.get("KLA_TEST_DB_NAME"):
    DATABASES["default"]["TEST"] = {"NAME": os.environ["KLA_TEST_DB_NAME"]}  # noqa: F405
