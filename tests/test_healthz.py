"""/healthz answers 200 when the database and the evidence storage work, 503 otherwise,
and never tells an anonymous caller more than which check failed."""

import json

import pytest
from django.core.files.storage import default_storage
from django.db import OperationalError, connection
from django.test import override_settings
from django.urls import reverse

pytestmark = pytest.mark.django_db


def _get(client):
    return client.get(reverse("healthz"))


def test_healthy_instance_answers_ok_without_login(client):
    response = _get(client)
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"]


def test_probe_file_is_removed(client, settings):
    _get(client)
    assert default_storage.listdir(".healthz")[1] == []


def test_only_get(client):
    assert client.post(reverse("healthz")).status_code == 405


def test_broken_storage_gives_503_without_details(client, tmp_path, settings):
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("a file where the evidence directory should be")
    broken = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(blocker / "evidence"), "base_url": None},
        },
    }
    # Changing STORAGES resets default_storage (Django's setting_changed receiver).
    with override_settings(STORAGES=broken, MEDIA_ROOT=blocker / "evidence"):
        response = _get(client)
    assert response.status_code == 503
    body = response.json()
    assert body == {"status": "error", "checks": {"database": "ok", "storage": "error"}}
    raw = response.content.decode()
    assert str(tmp_path) not in raw
    assert "Error" not in raw  # no exception class names or messages


def test_broken_database_gives_503_without_details(db, client, monkeypatch):
    def refuse(*args, **kwargs):
        raise OperationalError("could not connect to server at 10.0.0.5: secret detail")

    monkeypatch.setattr(connection, "cursor", refuse)
    response = _get(client)
    monkeypatch.undo()
    assert response.status_code == 503
    body = json.loads(response.content)
    assert body == {"status": "error", "checks": {"database": "error", "storage": "ok"}}
    assert b"10.0.0.5" not in response.content
    assert b"secret" not in response.content
