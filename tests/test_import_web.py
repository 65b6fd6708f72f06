"""The instrument import in the browser: check first, confirm second, never a client's path."""

import io
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from indicators.importers import COLUMNS, parse_file
from indicators.models import Group, Indicator, Period, Question
from kla.views_import import SESSION_KEY
from opd.models import Assignment, AuditEvent, Unit

pytestmark = pytest.mark.django_db
INSTRUMENT = Path(settings.BASE_DIR) / "fixtures" / "instrument-2024.json"
if not INSTRUMENT.exists():  # pragma: no cover - a checkout without the copy
    INSTRUMENT = Path(settings.BASE_DIR).parent / "shared/kla-reference/instrument-2024.json"

UPLOAD = reverse("kla:instrument-import")
CONFIRM = reverse("kla:instrument-import-confirm")
TEMPLATE = reverse("kla:instrument-import-template")


@pytest.fixture(autouse=True)
def _private_var_dir(settings, tmp_path):
    """Staged uploads go to this test's own directory."""
    settings.VAR_DIR = tmp_path / "var"


def _staged_files():
    folder = Path(settings.VAR_DIR) / "imports"
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def _counts():
    return [m.objects.count() for m in (Period, Group, Indicator, Question, Unit, Assignment)]


def _upload(client, content: bytes, name="instrumen.json", year=2024, *, map_new=True):
    """Check a file; where its unit names match no unit, answer the mapping step by creating
    each one (the secretariat's explicit choice on a first import)."""
    response = client.post(UPLOAD, {"file": SimpleUploadedFile(name, content), "year": year})
    report = response.context and response.context.get("report")
    if map_new and report and report.unmapped:
        choices = {"action": "map"}
        for i, item in enumerate(report.unmapped):
            choices |= {f"name-{i}": item.name, f"unit-{i}": "new"}
        response = client.post(UPLOAD, choices)
    return response


# --- Permission matrix ----------------------------------------------------------------------

ALLOWED = {"secretariat", "admin"}
REQUESTS = [("get", UPLOAD), ("post", UPLOAD), ("post", CONFIRM), ("get", TEMPLATE)]


@pytest.mark.parametrize(("method", "url"), REQUESTS)
@pytest.mark.parametrize(
    "persona", ["anonymous", "opd", "other_opd", "support", "executive", "secretariat", "admin"]
)
def test_permission_matrix(personas, client_for, persona, method, url):
    client = client_for(personas[persona])
    response = getattr(client, method)(url)
    if persona == "anonymous":
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
    elif persona not in ALLOWED:
        assert response.status_code == 403
    elif method == "get":
        assert response.status_code == 200
    elif url == UPLOAD:  # an empty form: shown again with its errors
        assert response.status_code == 200 and response.context["form"].errors
    else:  # nothing staged: back to the upload page
        assert response.status_code == 302 and response["Location"] == UPLOAD


@pytest.mark.parametrize("persona", ["opd", "executive"])
def test_others_cannot_confirm_a_staged_import(personas, client_for, secretariat_user, persona):
    """A staged import belongs to the session that checked it; others get 403 anyway."""
    client = client_for(secretariat_user)
    _upload(client, INSTRUMENT.read_bytes())
    client = client_for(personas[persona])
    assert client.post(CONFIRM).status_code == 403
    assert Question.objects.count() == 0


def test_wrong_methods(client_for, secretariat_user):
    client = client_for(secretariat_user)
    assert client.get(CONFIRM).status_code == 405
    assert client.post(TEMPLATE).status_code == 405


# --- The flow -------------------------------------------------------------------------------


def test_check_then_confirm(client_for, secretariat_user):
    client = client_for(secretariat_user)
    response = _upload(client, INSTRUMENT.read_bytes())
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="import-report"' in html and 'data-testid="import-confirm"' in html
    report = response.context["report"]
    assert (report.groups, report.indicators, report.questions, report.max_points) == (
        7,
        31,
        274,
        Decimal("1000.00"),
    )
    assert report.created["questions"] == 274 and not report.applied
    assert len(report.warnings) == 3
    assert "KLASTER I" in html and "115.00" in html and "1000.00" in html
    assert Question.objects.count() == 0 and Period.objects.count() == 0  # checked only
    assert len(_staged_files()) == 1
    assert _staged_files()[0].startswith("instrument-")

    response = client.post(CONFIRM)
    assert response.status_code == 302
    assert response["Location"] == reverse("kla:period-detail", args=[2024])
    assert Question.objects.count() == 274
    event = AuditEvent.objects.get(action=AuditEvent.Action.INSTRUMENT_IMPORT)
    assert event.actor == secretariat_user
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert any("274" in str(m) for m in page.context["messages"])
    # The staged file is used once and removed.
    assert _staged_files() == []
    again = client.post(CONFIRM)
    assert again.status_code == 302 and again["Location"] == UPLOAD
    assert Question.objects.count() == 274


def test_checking_again_reports_nothing_to_change(client_for, secretariat_user):
    client = client_for(secretariat_user)
    _upload(client, INSTRUMENT.read_bytes())
    client.post(CONFIRM)
    report = _upload(client, INSTRUMENT.read_bytes()).context["report"]
    assert report.created == {"groups": 0, "indicators": 0, "questions": 0}
    assert report.updated == {"groups": 0, "indicators": 0, "questions": 0}
    assert not report.changed


def test_a_new_check_replaces_the_staged_file(client_for, secretariat_user):
    client = client_for(secretariat_user)
    _upload(client, INSTRUMENT.read_bytes())
    first = _staged_files()
    _upload(client, INSTRUMENT.read_bytes(), year=2025)
    assert len(_staged_files()) == 1 and _staged_files() != first
    client.post(CONFIRM)
    assert list(Period.objects.values_list("year", flat=True)) == [2025]


@pytest.mark.parametrize(
    "staged",
    [
        {"token": "../../../etc/passwd", "suffix": ".json", "year": 2024},
        {"token": "a" * 30, "suffix": "/../../x.json", "year": 2024},
        {"name": "/work/shared/kla-reference/instrument-2024.json", "year": 2024},
        "../../etc/passwd",
    ],
)
def test_confirm_never_reads_a_path_from_the_session_or_client(
    client_for, secretariat_user, staged
):
    client = client_for(secretariat_user)
    session = client.session
    session[SESSION_KEY] = staged
    session.save()
    response = client.post(CONFIRM, {"path": str(INSTRUMENT), "token": "x", "name": "y"})
    assert response.status_code == 302 and response["Location"] == UPLOAD
    assert Question.objects.count() == 0


def test_a_broken_file_shows_where_and_changes_nothing(client_for, secretariat_user):
    client = client_for(secretariat_user)
    _upload(client, INSTRUMENT.read_bytes())
    client.post(CONFIRM)
    before = _counts()
    response = _upload(client, b'{"clusters": [{"name": "A", "indicators": "x"}]}')
    html = response.content.decode()
    assert 'data-testid="import-problems"' in html
    assert "clusters[0].indicators" in html
    assert 'data-testid="import-confirm"' not in html
    assert _counts() == before and _staged_files() == []
    assert client.post(CONFIRM)["Location"] == UPLOAD  # nothing was staged


def test_a_damaged_xlsx_is_named_as_such(client_for, secretariat_user):
    response = _upload(client_for(secretariat_user), b"bukan zip", name="rusak.xlsx")
    assert 'data-testid="import-problems"' in response.content.decode()
    assert any("xlsx" in p for p in response.context["problems"])
    assert Question.objects.count() == 0 and _staged_files() == []


def test_validation_errors_hide_the_confirm_button(client_for, secretariat_user):
    import json

    data = json.loads(INSTRUMENT.read_text(encoding="utf-8"))
    question = data["clusters"][0]["indicators"][0]["questions"][0]
    question["claimed_points"] = question["max_points"] + 1
    response = _upload(client_for(secretariat_user), json.dumps(data).encode())
    html = response.content.decode()
    assert 'data-testid="import-errors"' in html and "claimed_points" in html
    assert 'data-testid="import-confirm"' not in html
    assert Question.objects.count() == 0 and _staged_files() == []


def test_a_locked_period_is_refused_before_confirmation(client_for, secretariat_user):
    from tests import factories

    factories.PeriodFactory(year=2024, status=Period.Status.LOCKED)
    html = _upload(client_for(secretariat_user), INSTRUMENT.read_bytes()).content.decode()
    assert "import-errors" in html and "import-confirm" not in html


@pytest.mark.parametrize(
    ("name", "year", "field"),
    [("instrumen.csv", 2024, "file"), ("instrumen.json", 1999, "year"), ("i.json", "", "year")],
)
def test_form_errors(client_for, secretariat_user, name, year, field):
    response = _upload(client_for(secretariat_user), b"{}", name=name, year=year)
    assert field in response.context["form"].errors
    assert _staged_files() == []


def test_the_page_in_indonesian_on_a_phone(client_for, secretariat_user):
    """The default language, and Bootstrap's responsive classes (no fixed-width layout)."""
    client = client_for(secretariat_user)
    client.cookies.pop(settings.LANGUAGE_COOKIE_NAME, None)
    html = _upload(client, INSTRUMENT.read_bytes()).content.decode()
    assert '<html lang="id">' in html
    assert 'name="viewport"' in html and "d-grid d-sm-block" in html


# --- The template download ------------------------------------------------------------------


def test_template_download_is_the_empty_template(client_for, secretariat_user, tmp_path):
    response = client_for(secretariat_user).get(TEMPLATE)
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert 'filename="template-instrumen.xlsx"' in response["Content-Disposition"]
    workbook = load_workbook(io.BytesIO(response.content))
    assert workbook.sheetnames == ["Instrumen", "Petunjuk"]
    assert [c.value for c in workbook["Instrumen"][1]] == COLUMNS
    path = tmp_path / "t.xlsx"
    path.write_bytes(response.content)
    parsed = parse_file(path)  # a readable workbook with the right sheet and columns...
    assert [e.message for e in parsed.errors] == ["The file holds no groups."]  # ...and no rows


def test_prefilled_template_round_trips_through_the_upload(client_for, secretariat_user):
    client = client_for(secretariat_user)
    _upload(client, INSTRUMENT.read_bytes())
    client.post(CONFIRM)
    before = _counts()
    response = client.get(TEMPLATE, {"year": 2024})
    assert 'filename="instrumen-2024.xlsx"' in response["Content-Disposition"]
    assert load_workbook(io.BytesIO(response.content))["Instrumen"].max_row == 275
    report = _upload(client, response.content, name="instrumen-2024.xlsx").context["report"]
    assert not report.errors and not report.changed, report.lines()
    assert report.unchanged == {"groups": 7, "indicators": 31, "questions": 274}
    client.post(CONFIRM)
    assert _counts() == before


@pytest.mark.parametrize("year", ["2019", "abc", "99999999999999999999", "-1"])
def test_template_for_an_unknown_year_is_404(client_for, secretariat_user, year):
    assert client_for(secretariat_user).get(TEMPLATE, {"year": year}).status_code == 404


def test_the_secretariat_home_links_to_the_import(client_for, secretariat_user):
    html = client_for(secretariat_user).get(reverse("kla:secretariat-home")).content.decode()
    assert f'href="{UPLOAD}"' in html


def test_the_instrument_page_keeps_the_import_warnings_and_shows_effective_maxima(
    client_for, secretariat_user
):
    """Klaster I declares 150 while its indicators give 115: the page says 115 and flags
    the 150; the import's three warnings stay with the period after its report is gone."""
    client = client_for(secretariat_user)
    _upload(client, INSTRUMENT.read_bytes())
    client.post(CONFIRM)
    assert len(Period.objects.get(year=2024).import_warnings) == 3
    page = client.get(reverse("kla:period-detail", args=[2024])).content.decode()
    assert page.count('data-testid="declared-differs"') == 1
    assert "115.00" in page and "150.00" in page
    assert 'data-testid="import-warnings"' in page and "KLASTER I" in page
