"""Bulk import of units and people: atomic, reported row by row, passwords by email only."""

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.management import CommandError, call_command
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from opd.models import AuditEvent, EmailChange, Profile, Unit
from opd.people_import import COLUMNS, SHEET, people_template

pytestmark = pytest.mark.django_db
User = get_user_model()

GOOD = [
    ["Dinas Kesehatan", "dinas", "dinkes.budi", "Budi Santoso", "budi.s@example.go.id", "opd"],
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


def test_template_round_trips_and_its_example_row_is_never_imported(tmp_path):
    """A file sent back with the example row left in makes no account for "Budi"."""
    path = tmp_path / "template.xlsx"
    people_template().save(path)
    with pytest.raises(CommandError, match="no rows to import"):
        call_command("import_people", str(path))
    workbook = load_workbook(path)
    workbook[SHEET].append(GOOD[1])
    workbook.save(path)
    call_command("import_people", str(path))
    assert not User.objects.filter(username="dinkes.budi").exists()
    assert User.objects.filter(username="camat.betara").exists()


def test_web_flow_check_then_confirm(client_for, secretariat_user, tmp_path):
    client = client_for(secretariat_user)
    # The secretariat onboards unit staff and executives (secretariat members: an administrator).
    rows = [
        *GOOD[:2],
        ["Sekretariat Daerah", "dinas", "sekda", "Sekda", "sekda@example.go.id", "pimpinan"],
    ]
    with _workbook(tmp_path, rows).open("rb") as f:
        response = client.post(reverse("kla:people-import"), {"file": f})
    assert response.status_code == 200
    assert 'data-testid="people-report"' in response.content.decode()
    assert not User.objects.filter(username="dinkes.budi").exists()  # only checked so far
    response = client.post(reverse("kla:people-import-confirm"))
    assert response.status_code == 302
    assert User.objects.filter(username="dinkes.budi").exists()
    # The staged file is used once.
    client.post(reverse("kla:people-import-confirm"))
    assert AuditEvent.objects.filter(action="people.import").count() == 1


@pytest.mark.parametrize("name", ["kla:people-import", "kla:people-import-template"])
def test_people_import_matrix(client_for, personas, name):
    expected = dict(
        anonymous=302,
        opd=403,
        other_opd=403,
        support=403,
        secretariat=200,
        executive=403,
        admin=200,
    )
    for persona, status in expected.items():
        assert client_for(personas[persona]).get(reverse(name)).status_code == status, persona
    for persona in ["opd", "executive"]:
        response = client_for(personas[persona]).post(reverse("kla:people-import-confirm"))
        assert response.status_code == 403


# The secretariat's import cannot take over accounts --------------------------------------
#
# Each attack goes through the real pages: upload (the check), then the confirmation POST,
# which must find nothing to confirm. Without the rule, the confirmation would apply the row.


@pytest.fixture
def en_client(client_for, settings):
    """`en_client(user)`: logged in, pages in English (the reasons are asserted in English)."""

    def login(user):
        client = client_for(user)
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
        return client

    return login


def _upload(client, tmp_path, rows):
    with _workbook(tmp_path, rows).open("rb") as f:
        response = client.post(reverse("kla:people-import"), {"file": f})
    assert response.status_code == 200
    return response.content.decode()


def _snapshot():
    """Every account as the import could change it, and the audit trail's size."""
    accounts = {
        u.username: (
            u.email,
            u.get_full_name(),
            u.profile.role,
            u.is_staff,
            u.is_superuser,
            sorted(u.profile.units.values_list("name", flat=True)),
        )
        for u in User.objects.select_related("profile")
    }
    return accounts, AuditEvent.objects.count()


def _refused(client, tmp_path, rows, reason):
    """Upload `rows`: refused with `reason`, no confirm button; confirming changes nothing."""
    before = _snapshot()
    page = _upload(client, tmp_path, rows)
    assert "table-danger" in page and reason in page
    assert reverse("kla:people-import-confirm") not in page  # no confirm button
    response = client.post(reverse("kla:people-import-confirm"), follow=True)
    assert "Nothing to confirm" in response.content.decode()
    assert _snapshot() == before
    assert mail.outbox == []


def _row(user, *, email=None, role="opd", unit="Dinas P3AP2KB", name="Nama Baru"):
    return [
        unit,
        "dinas",
        user if isinstance(user, str) else user.username,
        name,
        email or f"{user}@example.test",
        role,
    ]


def test_secretariat_cannot_promote_itself(en_client, secretariat_user, tmp_path):
    client = en_client(secretariat_user)
    _refused(
        client,
        tmp_path,
        [
            _row(
                secretariat_user,
                email=secretariat_user.email,
                name=secretariat_user.get_full_name(),
                role="admin",
            )
        ],
        "Nobody may change their own role",
    )
    secretariat_user.refresh_from_db()
    assert not (secretariat_user.is_superuser or secretariat_user.is_staff)
    assert secretariat_user.profile.role == Profile.Role.SECRETARIAT


@pytest.mark.parametrize("role", ["admin", "administrator", "sekretariat"])
def test_secretariat_cannot_create_an_administrator_or_a_secretariat_member(
    en_client, secretariat_user, tmp_path, role
):
    _refused(
        en_client(secretariat_user),
        tmp_path,
        [_row("baru", role=role)],
        "The secretariat may not grant the role",
    )
    assert not User.objects.filter(username="baru").exists()


@pytest.mark.parametrize("target", ["admin_user", "colleague"])
def test_secretariat_cannot_change_an_administrator_or_a_colleague(
    en_client, secretariat_user, request, tmp_path, target
):
    victim = request.getfixturevalue(target)
    row = _row(
        victim, email="baru@example.test", name=victim.get_full_name(), role=victim.profile.role
    )
    _refused(
        en_client(secretariat_user),
        tmp_path,
        [row],
        "may not change the account of an administrator",
    )
    # Not even as unit staff (a demotion) or with only a unit added.
    _refused(
        en_client(secretariat_user),
        tmp_path,
        [_row(victim, email=victim.email, role="opd")],
        "may not change the account",
    )


def test_secretariat_cannot_give_its_own_address_to_another_account(
    en_client, secretariat_user, opd_user, executive_user, tmp_path
):
    client = en_client(secretariat_user)
    for victim in (opd_user, executive_user):
        row = _row(
            victim,
            email=secretariat_user.email.upper(),
            name=victim.get_full_name(),
            role=victim.profile.role,
        )
        _refused(client, tmp_path, [row], "belongs to another account")
    # Nor to a new account.
    _refused(
        client, tmp_path, [_row("baru", email=secretariat_user.email)], "belongs to another account"
    )


def test_an_email_change_is_shown_proposed_audited_and_told_to_the_old_address(
    en_client,
    secretariat_user,
    opd_user,
    tmp_path,
    django_capture_on_commit_callbacks,
    mailoutbox,
):
    client = en_client(secretariat_user)
    old = opd_user.email
    unit = opd_user.profile.units.get().name
    rows = [
        _row(opd_user, email="opd.baru@example.go.id", name=opd_user.get_full_name(), unit=unit),
        _row("baru", email="baru@example.go.id", name="Orang Baru", unit=unit),
    ]
    page = _upload(client, tmp_path, rows)
    # The preview lists the change to the existing account apart from the new account.
    changes = page[
        page.index('data-testid="people-changes"') : page.index('data-testid="people-new"')
    ]
    assert 'data-user="opd" data-field="email"' in changes
    assert old in changes and "opd.baru@example.go.id" in changes
    assert "baru@example.go.id" not in changes.replace("opd.baru@example.go.id", "")
    assert changes.count('data-testid="people-change"') == 1  # only the email changes
    assert page.index('data-testid="people-changes"') < page.index(
        reverse("kla:people-import-confirm")
    )
    opd_user.refresh_from_db()
    assert opd_user.email == old  # only checked so far

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("kla:people-import-confirm"))
    assert response.status_code == 302
    opd_user.refresh_from_db()
    assert opd_user.email == old  # only proposed: the new address has not confirmed it
    change = EmailChange.objects.get(user=opd_user)
    assert change.new_email == "opd.baru@example.go.id" and change.requested_by == secretariat_user

    event = AuditEvent.objects.get(action=AuditEvent.Action.ACCOUNT_CHANGE)
    assert event.actor == secretariat_user
    assert event.data == {
        "username": "opd",
        "changes": [{"field": "email", "old": old, "new": "opd.baru@example.go.id"}],
    }
    proposed = AuditEvent.objects.get(action=AuditEvent.Action.EMAIL_CHANGE_REQUEST)
    assert proposed.actor == secretariat_user and proposed.data["new"] == "opd.baru@example.go.id"
    created = AuditEvent.objects.get(action=AuditEvent.Action.ACCOUNT_CREATE)
    assert created.actor == secretariat_user and created.data["username"] == "baru"
    assert {c["field"] for c in created.data["changes"]} == {"email", "name", "role", "units"}
    assert AuditEvent.objects.filter(action=AuditEvent.Action.PEOPLE_IMPORT).count() == 1

    told = [m for m in mailoutbox if m.to == [old]]
    assert len(told) == 1  # at once, with a link to cancel
    assert "opd.baru@example.go.id" in told[0].body and secretariat_user.username in told[0].body
    assert "/akun/email/" in told[0].body and "/batal/" in told[0].body
    asked = [m for m in mailoutbox if m.to == ["opd.baru@example.go.id"]]
    assert len(asked) == 1 and "/konfirmasi/" in asked[0].body
    assert sorted(m.to[0] for m in mailoutbox) == sorted(
        [old, "baru@example.go.id", "opd.baru@example.go.id"]
    )
    # Importing the same file again proposes nothing new.
    _upload(client, tmp_path, rows)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("kla:people-import-confirm"))
    assert EmailChange.objects.filter(user=opd_user).count() == 1


def test_confirm_applies_only_what_the_preview_showed(
    en_client, secretariat_user, opd_user, tmp_path
):
    client = en_client(secretariat_user)
    unit = opd_user.profile.units.get().name
    _upload(
        client,
        tmp_path,
        [_row(opd_user, email="opd.baru@example.go.id", unit=unit, name=opd_user.get_full_name())],
    )
    # Between the check and the confirmation the account changes (another tab, the admin).
    User.objects.filter(pk=opd_user.pk).update(email="lain@example.go.id")
    response = client.post(reverse("kla:people-import-confirm"), follow=True)
    assert "the data changed" in response.content.decode()
    opd_user.refresh_from_db()
    assert opd_user.email == "lain@example.go.id"
    assert not AuditEvent.objects.filter(action__startswith="account.").exists()


def test_an_administrator_can_still_grant_any_role(
    en_client, admin_user, colleague, opd_user, tmp_path
):
    client = en_client(admin_user)
    rows = [
        _row("admin.baru", role="admin"),
        _row("sek.baru", role="sekretariat"),
        _row(
            colleague,
            email=colleague.email,
            name=colleague.get_full_name(),
            role="admin",
            unit=colleague.profile.units.get().name,
        ),
        _row(
            opd_user,
            email=opd_user.email,
            name=opd_user.get_full_name(),
            role="pimpinan",
            unit=opd_user.profile.units.get().name,
        ),
    ]
    page = _upload(client, tmp_path, rows)
    assert "table-danger" not in page
    assert 'data-user="sari" data-field="is_superuser"' in page  # the flags are shown too
    assert client.post(reverse("kla:people-import-confirm")).status_code == 302
    roles = {
        u.username: (u.profile.role, u.is_staff, u.is_superuser)
        for u in User.objects.select_related("profile")
    }
    assert roles["admin.baru"] == (Profile.Role.ADMIN, True, True)
    assert roles["sari"] == (Profile.Role.ADMIN, True, True)
    assert roles["sek.baru"] == (Profile.Role.SECRETARIAT, False, False)
    assert roles["opd"] == (Profile.Role.EXECUTIVE, False, False)
    changes = AuditEvent.objects.get(action="account.change", data__username="sari").data["changes"]
    assert changes == [
        {"field": "role", "old": "secretariat", "new": "admin"},
        {"field": "is_staff", "old": False, "new": True},
        {"field": "is_superuser", "old": False, "new": True},
    ]


def test_the_command_line_lists_changes_to_existing_accounts(tmp_path, capsys, opd_user):
    row = _row(
        opd_user,
        email="opd.baru@example.go.id",
        name=opd_user.get_full_name(),
        unit=opd_user.profile.units.get().name,
    )
    call_command("import_people", str(_workbook(tmp_path, [row])), "--dry-run")
    out = capsys.readouterr().out
    assert f"email: {opd_user.email} -> opd.baru@example.go.id" in out
    opd_user.refresh_from_db()
    assert opd_user.email != "opd.baru@example.go.id"
