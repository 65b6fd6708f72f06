"""Error pages in the product's style, with DEBUG off, that never leak internals."""

import pytest
from django.conf import settings
from django.test import override_settings
from django.urls import reverse

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.urls_errors")]


@pytest.fixture
def english(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.fixture(autouse=True)
def _production(settings):
    settings.DEBUG = False


def test_unknown_url_renders_the_404_page_with_a_link_home(english):
    response = english.get("/no-such-page/")
    assert response.status_code == 404
    assert "404.html" in [t.name for t in response.templates]
    html = response.content.decode()
    assert "Page not found" in html
    assert f'href="{reverse("kla:home")}"' in html
    assert "css/kla.css" in html


def test_404_page_is_indonesian_by_default(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert '<html lang="id">' in response.content.decode()


def test_view_raising_renders_the_500_page_without_leaking_or_querying(
    english, django_assert_num_queries
):
    english.raise_request_exception = False
    # The 500 page must render when the database is the thing that broke: no queries at all.
    with django_assert_num_queries(0):
        response = english.get("/test-errors/500/")
    assert response.status_code == 500
    assert [t.name for t in response.templates] == ["500.html"]
    html = response.content.decode()
    assert "Something went wrong on our side" in html
    assert 'href="/"' in html
    # Self-contained: no static files (tests/test_reset_and_error_pages.py, without a manifest).
    assert "<style>" in html and "/static/" not in html
    assert "secret detail" not in html
    assert "/srv/kla" not in html
    assert "RuntimeError" not in html
    assert response["Content-Security-Policy"].startswith("default-src 'self'")


def test_permission_denied_renders_the_403_page(english):
    response = english.get("/test-errors/403/")
    assert response.status_code == 403
    assert "403.html" in [t.name for t in response.templates]
    assert "Not allowed" in response.content.decode()


def test_suspicious_request_renders_the_400_page(english):
    response = english.get("/test-errors/400/")
    assert response.status_code == 400
    assert "400.html" in [t.name for t in response.templates]
    html = response.content.decode()
    assert "Bad request" in html
    assert "deliberately suspicious" not in html


@override_settings(ALLOWED_HOSTS=["kla.example.go.id"])
def test_unknown_host_is_a_400_not_a_crash(client):
    response = client.get("/masuk/", HTTP_HOST="evil.example.com")
    assert response.status_code == 400
    assert "400.html" in [t.name for t in response.templates]


def test_wrong_method_is_a_plain_405(client):
    response = client.post(reverse("healthz"))
    assert response.status_code == 405
