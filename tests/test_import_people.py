"""Bulk import of units and people: atomic, reported row by row, passwords by email only."""

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.management import CommandError, call_command
from django.urls import reverse
from openpyxl import Workbook

from opd.models import AuditEvent, Profile, Unit
from opd.people_import import COLUMNS, SHEET, people_template

pytestmark = pytest.mark.django_db
User = get_user_model()

GOOD = [
    ["Dinas Kesehatan", "dinas", "dinkes.budi", "Budi Santoso", "budi@example.go.id", "opd"],
    ["Kecamatan Betara", "kecamatan", "camat.betara", "Siti Aminah", "siti@example.go.id", "opd"],
    ["DP3AP2KB", "dinas", "sek.rina", "Rina", "rina@example.go.id", "sekretariat"],
]


def _workbook(tmp_path, rows, *, sheet=SHEET, header=COLUMNS, name="people.xlsx"):
    wb = Workbook()
    ws = wb.active
    ws.title = sheet
    ws.append(header)
    for row in rows:
        ws.append(row)
    path = tmp_path / name
    wb.save(path)
    return path


def _counts():
    return (User.objects.count(), Unit.objects.count(), AuditEvent.objects.count())


def test_import_creates_units_and_people_and_mails_password_links(
    tmp_path, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        call_command("import_people", str(_workbook(tmp_path, GOOD)))
    budi = User.objects.get(username="dinkes.budi")
    assert not budi.has_usable_password()
    assert budi.profile.role == Profile.Role.OPD
    assert list(budi.profile.units.values_list("name", flat=True)) == ["Dinas Kesehatan"]
    assert Unit.objects.get(name="Kecamatan Betara").kind == "kecamatan"
    assert User.objects.get(username="sek.rina").profile.role == Profile.Role.SECRETARIAT
    assert sorted(m.to[0] for m in mail.outbox) == sorted(r[4] for r in GOOD)
    assert "/akun/reset/" in mail.outbox[0].body


def test_second_import_changes_nothing(tmp_path, capsys):
    path = _workbook(tmp_path, GOOD)
    call_command("import_people", str(path))
    before = (User.objects.count(), Unit.objects.count())
    call_command("import_people", str(path))
    assert (User.objects.count(), Unit.objects.count()) == before
    assert "0 created, 0 updated, 3 unchanged" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("bad_row", "message"),
    [
        (["", "dinas", "x1", "X", "x@example.go.id", "opd"], "column unit: empty"),
        (["Dinas A", "dinas", "bad name!", "X", "x@example.go.id", "opd"], "column username"),
        (["Dinas A", "dinas", "x2", "X", "not-an-email", "opd"], "column email"),
        (["Dinas A", "dinas", "x3", "X", "x@example.go.id", "boss"], "column role"),
        (["Dinas A", "planet", "x4", "X", "x@example.go.id", "opd"], "column kind"),
        (["Dinas A", "dinas", "dinkes.budi", "X", "x@example.go.id", "opd"], "already appears"),
    ],
)
def test_a_bad_row_is_reported_and_nothing_is_imported(tmp_path, capsys, bad_row, message):
    before = _counts()
    with pytest.raises(CommandError, match="Nothing was imported"):
        call_command("import_people", str(_workbook(tmp_path, [*GOOD, bad_row])))
    out = capsys.readouterr().out
    assert "row    5" in out and message in out
    assert _counts() == before
    assert mail.outbox == []


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: _workbook(p, GOOD, sheet="Sheet1"), "no sheet named"),
        (lambda p: _workbook(p, GOOD, header=["unit", "username"]), "missing column"),
        (lambda p: (p / "x.xlsx").write_bytes(b"not a zip") and p / "x.xlsx", "not a readable"),
    ],
)
def test_broken_files_have_clear_errors(tmp_path, make, message):
    with pytest.raises(CommandError, match=message):
        call_command("import_people", str(make(tmp_path)))


def test_template_round_trips(tmp_path):
    path = tmp_path / "template.xlsx"
    people_template().save(path)
    call_command("import_people", str(path), "--dry-run")
    assert not User.objects.filter(username="dinkes.budi").exists()


def test_web_flow_check_then_confirm(client_for, secretariat_user, tmp_path):
    client = client_for(secretariat_user)
    with _workbook(tmp_path, GOOD).open("rb") as f:
        response = client.post(reverse("people-import"), {"file": f})
    assert response.status_code == 200
    assert 'data-testid="people-report"' in response.content.decode()
    assert not User.objects.filter(username="dinkes.budi").exists()  # only checked so far
    response = client.post(reverse("people-import-confirm"))
    assert response.status_code == 302
    assert User.objects.filter(username="dinkes.budi").exists()
    # The staged file is used once.
    client.post(reverse("people-import-confirm"))
    assert AuditEvent.objects.filter(action="people.import").count() == 1


@pytest.mark.parametrize("name", ["people-import", "people-import-template"])
def test_people_import_matrix(client_for, personas, name):
    expected = dict(anonymous=302, opd=403, other_opd=403, support=403, secretariat=200,
                    executive=403, admin=200)  # fmt: skip
    for persona, status in expected.items():
        assert client_for(personas[persona]).get(reverse(name)).status_code == status, persona
    for persona in ["opd", "executive"]:
        response = client_for(personas[persona]).post(reverse("people-import-confirm"))
        assert response.status_code == 403
