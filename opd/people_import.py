"""Bulk import of units and people from the secretariat's xlsx template.

One row per person: unit, kind, username, full name, email, role. The import is atomic: a
file with any wrong row changes nothing and the report says which rows are wrong and why.
New users get an email with a link to set their own password; no password is ever in a file.

An existing account is never changed silently: the report lists, per account, each field that
changes (old and new value) apart from the new accounts; every account made or changed gets
its own audit event; a new address for an existing account is only proposed, and counts once
its owner confirms it (opd/email_changes.py), the old address being told at once. Who may
make or change which account is opd.access.role_grant_check, applied row by row.
"""

import hashlib
import json
import re
import zipfile
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font, PatternFill

from opd.access import RoleGrantRefused, role_grant_check
from opd.assignments import unit_assignments_sync
from opd.audit import audit_log
from opd.email_changes import email_change_pending, email_change_request, email_taken
from opd.models import AuditEvent, Profile, Unit

SHEET = "Orang"
COLUMNS = ["unit", "kind", "username", "full_name", "email", "role"]
USERNAME_RE = re.compile(r"^[\w.@+-]{1,150}$")
ROLE_ALIASES = {
    "opd": Profile.Role.OPD,
    "staf": Profile.Role.OPD,
    "unit": Profile.Role.OPD,
    "secretariat": Profile.Role.SECRETARIAT,
    "sekretariat": Profile.Role.SECRETARIAT,
    "executive": Profile.Role.EXECUTIVE,
    "pimpinan": Profile.Role.EXECUTIVE,
    "admin": Profile.Role.ADMIN,
    "administrator": Profile.Role.ADMIN,
}


class PeopleFileError(Exception):
    """The file as a whole cannot be read (not an xlsx, no sheet, missing columns)."""


@dataclass(frozen=True)
class FieldChange:
    """One field of one account, before and after the import ("" before: a new account)."""

    name: str  # "email", "name", "role", "units", "is_staff", "is_superuser"
    old: str | bool
    new: str | bool

    @property
    def label(self) -> str:
        return {
            "email": _("email"),
            "name": _("full name"),
            "role": _("role"),
            "units": _("units"),
            "is_staff": _("Django admin access (is_staff)"),
            "is_superuser": _("every permission (is_superuser)"),
        }.get(self.name, self.name)

    def _display(self, value) -> str:
        if isinstance(value, bool):
            return _("yes") if value else _("no")
        if self.name == "role" and value in Profile.Role.values:
            return str(Profile.Role(value).label)
        return value or "—"

    @property
    def old_display(self) -> str:
        return self._display(self.old)

    @property
    def new_display(self) -> str:
        return self._display(self.new)

    def as_data(self) -> dict:
        """The audit event's form: {field, old, new} with stored values, not labels."""
        return {"field": self.name, "old": self.old, "new": self.new}


@dataclass
class RowResult:
    row: int
    username: str
    outcome: str  # "created", "updated", "unchanged", "error"
    messages: list[str] = field(default_factory=list)
    changes: list[FieldChange] = field(default_factory=list)


@dataclass
class PeopleReport:
    rows: list[RowResult] = field(default_factory=list)
    units_created: list[str] = field(default_factory=list)
    applied: bool = False
    # The accounts or units changed between the check and the confirmation: nothing applied.
    stale: bool = False

    @property
    def errors(self) -> list[RowResult]:
        return [r for r in self.rows if r.outcome == "error"]

    @property
    def created(self) -> list[RowResult]:
        return [r for r in self.rows if r.outcome == "created"]

    @property
    def changed(self) -> list[RowResult]:
        """Existing accounts the import changes, each with its field changes."""
        return [r for r in self.rows if r.outcome == "updated"]

    def count(self, outcome: str) -> int:
        return sum(1 for r in self.rows if r.outcome == outcome)

    def digest(self) -> str:
        """A fingerprint of what the import does: the confirmation applies exactly what the
        checked report showed, or nothing (someone may change an account in between)."""
        plan = {
            "rows": [
                [r.row, r.username, r.outcome, [c.as_data() for c in r.changes]] for r in self.rows
            ],
            "units": self.units_created,
        }
        return hashlib.sha256(json.dumps(plan, sort_keys=True).encode()).hexdigest()


@dataclass
class _Row:
    number: int
    unit: str
    kind: str
    username: str
    full_name: str
    email: str
    role: str


# The template's example row: it shows the shape of a row and is never imported, so a file
# sent back with it left in makes no account for "Budi".
EXAMPLE_ROW = [
    "Dinas Kesehatan",
    "dinas",
    "dinkes.budi",
    "Budi Santoso",
    "budi@example.go.id",
    "opd",
]


def people_template() -> Workbook:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = SHEET
    sheet.append(COLUMNS)
    sheet.append(EXAMPLE_ROW)
    for cell in sheet[1]:
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = PatternFill("solid", fgColor="0B6E4F")
    sheet.freeze_panes = "A2"
    for letter, width in zip("ABCDEF", [32, 12, 20, 28, 32, 14], strict=True):
        sheet.column_dimensions[letter].width = width
    help_sheet = workbook.create_sheet("Petunjuk")
    for line in [
        "Satu baris per orang. Kolom: unit, kind, username, full_name, email, role.",
        "kind: " + ", ".join(Unit.Kind.values) + " (hanya untuk unit baru).",
        "role: opd, secretariat, executive, admin.",
        "Baris contoh (dinkes.budi) tidak pernah diimpor: timpa atau biarkan.",
        "Alamat email baru untuk akun yang sudah ada berlaku setelah dikonfirmasi lewat tautan "
        "yang dikirim ke alamat baru itu; alamat lama diberi tahu dan dapat membatalkannya.",
        "Kata sandi tidak pernah ditulis di berkas: pengguna baru menerima email untuk "
        "membuat kata sandi sendiri.",
    ]:
        help_sheet.append([line])
    help_sheet.column_dimensions["A"].width = 110
    return workbook


def _text(value) -> str:
    return "" if value is None else str(value).strip()


def read_people_file(path) -> list[_Row]:
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, OSError, KeyError, ValueError) as error:
        raise PeopleFileError(_("The file is not a readable .xlsx workbook.")) from error
    if SHEET not in workbook.sheetnames:
        raise PeopleFileError(
            _("The workbook has no sheet named “%(sheet)s”. Use the template.") % {"sheet": SHEET}
        )
    rows = workbook[SHEET].iter_rows(values_only=True)
    header = [_text(h).lower() for h in next(rows, ())]
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise PeopleFileError(
            _("Sheet “%(sheet)s”, row 1: missing column(s) %(cols)s.")
            % {"sheet": SHEET, "cols": ", ".join(missing)}
        )
    index = {c: header.index(c) for c in COLUMNS}
    parsed = []
    for number, values in enumerate(rows, start=2):
        values = list(values) + [None] * len(header)
        cells = {c: _text(values[i]) for c, i in index.items()}
        if not any(cells.values()) or [cells[c] for c in COLUMNS] == EXAMPLE_ROW:
            continue
        parsed.append(_Row(number=number, **cells))
    workbook.close()
    return parsed


def _where(row: _Row) -> str:
    return _("row %(n)s") % {"n": row.number}


def _check_row(row: _Row, seen: dict[str, int], seen_emails: dict[str, int]) -> list[str]:
    problems = []
    where = _where(row)
    if not row.unit:
        problems.append(_("%(where)s, column unit: empty.") % {"where": where})
    if row.kind and row.kind.lower() not in Unit.Kind.values:
        problems.append(
            _("%(where)s, column kind: “%(value)s” is not one of %(choices)s.")
            % {"where": where, "value": row.kind, "choices": ", ".join(Unit.Kind.values)}
        )
    if not USERNAME_RE.match(row.username):
        problems.append(
            _("%(where)s, column username: use letters, digits and . @ + - _ only.")
            % {"where": where}
        )
    elif row.username.lower() in seen:
        problems.append(
            _("%(where)s, column username: “%(u)s” already appears in row %(other)s.")
            % {"where": where, "u": row.username, "other": seen[row.username.lower()]}
        )
    try:
        validate_email(row.email)
    except ValidationError:
        problems.append(_("%(where)s, column email: not a valid address.") % {"where": where})
    else:
        # One mailbox, one account: a password reset goes to every account with the address.
        if row.email.lower() in seen_emails:
            problems.append(
                _("%(where)s, column email: “%(e)s” already appears in row %(other)s.")
                % {"where": where, "e": row.email, "other": seen_emails[row.email.lower()]}
            )
    if row.role.lower() not in ROLE_ALIASES:
        problems.append(
            _("%(where)s, column role: “%(value)s” is not opd, secretariat, executive or admin.")
            % {"where": where, "value": row.role}
        )
    if len(row.full_name) > 150:
        problems.append(_("%(where)s, column full_name: too long.") % {"where": where})
    return problems


def people_import(
    *, rows: list[_Row], actor, ip=None, dry_run: bool = False, expected_digest: str | None = None
) -> PeopleReport:
    """Create or update units and people. All rows valid and allowed, or nothing written.

    `actor` is the user importing, or None for the command line (an administrator); it is
    required so that no caller checks a file as the administrator by forgetting it. With
    `expected_digest` (the checked report's digest()), nothing is written unless the import
    still does exactly what that report showed.
    """
    report = PeopleReport()
    seen: dict[str, int] = {}
    seen_emails: dict[str, int] = {}
    for row in rows:
        problems = _check_row(row, seen, seen_emails)
        seen.setdefault(row.username.lower(), row.number)
        seen_emails.setdefault(row.email.lower(), row.number)
        if problems:
            report.rows.append(RowResult(row.number, row.username, "error", problems))
    if report.errors or not rows:
        return report

    new_user_ids: list[int] = []
    email_proposals: list[tuple] = []
    with transaction.atomic():
        # Rows are applied one by one, so each row's checks see the rows before it (two rows
        # cannot give one address to two accounts); any refusal rolls the whole file back.
        for row in rows:
            result = _import_row(
                row,
                actor=actor,
                ip=ip,
                report=report,
                new_user_ids=new_user_ids,
                email_proposals=email_proposals,
            )
            report.rows.append(result)
        if report.errors:
            transaction.set_rollback(True)
            return report
        if expected_digest is not None and report.digest() != expected_digest:
            report.stale = True
            transaction.set_rollback(True)
            return report
        audit_log(
            action=AuditEvent.Action.PEOPLE_IMPORT,
            actor=actor,
            ip=ip,
            summary=_("%(c)s created, %(u)s updated, %(n)s units created")
            % {
                "c": report.count("created"),
                "u": report.count("updated"),
                "n": len(report.units_created),
            },
        )
        if dry_run:
            transaction.set_rollback(True)
        else:
            for user, email in email_proposals:
                email_change_request(user=user, new_email=email, actor=actor, ip=ip)
            report.applied = True
            transaction.on_commit(lambda: _send_welcome(new_user_ids))
    return report


def _unit_for(row: _Row, report: PeopleReport) -> Unit:
    unit = (
        Unit.objects.filter(name=row.unit).first()
        or Unit.objects.filter(short_name=row.unit).first()
    )
    if unit is None:
        unit = Unit.objects.create(
            name=row.unit, short_name=row.unit[:60], kind=(row.kind or "other").lower()
        )
        report.units_created.append(unit.name)
        unit_assignments_sync(unit=unit)  # a new kecamatan answers the per-unit questions
    return unit


def _unit_names(units) -> str:
    return ", ".join(sorted(u.name for u in units))


def _already_proposed(user, email: str) -> bool:
    """The file names the address already waiting for this account's confirmation: importing
    the same file again proposes nothing new."""
    pending = user and email_change_pending(user=user)
    return bool(pending) and pending.new_email.lower() == email.lower()


def _planned_changes(user, *, email: str, name: str, role: str, unit: Unit) -> list[FieldChange]:
    """What the row changes on `user` (None: the account is new, every field is new)."""
    if user is None:
        old_email = old_name = old_role = ""
        old_units: list[Unit] = []
        is_staff = is_superuser = False
    else:
        profile = user.profile
        old_email, old_name, old_role = user.email, user.get_full_name(), profile.role
        old_units = list(profile.units.all())
        is_staff, is_superuser = user.is_staff, user.is_superuser
    changes = []
    if email.lower() != old_email.lower() and not _already_proposed(user, email):
        changes.append(FieldChange("email", old_email, email))
    if name != old_name:
        changes.append(FieldChange("name", old_name, name))
    if role != old_role:
        changes.append(FieldChange("role", old_role, role))
    if unit.pk not in {u.pk for u in old_units}:
        changes.append(
            FieldChange("units", _unit_names(old_units), _unit_names([*old_units, unit]))
        )
    # The Django admin flags follow the admin role and nothing else: granted with it, taken
    # away when an administrator's role is changed to another one (never left behind on an
    # account whose role no longer says it is an administrator).
    if role == Profile.Role.ADMIN:
        flags = True
    elif old_role == Profile.Role.ADMIN:
        flags = False
    else:
        flags = None
    if flags is not None:
        if is_staff != flags:
            changes.append(FieldChange("is_staff", is_staff, flags))
        if is_superuser != flags:
            changes.append(FieldChange("is_superuser", is_superuser, flags))
    return changes


def _import_row(
    row: _Row, *, actor, ip, report: PeopleReport, new_user_ids: list, email_proposals: list
) -> RowResult:
    User = get_user_model()
    where = _where(row)
    unit = _unit_for(row, report)
    role = ROLE_ALIASES[row.role.lower()]
    email = User.objects.normalize_email(row.email)
    first, _sep, last = row.full_name.partition(" ")
    first, last = first[:150], last[:150]
    # Locked so the account checked is the account changed (no concurrent edit in between).
    user = User.objects.select_for_update().filter(username__iexact=row.username).first()
    changes = _planned_changes(
        user, email=email, name=f"{first} {last}".strip(), role=role, unit=unit
    )
    if not changes:
        return RowResult(row.number, row.username, "unchanged")

    problems = []
    try:
        role_grant_check(actor=actor, user=user, role=role)
    except RoleGrantRefused as refusal:
        problems.append(
            _("%(where)s, user %(u)s: %(reason)s")
            % {"where": where, "u": row.username, "reason": refusal.message}
        )
    # Whoever sets an account's address to a mailbox they read can reset its password: an
    # address that already opens another account is never given to a second one.
    if any(c.name == "email" for c in changes) and email_taken(email=email, user=user):
        problems.append(
            _("%(where)s, column email: “%(e)s” belongs to another account.")
            % {"where": where, "e": email}
        )
    if problems:
        return RowResult(row.number, row.username, "error", problems, changes)

    changed = {c.name: c.new for c in changes}
    if user is None:
        user = User.objects.create_user(
            username=row.username, email=email, first_name=first, last_name=last
        )
        user.set_unusable_password()
        user.save(update_fields=["password"])
        new_user_ids.append(user.pk)
        outcome, action = "created", AuditEvent.Action.ACCOUNT_CREATE
    else:
        outcome, action = "updated", AuditEvent.Action.ACCOUNT_CHANGE
        if "email" in changed:
            # Only proposed: the account keeps its address until the new one confirms it
            # (opd/email_changes.py), so the file cannot hand anybody a password reset.
            email_proposals.append((user, email))
        user.first_name, user.last_name = first, last
        user.save(update_fields=["first_name", "last_name"])
    if "is_staff" in changed or "is_superuser" in changed:
        user.is_staff = changed.get("is_staff", user.is_staff)
        user.is_superuser = changed.get("is_superuser", user.is_superuser)
        user.save(update_fields=["is_staff", "is_superuser"])
    profile = user.profile
    if profile.role != role:
        profile.role = role
        profile.save(update_fields=["role"])
    profile.units.add(unit)
    if outcome == "created":
        summary = _("Account %(u)s created: %(changes)s") % {
            "u": user.username,
            "changes": "; ".join(f"{c.label}: {c.new_display}" for c in changes),
        }
    else:
        summary = _("Account %(u)s changed: %(changes)s") % {
            "u": user.username,
            "changes": "; ".join(f"{c.label}: {c.old_display} → {c.new_display}" for c in changes),
        }
    audit_log(
        action=action,
        actor=actor,
        ip=ip,
        unit=unit,
        summary=summary,
        data={"username": user.username, "changes": [c.as_data() for c in changes]},
    )
    return RowResult(row.number, row.username, outcome, [], changes)


def _send_welcome(user_ids: list[int]) -> None:
    from django.urls import reverse

    from core.links import site_url
    from opd.notifications import send_mail_template

    for user in get_user_model().objects.filter(pk__in=user_ids):
        link = site_url() + reverse(
            "password_reset_confirm",
            kwargs={
                "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
                "token": default_token_generator.make_token(user),
            },
        )
        send_mail_template(
            template="welcome_set_password",
            context={"user": user, "link": link},
            recipients=[user.email],
        )
