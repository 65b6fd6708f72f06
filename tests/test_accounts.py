"""Accounts: login errors in Indonesian, lockout, password reset by email, logout, language."""

import re

import pytest
from django.core import mail
from django.core.management import call_command
from django.urls import reverse

from tests import factories

pytestmark = pytest.mark.django_db


def _login(client, username, password):
    return client.post(reverse("login"), {"username": username, "password": password})


def test_wrong_password_is_refused_in_indonesian_then_english(client):
    factories.UserFactory(username="dinkes")
    response = _login(client, "dinkes", "salah-sandi")
    assert (
        response.status_code == 200 and "benar" in response.content.decode()
    )  # Django's id catalogue
    client.post(reverse("set_language"), {"language": "en", "next": "/masuk/"})
    response = _login(client, "dinkes", "wrong-again")
    assert "correct" in response.content.decode()


def test_lockout_after_repeated_failures_even_with_the_right_password(client, settings):
    factories.UserFactory(username="dinkes")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _login(client, "dinkes", "salah")
    response = _login(client, "dinkes", factories.PASSWORD)
    assert response.status_code == 429
    assert "Terlalu banyak percobaan masuk" in response.content.decode()
    call_command("axes_reset", verbosity=0)
    assert _login(client, "dinkes", factories.PASSWORD).status_code == 302


def test_password_reset_by_email(client):
    user = factories.UserFactory(username="dinkes", email="dinkes@example.test")
    response = client.post(reverse("password_reset"), {"email": "dinkes@example.test"})
    assert response.status_code == 302 and len(mail.outbox) == 1
    link = re.search(r"https?://[^/]+(/akun/reset/\S+/)", mail.outbox[0].body).group(1)
    form_url = client.get(link, follow=True).redirect_chain[-1][0]
    response = client.post(
        form_url, {"new_password1": "Baru-Sekali-2027!", "new_password2": "Baru-Sekali-2027!"}
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password("Baru-Sekali-2027!")
    # Unknown addresses get the same page and no mail: nothing leaks about who has an account.
    assert (
        client.post(reverse("password_reset"), {"email": "nobody@example.test"}).status_code == 302
    )
    assert len(mail.outbox) == 1


def test_password_change_needs_login_and_logout_is_post_only(client_for, opd_user, client):
    assert client.get(reverse("password_change"))["Location"].startswith(reverse("login"))
    logged_in = client_for(opd_user)
    assert logged_in.get(reverse("logout")).status_code == 405
    assert logged_in.post(reverse("logout")).status_code == 302
    assert logged_in.get(reverse("kla:home"))["Location"].startswith(reverse("login"))


def test_language_defaults_to_indonesian_whatever_the_browser_says(client):
    response = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert (
        'lang="id"' in response.content.decode() and "Lupa kata sandi?" in response.content.decode()
    )
    client.post(reverse("set_language"), {"language": "en", "next": "/masuk/"})
    assert "Forgot your password?" in client.get(reverse("login")).content.decode()


def test_production_hashes_with_argon2_and_rewrites_an_older_hash_at_login(client, opd_user):
    """The production hasher list (the tests themselves hash with MD5, for speed): a password
    kept as PBKDF2 before the move to Argon2 still logs in, and is stored as Argon2 after."""
    from django.contrib.auth.hashers import PBKDF2PasswordHasher
    from django.test import override_settings

    from kla import settings as production

    assert production.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")
    older = PBKDF2PasswordHasher()
    opd_user.password = older.encode("kata-sandi-lama-2024", older.salt())
    opd_user.save(update_fields=["password"])
    with override_settings(PASSWORD_HASHERS=production.PASSWORD_HASHERS):
        response = client.post(
            reverse("login"),
            {"username": opd_user.username, "password": "kata-sandi-lama-2024"},
        )
    assert response.status_code == 302
    opd_user.refresh_from_db()
    assert opd_user.password.startswith("argon2$argon2id$")
