"""Bulk import of units and people from the secretariat's xlsx template.

One row per person: unit, kind, username, full name, email, role. The import is atomic: a
file with any wrong row changes nothing and the report says which rows are wrong and why.
New users get an email with a link to set their own password; no password is ever in a file.
"""

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

from opd.audit import audit_log
from opd.models import AuditEvent, Profile, Unit

SHEET = "Orang"
COLUMNS = ["unit", "kind", "username", "full_name", "email", "role"]
USERNAME_RE = re.compile(r"^[\w.@+-]{1,150}$")
ROLE_ALIASES = {
    "opd": Profile.Role.OPD, "staf": Profile.Role.OPD, "unit": Profile.Role.OPD,
    "secretariat": Profile.Role.SECRETARIAT, "sekretariat": Profile.Role.SECRETARIAT,
    "executive": Profile.Role.EXECUTIVE, "pimpinan": Profile.Role.EXECUTIVE,
    "admin": Profile.Role.ADMIN, "administrator": Profile.Role.ADMIN,
}  # fmt: skip


class PeopleFileError(Exception):
    """The file as a whole cannot be read (not an xlsx, no sheet, missing columns)."""


@dataclass
class RowResult:
    row: int
    username: str
    outcome: str  # "created", "updated", "unchanged", "error"
    messages: list[str] = field(default_factory=list)


@dataclass
class PeopleReport:
    rows: list[RowResult] = field(default_factory=list)
    units_created: list[str] = field(default_factory=list)
    applied: bool = False

    @property
    def errors(self) -> list[RowResult]:
        return [r for r in self.rows if r.outcome == "error"]

    def count(self, outcome: str) -> int:
        return sum(1 for r in self.rows if r.outcome == outcome)


@dataclass
class _Row:
    number: int
    unit: str
    kind: str
    username: str
    full_name: str
    email: str
    role: str


def people_template() -> Workbook:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = SHEET
    sheet.append(COLUMNS)
    sheet.append(["Dinas Kesehatan", "dinas", "dinkes.budi", "Budi Santoso",
                  "budi@example.go.id", "opd"])  # fmt: skip
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
        if not any(cells.values()):
            continue
        parsed.append(_Row(number=number, **cells))
    workbook.close()
    return parsed


def _check_row(row: _Row, seen: dict[str, int]) -> list[str]:
    problems = []
    where = _("row %(n)s") % {"n": row.number}
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
    if row.role.lower() not in ROLE_ALIASES:
        problems.append(
            _("%(where)s, column role: “%(value)s” is not opd, secretariat, executive or admin.")
            % {"where": where, "value": row.role}
        )
    if len(row.full_name) > 150:
        problems.append(_("%(where)s, column full_name: too long.") % {"where": where})
    return problems


def people_import(*, rows: list[_Row], actor=None, ip=None, dry_run: bool = False) -> PeopleReport:
    """Create or update units and people. All rows valid, or nothing written."""
    report = PeopleReport()
    seen: dict[str, int] = {}
    for row in rows:
        problems = _check_row(row, seen)
        seen.setdefault(row.username.lower(), row.number)
        if problems:
            report.rows.append(RowResult(row.number, row.username, "error", problems))
    if report.errors or not rows:
        return report

    User = get_user_model()
    new_user_ids = []
    with transaction.atomic():
        for row in rows:
            unit = (
                Unit.objects.filter(name=row.unit).first()
                or Unit.objects.filter(short_name=row.unit).first()
            )
            if unit is None:
                unit = Unit.objects.create(
                    name=row.unit, short_name=row.unit[:60], kind=(row.kind or "other").lower()
                )
                report.units_created.append(unit.name)
            first, _sep, last = row.full_name.partition(" ")
            user = User.objects.filter(username__iexact=row.username).first()
            role = ROLE_ALIASES[row.role.lower()]
            if user is None:
                user = User.objects.create_user(
                    username=row.username, email=row.email, first_name=first[:150],
                    last_name=last[:150],
                )  # fmt: skip
                user.set_unusable_password()
                user.save(update_fields=["password"])
                outcome = "created"
                new_user_ids.append(user.pk)
            else:
                changed = (user.email, user.first_name, user.last_name) != (
                    row.email,
                    first[:150],
                    last[:150],
                )
                if changed:
                    user.email, user.first_name, user.last_name = row.email, first[:150], last[:150]
                    user.save(update_fields=["email", "first_name", "last_name"])
                outcome = "updated" if changed else "unchanged"
            profile = user.profile
            if profile.role != role:
                profile.role = role
                profile.save(update_fields=["role"])
                outcome = "updated" if outcome == "unchanged" else outcome
            if role == Profile.Role.ADMIN and not (user.is_staff and user.is_superuser):
                user.is_staff = user.is_superuser = True
                user.save(update_fields=["is_staff", "is_superuser"])
            if not profile.units.filter(pk=unit.pk).exists():
                profile.units.add(unit)
                outcome = "updated" if outcome == "unchanged" else outcome
            report.rows.append(RowResult(row.number, row.username, outcome))
        audit_log(
            action=AuditEvent.Action.PEOPLE_IMPORT, actor=actor, ip=ip,
            summary=_("%(c)s created, %(u)s updated, %(n)s units created")
            % {"c": report.count("created"), "u": report.count("updated"),
               "n": len(report.units_created)},
        )  # fmt: skip
        if dry_run:
            transaction.set_rollback(True)
        else:
            report.applied = True
            transaction.on_commit(lambda: _send_welcome(new_user_ids))
    return report


def _send_welcome(user_ids: list[int]) -> None:
    from django.conf import settings
    from django.urls import reverse

    from opd.notifications import send_mail_template

    for user in get_user_model().objects.filter(pk__in=user_ids):
        link = settings.KLA_BASE_URL.rstrip("/") + reverse(
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
