"""Password reset links and limits; the CSRF failure page; the 500 page without static files.

- The reset link starts with settings.KLA_BASE_URL whatever Host the request came with.
- At most KLA_PASSWORD_RESET_PER_ADDRESS reset mails per address and
  KLA_PASSWORD_RESET_PER_IP requests per client address go out in an hour, counted in the
  audit trail; over a limit the visitor sees the usual page and no mail goes out.
- A form sent without a valid CSRF token gets the product's page, in Indonesian.
- The 500 page renders with the manifest static storage and no manifest.
"""

import base64
import hashlib
import re
from datetime import timedelta

import pytest
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core import mail
from django.db.models import F
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import translation

from kla.views_errors import server_error
from opd.models import AuditEvent
from tests import factories

pytestmark = pytest.mark.django_db
RESET = "/akun/reset/"
ADDRESS = "dinkes@example.test"


@pytest.fixture
def dinkes(db):
    return factories.UserFactory(username="dinkes", email=ADDRESS)


def _ask(client, email, ip="127.0.0.1", **extra):
    response = client.post(RESET, {"email": email}, REMOTE_ADDR=ip, **extra)
    # Always the same answer: nothing tells whether the address has an account or hit a limit.
    assert response.status_code == 302 and response["Location"] == reverse("password_reset_done")
    return response


def _an_hour_passes():
    AuditEvent.objects.filter(action=AuditEvent.Action.PASSWORD_RESET_REQUEST).update(
        created_at=F("created_at") - timedelta(minutes=61)
    )


# --- The link ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("base", "start"),
    [
        ("https://kla.example.go.id", "https://kla.example.go.id/akun/reset/"),
        ("http://127.0.0.1:8000/", "http://127.0.0.1:8000/akun/reset/"),
    ],
)
def test_reset_link_starts_with_kla_base_url_whatever_the_host(
    client, settings, dinkes, base, start
):
    settings.KLA_BASE_URL = base
    # evil.example is an allowed host here: the Host header gets through, and still does not
    # decide where the link points.
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "evil.example"]
    _ask(client, ADDRESS, HTTP_HOST="evil.example")
    (message,) = mail.outbox
    links = re.findall(r"https?://\S+", message.body)
    assert len(links) == 1 and links[0].startswith(start)
    assert "evil.example" not in message.body
    # And the link works.
    form_url = client.get(links[0].removeprefix(base.rstrip("/")), follow=True).redirect_chain
    assert form_url[-1][0].endswith("/set-password/")


# --- The limits ----------------------------------------------------------------------------


def test_fourth_mail_for_one_address_within_the_hour_is_not_sent(client, dinkes):
    for _ in range(3):
        _ask(client, ADDRESS)
    assert len(mail.outbox) == 3
    _ask(client, ADDRESS.upper())  # the same address, however it is written
    assert len(mail.outbox) == 3
    _an_hour_passes()
    _ask(client, ADDRESS)
    assert len(mail.outbox) == 4


def test_eleventh_request_from_one_client_within_the_hour_sends_nothing(client, dinkes):
    for n in range(10):
        _ask(client, f"nobody{n}@example.test", ip="203.0.113.7")
    assert mail.outbox == []
    _ask(client, ADDRESS, ip="203.0.113.7")  # first request for this address, 11th from here
    assert mail.outbox == []
    _ask(client, ADDRESS, ip="198.51.100.2")  # another client is not held back
    assert len(mail.outbox) == 1
    _an_hour_passes()
    _ask(client, ADDRESS, ip="203.0.113.7")
    assert len(mail.outbox) == 2


def test_the_limits_are_settings(client, settings, dinkes):
    settings.KLA_PASSWORD_RESET_PER_ADDRESS = 1
    _ask(client, ADDRESS)
    _ask(client, ADDRESS)
    assert len(mail.outbox) == 1
    settings.KLA_PASSWORD_RESET_PER_ADDRESS = 10
    settings.KLA_PASSWORD_RESET_PER_IP = 2
    _ask(client, ADDRESS)
    assert len(mail.outbox) == 1  # the client's third request


def test_requests_are_in_the_audit_trail_without_the_address(client, dinkes):
    for _ in range(4):
        _ask(client, ADDRESS, ip="203.0.113.7")
    events = AuditEvent.objects.filter(action=AuditEvent.Action.PASSWORD_RESET_REQUEST)
    assert events.count() == 4
    assert {e.ip_address for e in events} == {"203.0.113.7"}
    assert [e.data["limited"] for e in events.order_by("pk")] == [False, False, False, True]
    assert all(ADDRESS not in str(e.data) + e.summary for e in events)
    assert len({e.data["address"] for e in events}) == 1


def test_requests_over_the_client_limit_are_not_recorded(client, settings, dinkes):
    """Else one client could grow the audit trail without end."""
    settings.KLA_PASSWORD_RESET_PER_IP = 2
    for _ in range(5):
        _ask(client, ADDRESS)
    assert AuditEvent.objects.filter(action=AuditEvent.Action.PASSWORD_RESET_REQUEST).count() == 2


# --- The CSRF failure page -----------------------------------------------------------------


def test_csrf_failure_is_the_products_page_in_indonesian(db):
    client = Client(enforce_csrf_checks=True)
    response = client.post(reverse("login"), {"username": "dinkes", "password": "x"})
    assert response.status_code == 403
    assert "403_csrf.html" in [t.name for t in response.templates]
    html = response.content.decode()
    assert '<html lang="id">' in html
    assert "Formulir ini sudah kedaluwarsa" in html
    assert "muat ulang halaman" in html
    assert f'href="{reverse("kla:home")}"' in html and "css/kla.css" in html
    assert "CSRF verification failed" not in html and "Forbidden" not in html


def test_csrf_failure_page_follows_the_readers_language(db, settings):
    client = Client(enforce_csrf_checks=True)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.post(RESET, {"email": ADDRESS})
    assert response.status_code == 403
    assert "This form has expired" in response.content.decode()
    assert mail.outbox == []


# --- The 500 page without static files -----------------------------------------------------


@pytest.fixture
def no_manifest(settings, tmp_path):
    """Production's static storage before (or without) collectstatic: no manifest at all."""
    settings.DEBUG = False
    settings.STATIC_ROOT = str(tmp_path / "static-empty")
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    # The situation is real: here every {% static %} raises.
    with pytest.raises(ValueError, match="manifest"):
        staticfiles_storage.url("css/kla.css")


def _assert_server_error_page(response):
    assert response.status_code == 500
    html = response.content.decode()
    assert "Terjadi kesalahan di sisi kami" in html  # Indonesian first
    assert "Server error: something went wrong on our side" in html  # and one English line
    assert 'href="/"' in html and "/static/" not in html
    assert "deliberate failure" not in html
    # The inline style is allowed by its hash, and nothing else inline is.
    (css,) = re.findall(r"<style>(.*?)</style>", html, re.DOTALL)
    digest = base64.b64encode(hashlib.sha256(css.encode()).digest()).decode()
    policy = response["Content-Security-Policy"]
    assert f"style-src 'self' 'sha256-{digest}'" in policy
    assert "unsafe-inline" not in policy and "script-src 'self'" in policy


@pytest.mark.urls("tests.urls_errors")
@pytest.mark.usefixtures("no_manifest")
def test_500_page_renders_without_collected_static_files(django_assert_num_queries):
    client = Client(raise_request_exception=False)
    with django_assert_num_queries(0):
        response = client.get("/test-errors/500/")
    assert [t.name for t in response.templates] == ["500.html"]
    _assert_server_error_page(response)


@pytest.mark.usefixtures("no_manifest")
def test_handler500_is_the_self_contained_page():
    from kla import site_urls as urls

    assert urls.handler500 == "kla.views_errors.server_error"
    with translation.override("id"):
        _assert_server_error_page(server_error(RequestFactory().get("/")))
