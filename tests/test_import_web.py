"""The instrument import in the browser flow: check first, confirm second, never a path."""

from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from indicators.models import Question
from opd.models import AuditEvent

pytestmark = pytest.mark.django_db
INSTRUMENT = Path(settings.BASE_DIR) / "fixtures" / "instrument-2024.json"


def test_check_then_confirm(client_for, secretariat_user, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    client = client_for(secretariat_user)
    with INSTRUMENT.open("rb") as f:
        response = client.post(reverse("instrument-import"), {"file": f, "year": 2024})
    html = response.content.decode()
    assert 'data-testid="import-report"' in html and "274" in html and "1000" in html
    assert Question.objects.count() == 0  # checked only
    response = client.post(reverse("instrument-import-confirm"))
    assert response.status_code == 302 and response["Location"] == reverse(
        "indicators:period-detail", args=[2024]
    )
    assert Question.objects.count() == 274
    assert AuditEvent.objects.filter(action="instrument.import").count() == 1
    # The staged file is used once and removed.
    assert client.post(reverse("instrument-import-confirm")).status_code == 302
    assert list((tmp_path / "imports").iterdir()) == []


def test_broken_file_shows_problems_and_changes_nothing(
    client_for, secretariat_user, settings, tmp_path
):
    settings.VAR_DIR = tmp_path
    bad = tmp_path / "rusak.xlsx"
    bad.write_bytes(b"bukan zip")
    with bad.open("rb") as f:
        response = client_for(secretariat_user).post(
            reverse("instrument-import"), {"file": f, "year": 2024}
        )
    assert 'data-testid="import-problems"' in response.content.decode()
    assert Question.objects.count() == 0


def test_template_download_round_trips(client_for, secretariat_user, settings, tmp_path):
    from indicators.importers import parse_file

    response = client_for(secretariat_user).get(reverse("instrument-import-template"))
    path = tmp_path / "t.xlsx"
    path.write_bytes(response.content)
    parsed = parse_file(path)  # a readable workbook with the right sheet and columns...
    assert [e.message for e in parsed.errors] == ["The file holds no groups."]  # ...and no rows
