"""Settings for the KLA dashboard, read from the environment.

Every deployment knob is an environment variable documented in README.md. The defaults
are for trying the product out on one machine: SQLite under var/, DEBUG on.
"""

from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from core.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("KLA_VAR_DIR", str(BASE_DIR / "var")))

DEBUG = env_bool("DEBUG", False)

_DEV_SECRET_KEY = "dev-only-insecure-key-do-not-use-in-production"  # noqa: S105
SECRET_KEY = env_str("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY must be set when DEBUG is off. "
            "Set DEBUG=1 for local development or export a long random SECRET_KEY."
        )
    SECRET_KEY = _DEV_SECRET_KEY

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
# Peers whose X-Real-IP header is believed: none unless named. Anything on the machine can
# reach gunicorn on loopback, so trusting loopback by default would let it choose the address
# the reset limit and the login lockout count. The guide names nginx's: docs/deploy.md.
KLA_TRUSTED_PROXIES = env_list("KLA_TRUSTED_PROXIES", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "crispy_forms",
    "crispy_bootstrap5",
    "axes",
    "core",
    "indicators",
    "opd",
    "kla",
]

MIDDLEWARE = [
    # First: everything after it (audit trail, axes) sees the visitor's address, not nginx's.
    "kla.security.ProxiedClientAddressMiddleware",
    # Development without KLA_BASE_URL: links in mail follow the address being served.
    "core.links.RequestSiteUrlMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Content-Security-Policy and Permissions-Policy (kla/security.py; docs/security.md).
    "kla.security.SecurityHeadersMiddleware",
    # Before whitenoise, so static files carry X-Frame-Options like every other response.
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "kla.middleware.LanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # The page cache's numbers read once per GET request (core/page_cache.py).
    "core.page_cache.RequestNumbersMiddleware",
    # Axes must come last: it inspects the outcome of authentication.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "kla.site_urls"
WSGI_APPLICATION = "kla.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "kla.context_processors.navigation",
            ],
            # Every template writes numbers and dates through core.formats.
            "builtins": ["core.templatetags.kla_format"],
        },
    },
]

# Database: SQLite under var/ for a trial, PostgreSQL (postgres://...) in production.
DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'kla.sqlite3'}")
DATABASES = {
    "default": dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 60))
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Concurrent writers queue instead of failing with "database is locked". A deferred
    # transaction that reads first and writes later cannot wait for the lock (SQLite answers
    # SQLITE_BUSY at once to avoid a deadlock), so every transaction takes the write lock when
    # it begins; the busy timeout is how long it waits for it. WAL lets reads go on meanwhile.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    if DATABASES["default"]["NAME"] not in ("", ":memory:"):
        Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    # Django's ModelBackend, reading the profile with the user (kla/auth.py).
    "kla.auth.UserBackend",
]
# Argon2 first, as Django's documentation recommends: memory-hard (100 MiB a check, which
# graphics cards cannot spread over thousands of cores as they do PBKDF2) and half the CPU of
# PBKDF2 at Django 5.2's 1,000,000 iterations: 115 ms against 233 ms a login on this project's
# machine, which counts when the whole district logs in on the March mornings. The others stay
# to read older hashes, which Django rewrites as Argon2 at the account's next login.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "kla:home"
LOGOUT_REDIRECT_URL = "login"

# Lock an account+address out after repeated failures; an admin clears it (axes_reset).
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = env_int("AXES_COOLOFF_HOURS", 1)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_TEMPLATE = "registration/lockout.html"
AXES_RESET_ON_SUCCESS = True

LANGUAGE_CODE = "id"
LANGUAGES = [("id", _("Bahasa Indonesia")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env_str("TIME_ZONE", "Asia/Jakarta")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [
    BASE_DIR / "static",
    # Front-end packages come from npm (package-lock.json), served as our own static files.
    ("vendor/bootstrap", BASE_DIR / "node_modules" / "bootstrap" / "dist"),
    ("vendor/bootstrap-icons", BASE_DIR / "node_modules" / "bootstrap-icons" / "font"),
]

# Evidence is private: it lives outside STATIC_ROOT and has no public URL. Files are served
# only by views that check access.
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "evidence")))
# No MEDIA_URL on purpose: evidence has no public address.
# EVIDENCE_STORAGE=s3 keeps evidence in an S3-compatible bucket instead (MinIO, a cloud
# provider's object storage). It needs the optional extra: pip install '.[s3]'.
EVIDENCE_STORAGE = env_str("EVIDENCE_STORAGE", "filesystem")
if EVIDENCE_STORAGE == "s3":
    from botocore.config import Config as _botocore_config

    _EVIDENCE_STORAGE = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env_str("AWS_STORAGE_BUCKET_NAME", ""),
            "endpoint_url": env_str("AWS_S3_ENDPOINT_URL", "") or None,
            "region_name": env_str("AWS_S3_REGION_NAME", "") or None,
            "access_key": env_str("AWS_ACCESS_KEY_ID", "") or None,
            "secret_key": env_str("AWS_SECRET_ACCESS_KEY", "") or None,
            "location": env_str("AWS_LOCATION", ""),
            # Private objects, never overwritten, reached only through short signed URLs.
            "default_acl": "private",
            "file_overwrite": False,
            "querystring_auth": True,
            "querystring_expire": env_int("AWS_QUERYSTRING_EXPIRE", 60),
            # A bucket out of reach must fail a request within gunicorn's timeout, with the
            # "try again" message, not hang it (botocore's defaults: 60 s a try, 5 tries).
            "client_config": _botocore_config(
                connect_timeout=env_int("AWS_S3_CONNECT_TIMEOUT", 5),
                read_timeout=env_int("AWS_S3_READ_TIMEOUT", 30),
                retries={"mode": "standard", "max_attempts": 3},
            ),
        },
    }
    if not _EVIDENCE_STORAGE["OPTIONS"]["bucket_name"]:
        raise ImproperlyConfigured("EVIDENCE_STORAGE=s3 needs AWS_STORAGE_BUCKET_NAME.")
elif EVIDENCE_STORAGE == "filesystem":
    _EVIDENCE_STORAGE = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(MEDIA_ROOT), "base_url": None},
    }
else:
    raise ImproperlyConfigured("EVIDENCE_STORAGE must be 'filesystem' or 's3'.")
STORAGES = {
    "default": _EVIDENCE_STORAGE,
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "kla.static_storage.StaticStorage"
        ),
    },
}
EVIDENCE_MAX_UPLOAD_BYTES = env_int("EVIDENCE_MAX_UPLOAD_MB", 20) * 1024 * 1024
# Behind nginx: evidence downloads answer with X-Accel-Redirect under this internal prefix
# (e.g. /_evidence/, aliased to MEDIA_ROOT); empty: Django streams the file (docs/deploy.md).
KLA_X_ACCEL_REDIRECT_PREFIX = env_str("KLA_X_ACCEL_REDIRECT_PREFIX", "")
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
# Larger uploads are spooled to a file while the request is read; Django deletes it after the
# request, but a killed worker leaves it behind. A directory of our own (not /tmp) lets
# verify_evidence report and remove such leftovers without touching anybody else's files.
FILE_UPLOAD_TEMP_DIR = env_str("KLA_UPLOAD_SPOOL_DIR", str(VAR_DIR / "upload-spool"))
Path(FILE_UPLOAD_TEMP_DIR).mkdir(parents=True, exist_ok=True)
# Resumable (tus) uploads from the answer page (opd/tus.py): their bytes wait here until the
# last one arrives. On the evidence's file system, a finished upload is linked into place
# rather than copied. Abandoned uploads expire KLA_TUS_EXPIRY_HOURS after their last piece
# (tus_cleanup removes them); a person has at most KLA_TUS_MAX_ACTIVE unfinished at once.
KLA_TUS_DIR = env_str("KLA_TUS_DIR", str(VAR_DIR / "tus"))
KLA_TUS_EXPIRY_HOURS = env_int("KLA_TUS_EXPIRY_HOURS", 24)
KLA_TUS_MAX_ACTIVE = env_int("KLA_TUS_MAX_ACTIVE", 10)
# Where the nightly `backup` writes its archives (its default --out): verify_evidence reports
# what a killed backup left there (core/backup_files.py). Empty: no default, nothing checked.
KLA_BACKUP_DIR = env_str("KLA_BACKUP_DIR", "")
# The browser sends a file in pieces of this size (a lost connection costs at most one piece;
# nginx's client_max_body_size must be larger) and shrinks photos to about this many
# megapixels before sending them (0: sent as taken).
KLA_TUS_CHUNK_BYTES = env_int("KLA_TUS_CHUNK_KB", 1024) * 1024
KLA_PHOTO_MAX_MEGAPIXELS = float(env_str("KLA_PHOTO_MAX_MEGAPIXELS", "2") or 0)
# The content check of a PDF or office document runs in a child process with this much
# address space and this many seconds (opd/uploads/isolation.py): a file that needs more is
# refused as too complex, and the web worker keeps its memory. Images with more pixels than
# this are refused at upload, and never decoded by the entry kit or shown as previews.
KLA_CONTENT_CHECK_MEMORY_MB = env_int("KLA_CONTENT_CHECK_MEMORY_MB", 512)
KLA_CONTENT_CHECK_SECONDS = env_int("KLA_CONTENT_CHECK_SECONDS", 15)
# Reading an accepted PDF's number and date (its text layer, or OCR of a scan's first page) for
# the verification risk, in the same kind of child process, at most this many seconds a file.
# The scheduled `manage.py evidence_read` reads new files every five minutes: read at upload,
# a PDF waited 200 ms more and the March rush's server spent a quarter more CPU a request
# (make load), for a verdict the unit reads minutes later anyway. KLA_EVIDENCE_READ_AT_UPLOAD
# reads at once instead, for a small district with CPU to spare.
KLA_EVIDENCE_READ_SECONDS = env_int("KLA_EVIDENCE_READ_SECONDS", 20)
KLA_EVIDENCE_READ_AT_UPLOAD = env_bool("KLA_EVIDENCE_READ_AT_UPLOAD", False)
KLA_IMAGE_MAX_MEGAPIXELS = env_int("KLA_IMAGE_MAX_MEGAPIXELS", 50)

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Gugus Tugas KLA <kla@localhost>")

# The district this installation serves; shown in headers and reports.
KLA_DISTRICT_NAME = env_str("KLA_DISTRICT_NAME", "Kabupaten Tanjung Jabung Barat")
# Who signs the progress report for the task force (its secretariat's head), and their name.
KLA_SIGNATORY_TITLE = env_str(
    "KLA_SIGNATORY_TITLE", "Kepala Dinas P3AP2KB selaku Sekretariat Gugus Tugas KLA"
)
KLA_SIGNATORY_NAME = env_str("KLA_SIGNATORY_NAME", "")
KLA_SIGNATURE_PLACE = env_str("KLA_SIGNATURE_PLACE", "Kuala Tungkal")
# Absolute links in mail (password links, answer links) and in the WhatsApp summary start
# with this address (core/links.py). Production must name it: a wrong default would send
# every recipient to 127.0.0.1. Development without it follows the address being served.
KLA_BASE_URL = env_str("KLA_BASE_URL", "").strip()
KLA_BASE_URL_FROM_REQUEST = False
if not KLA_BASE_URL:
    if not DEBUG:
        raise ImproperlyConfigured(
            "KLA_BASE_URL must be set when DEBUG is off: the address people open, "
            "e.g. https://kla.example.go.id. Links in mail and the WhatsApp summary start with it."
        )
    KLA_BASE_URL = "http://127.0.0.1:8000"
    KLA_BASE_URL_FROM_REQUEST = True
elif not KLA_BASE_URL.startswith(("https://", "http://")):
    raise ImproperlyConfigured(f"KLA_BASE_URL must start with https://, got {KLA_BASE_URL!r}.")
# Password reset mails per address, and reset requests per client address, in an hour
# (kla/password_reset.py): the form must not serve to flood a mailbox or our mail server.
KLA_PASSWORD_RESET_PER_ADDRESS = env_int("KLA_PASSWORD_RESET_PER_ADDRESS", 3)
KLA_PASSWORD_RESET_PER_IP = env_int("KLA_PASSWORD_RESET_PER_IP", 10)

# Rendered dashboards, workspace and review queue are cached until the data under them
# changes (core/page_cache.py); 0 turns the cache off. The cache is kept in each process, not
# in Django's cache framework (which nothing uses): correctness does not depend on sharing it,
# because the data version lives in the database.
KLA_PAGE_CACHE_SECONDS = env_int("KLA_PAGE_CACHE_SECONDS", 300)
# The rendered fragments each process keeps, at most (the oldest go first).
KLA_CACHE_MAX_ENTRIES = env_int("KLA_CACHE_MAX_ENTRIES", 500)

# A working day, and the session ends with the browser: office PCs are shared.
# Django's database sessions, read in one written-out query (kla/sessions.py).
SESSION_ENGINE = "kla.sessions"
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 8 * 60 * 60)
SESSION_EXPIRE_AT_BROWSER_CLOSE = env_bool("SESSION_EXPIRE_AT_BROWSER_CLOSE", True)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"
# A stale form gets the product's page in the reader's language, not Django's English one.
CSRF_FAILURE_VIEW = "kla.views_errors.csrf_failure"
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"
# No page may be framed; the evidence preview response alone allows its own origin
# (opd/evidence.py), because reviewers see PDFs in a same-origin iframe.
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    # The load balancer's health check may speak plain HTTP to gunicorn.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    # nginx terminates TLS and must set (not pass through) X-Forwarded-Proto.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", True)
    CSRF_COOKIE_SECURE = env_bool("SECURE_COOKIES", True)
    LANGUAGE_COOKIE_SECURE = env_bool("SECURE_COOKIES", True)
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    # WeasyPrint and fontTools narrate every PDF at INFO; only their problems matter.
    "loggers": {
        "axes": {"level": "WARNING"},
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
        # pikepdf announces qpdf's version at import; the upload checks log their own refusals.
        "pikepdf": {"level": "WARNING"},
    },
}
