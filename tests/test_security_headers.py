"""Every page carries the security headers, and no template needs inline script or style.

The Content-Security-Policy forbids inline scripts and inline style attributes; the template
scan below keeps it that way (e-mail templates are exempt: mail clients need inline styles
and never see our CSP).
"""

import json
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.http import HttpResponse
from django.test import RequestFactory
from django.urls import reverse

from kla.security import CONTENT_SECURITY_POLICY, SecurityHeadersMiddleware

pytestmark = pytest.mark.django_db

TEMPLATES = Path(settings.BASE_DIR) / "templates"
EXPECTED_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "font-src 'self'; object-src 'none'; frame-src 'self'; frame-ancestors 'none'; "
    "base-uri 'self'; form-action 'self'"
)


def _assert_secure_headers(response):
    assert response["Content-Security-Policy"] == EXPECTED_CSP
    assert "camera=()" in response["Permissions-Policy"]
    assert "geolocation=()" in response["Permissions-Policy"]
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert response["X-Frame-Options"] == "DENY"


@pytest.mark.parametrize("name", ["login", "password_reset", "healthz"])
def test_public_pages_carry_the_headers(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 200
    _assert_secure_headers(response)


def test_logged_in_pages_carry_the_headers(client_for, opd_user, secretariat_user, period):
    for user, name in [(opd_user, "opd:workspace"), (secretariat_user, "kla:secretariat-home")]:
        response = client_for(user).get(reverse(name))
        assert response.status_code == 200, name
        _assert_secure_headers(response)


def test_not_found_page_carries_the_headers(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    _assert_secure_headers(response)


def test_a_response_with_its_own_policy_keeps_it():
    own = "default-src 'none'; sandbox"

    def view(request):
        response = HttpResponse(b"%PDF-1.4", content_type="application/pdf")
        response["Content-Security-Policy"] = own
        return response

    response = SecurityHeadersMiddleware(view)(RequestFactory().get("/"))
    assert response["Content-Security-Policy"] == own
    assert response["Permissions-Policy"]


def test_policy_constant_is_the_documented_one():
    assert CONTENT_SECURITY_POLICY == EXPECTED_CSP


def test_session_and_csrf_cookies_are_http_only_and_expire():
    assert settings.SESSION_COOKIE_HTTPONLY
    assert settings.CSRF_COOKIE_HTTPONLY
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE
    assert settings.SESSION_COOKIE_AGE <= 12 * 60 * 60
    assert settings.SESSION_COOKIE_SAMESITE == "Lax"


# --- Templates ---------------------------------------------------------------------------

SCRIPT_TAG = re.compile(r"<script\b([^>]*)>", re.IGNORECASE)
HANDLER_ATTR = re.compile(r"\son[a-z]+\s*=", re.IGNORECASE)
STYLE_ATTR = re.compile(r"\sstyle\s*=", re.IGNORECASE)
JS_URL = re.compile(r"""(href|src|action)\s*=\s*["']\s*javascript:""", re.IGNORECASE)


def _page_templates():
    files = sorted(TEMPLATES.rglob("*.html"))
    assert len(files) > 10, "the template scan found no templates"
    return [f for f in files if "emails" not in f.relative_to(TEMPLATES).parts]


def test_no_inline_scripts_or_event_handlers_in_templates():
    problems = []
    for path in _page_templates():
        text = path.read_text(encoding="utf-8")
        for match in SCRIPT_TAG.finditer(text):
            if "src=" not in match.group(1):
                problems.append(f"{path.relative_to(TEMPLATES)}: inline <script>")
        if HANDLER_ATTR.search(text):
            problems.append(f"{path.relative_to(TEMPLATES)}: on...= handler attribute")
        if JS_URL.search(text):
            problems.append(f"{path.relative_to(TEMPLATES)}: javascript: URL")
    assert problems == []


def test_no_inline_style_attributes_in_page_templates():
    offenders = [
        str(p.relative_to(TEMPLATES))
        for p in _page_templates()
        if STYLE_ATTR.search(p.read_text(encoding="utf-8"))
    ]
    assert offenders == []


def test_scan_catches_what_it_is_meant_to_catch():
    assert SCRIPT_TAG.search("<script>alert(1)</script>")
    assert "src=" not in SCRIPT_TAG.search("<script >x</script>").group(1)
    assert HANDLER_ATTR.search('<img src="x" onerror="alert(1)">')
    assert STYLE_ATTR.search('<div style="color:red">')
    assert not HANDLER_ATTR.search('<input name="once" data-once>')


# --- Production settings -----------------------------------------------------------------


def test_check_deploy_is_clean_with_production_environment(tmp_path):
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DEBUG"))},
        "DJANGO_SETTINGS_MODULE": "kla.settings",
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(64),
        "ALLOWED_HOSTS": "kla.example.go.id",
        "KLA_BASE_URL": "https://kla.example.go.id",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'deploy.sqlite3'}",
        "MEDIA_ROOT": str(tmp_path / "media"),
    }
    for name in ("SECURE_SSL_REDIRECT", "SECURE_COOKIES", "SECURE_HSTS_SECONDS"):
        env.pop(name, None)
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "no issues (0 silenced)" in output


# --- The visitor's address behind nginx --------------------------------------------------


def _address_seen(remote_addr: str, **headers) -> str:
    from kla.security import ProxiedClientAddressMiddleware

    seen = {}

    def view(request):
        seen["addr"] = request.META["REMOTE_ADDR"]
        return HttpResponse()

    request = RequestFactory().get("/", REMOTE_ADDR=remote_addr, **headers)
    ProxiedClientAddressMiddleware(view)(request)
    return seen["addr"]


@pytest.fixture
def local_proxy(settings):
    """nginx on the same machine, as the guide's environment file names it."""
    settings.KLA_TRUSTED_PROXIES = ["127.0.0.1", "::1"]


def test_real_ip_is_believed_from_no_one_by_default(settings):
    # Anything on the machine can reach gunicorn on loopback: without a named proxy, it
    # must not choose the address the reset limit and the login lockout count.
    assert settings.KLA_TRUSTED_PROXIES == []
    assert _address_seen("127.0.0.1", HTTP_X_REAL_IP="203.0.113.9") == "127.0.0.1"
    assert _address_seen("::1", HTTP_X_REAL_IP="2001:db8::7") == "::1"


def test_real_ip_from_the_named_proxy_is_believed(local_proxy):
    assert _address_seen("127.0.0.1", HTTP_X_REAL_IP="203.0.113.9") == "203.0.113.9"
    assert _address_seen("::1", HTTP_X_REAL_IP="2001:db8::7") == "2001:db8::7"


def test_real_ip_from_anyone_else_is_ignored(local_proxy):
    assert _address_seen("198.51.100.4", HTTP_X_REAL_IP="203.0.113.9") == "198.51.100.4"


def test_real_ip_that_is_not_an_address_is_ignored(local_proxy):
    assert _address_seen("127.0.0.1", HTTP_X_REAL_IP="1.2.3.4, 5.6.7.8") == "127.0.0.1"
    assert _address_seen("127.0.0.1") == "127.0.0.1"


def test_lockout_is_not_escaped_by_a_forged_real_ip_without_a_named_proxy(client, opd_user):
    from axes.models import AccessAttempt

    for n in range(2):
        client.post(
            reverse("login"),
            {"username": "opd", "password": "wrong-password"},
            REMOTE_ADDR="127.0.0.1",
            HTTP_X_REAL_IP=f"203.0.113.{n + 1}",
        )
    attempt = AccessAttempt.objects.get(username="opd")
    assert attempt.ip_address == "127.0.0.1"
    assert attempt.failures_since_start == 2


def test_audit_trail_and_lockout_see_the_visitor_behind_the_proxy(local_proxy, client, opd_user):
    from axes.models import AccessAttempt

    for _ in range(2):
        client.post(
            reverse("login"),
            {"username": "opd", "password": "wrong-password"},
            REMOTE_ADDR="127.0.0.1",
            HTTP_X_REAL_IP="203.0.113.9",
        )
    attempt = AccessAttempt.objects.get(username="opd")
    assert attempt.ip_address == "203.0.113.9"
    assert attempt.failures_since_start == 2


# --- In a real browser: the policy blocks nothing the pages need -------------------------


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_pages_run_under_the_policy_without_violations(live_server, page):
    from opd.models import Assignment, Profile
    from tests import factories

    unit = factories.UnitFactory(name="Dinas Kesehatan", short_name="Dinkes")
    question = factories.QuestionFactory(
        indicator__group__period=factories.PeriodFactory(year=2026)
    )
    factories.AssignmentFactory(question=question, unit=unit, role=Assignment.Role.LEAD)
    reviewer = factories.UserFactory(username="rina", role=Profile.Role.SECRETARIAT)
    violations = []
    page.on(
        "console",
        lambda message: (
            violations.append(message.text)
            if "Content Security Policy" in message.text or "Refused to" in message.text
            else None
        ),
    )
    page.goto(f"{live_server.url}/masuk/")
    page.fill("input[name=username]", reviewer.username)
    page.fill("input[name=password]", factories.PASSWORD)
    page.locator("form button[type=submit]").last.click()
    page.wait_for_url(f"{live_server.url}/sekretariat/")
    for path in [
        "/sekretariat/",
        "/opd/tinjauan/",
        "/pimpinan/",
        f"/opd/jawaban/{question.pk}/{unit.pk}/",
        "/no-such-page/",
    ]:
        page.goto(f"{live_server.url}{path}")
        page.wait_for_load_state("load")
    # The navbar's collapse and dropdown are Bootstrap JavaScript from our own origin.
    page.set_viewport_size({"width": 375, "height": 800})
    page.goto(f"{live_server.url}/sekretariat/")
    page.locator(".navbar-toggler").click()
    page.locator("#nav-main.show").wait_for()
    assert violations == []


def _settings_in_subprocess(tmp_path, **extra) -> subprocess.CompletedProcess:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DEBUG"))},
        "DJANGO_SETTINGS_MODULE": "kla.settings",
        "DEBUG": "1",
        "DATABASE_URL": f"sqlite:///{tmp_path / 's.sqlite3'}",
        **extra,
    }
    code = (
        "import django; django.setup(); from django.conf import settings; "
        "d = settings.STORAGES['default']; print(d['BACKEND'], d['OPTIONS'].get('bucket_name'), "
        "d['OPTIONS'].get('default_acl'), settings.KLA_X_ACCEL_REDIRECT_PREFIX)"
    )
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_evidence_storage_s3_is_private_and_needs_a_bucket(tmp_path):
    chosen = _settings_in_subprocess(
        tmp_path,
        EVIDENCE_STORAGE="s3",
        AWS_STORAGE_BUCKET_NAME="kla-evidence",
        KLA_X_ACCEL_REDIRECT_PREFIX="/_evidence/",
    )
    assert chosen.returncode == 0, chosen.stderr
    assert chosen.stdout.split() == [
        "storages.backends.s3.S3Storage",
        "kla-evidence",
        "private",
        "/_evidence/",
    ]
    no_bucket = _settings_in_subprocess(tmp_path, EVIDENCE_STORAGE="s3")
    assert no_bucket.returncode != 0
    assert "AWS_STORAGE_BUCKET_NAME" in no_bucket.stderr
    unknown = _settings_in_subprocess(tmp_path, EVIDENCE_STORAGE="ftp")
    assert unknown.returncode != 0
    assert "EVIDENCE_STORAGE must be" in unknown.stderr


def test_evidence_storage_defaults_to_the_private_directory(tmp_path):
    default = _settings_in_subprocess(tmp_path, MEDIA_ROOT=str(tmp_path / "ev"))
    assert default.returncode == 0, default.stderr
    assert default.stdout.split() == ["django.core.files.storage.FileSystemStorage", "None", "None"]


def _settings_values(tmp_path, *names, **extra) -> subprocess.CompletedProcess:
    """The named settings as JSON, read by a fresh process from the given environment."""
    env = {
        **{
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("DJANGO_", "DEBUG", "KLA_BASE_URL", "KLA_TRUSTED_PROXIES"))
        },
        "DJANGO_SETTINGS_MODULE": "kla.settings",
        "SECRET_KEY": secrets.token_urlsafe(64),
        "DATABASE_URL": f"sqlite:///{tmp_path / 's.sqlite3'}",
        **extra,
    }
    code = (
        "import json, django; django.setup(); from django.conf import settings; "
        f"print(json.dumps([getattr(settings, n) for n in {list(names)!r}]))"
    )
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_trusted_proxies_are_none_unless_configured(tmp_path):
    default = _settings_values(tmp_path, "KLA_TRUSTED_PROXIES", DEBUG="1")
    assert default.returncode == 0, default.stderr
    assert json.loads(default.stdout) == [[]]
    named = _settings_values(
        tmp_path,
        "KLA_TRUSTED_PROXIES",
        DEBUG="0",
        KLA_BASE_URL="https://kla.example.go.id",
        KLA_TRUSTED_PROXIES="127.0.0.1",
    )
    assert named.returncode == 0, named.stderr
    assert json.loads(named.stdout) == [["127.0.0.1"]]


def test_production_refuses_to_start_without_base_url(tmp_path):
    missing = _settings_values(tmp_path, "KLA_BASE_URL", DEBUG="0")
    assert missing.returncode != 0
    assert "KLA_BASE_URL must be set when DEBUG is off" in missing.stderr
    not_a_url = _settings_values(tmp_path, "KLA_BASE_URL", DEBUG="0", KLA_BASE_URL="kla.go.id")
    assert not_a_url.returncode != 0
    assert "KLA_BASE_URL must start with https://" in not_a_url.stderr
    named = _settings_values(
        tmp_path,
        "KLA_BASE_URL",
        "KLA_BASE_URL_FROM_REQUEST",
        DEBUG="0",
        KLA_BASE_URL="https://kla.example.go.id",
    )
    assert named.returncode == 0, named.stderr
    assert json.loads(named.stdout) == ["https://kla.example.go.id", False]


def test_development_without_base_url_follows_the_request(tmp_path):
    dev = _settings_values(tmp_path, "KLA_BASE_URL", "KLA_BASE_URL_FROM_REQUEST", DEBUG="1")
    assert dev.returncode == 0, dev.stderr
    assert json.loads(dev.stdout) == ["http://127.0.0.1:8000", True]
    named = _settings_values(
        tmp_path, "KLA_BASE_URL_FROM_REQUEST", DEBUG="1", KLA_BASE_URL="http://kla.lan"
    )
    assert json.loads(named.stdout) == [False]
