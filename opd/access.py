"""Who may give an account which role, and change it. One rule for every way accounts are made.

The secretariat onboards the units' staff and the executives; only an administrator makes
administrators and secretariat members, and only an administrator touches their accounts.
The accounts of administrators, secretariat members and Django staff or superusers are the
keys to the whole product: whoever may change one of their email addresses may reset its
password and log in as them, so the secretariat may not change them at all.
"""

from django.utils.translation import gettext as _

from kla.errors import DomainError
from opd.models import Profile

# The roles the secretariat may give: the people it onboards, who change no one else's data.
SECRETARIAT_GRANTS = frozenset({Profile.Role.OPD, Profile.Role.EXECUTIVE})
# Accounts only an administrator may change (is_staff/is_superuser are checked as well).
GUARDED_ROLES = frozenset({Profile.Role.ADMIN, Profile.Role.SECRETARIAT})


class RoleGrantRefused(DomainError):
    """The actor may not create or change this account, or give it this role."""

    def __init__(self, message):
        super().__init__(message, code="role_grant_refused")


def _role(user) -> str | None:
    profile = getattr(user, "profile", None)
    return profile.role if profile is not None else None


def is_administrator(actor) -> bool:
    """An administrator, a superuser, or None: the command line, run by whoever runs the server."""
    if actor is None:
        return True
    return actor.is_authenticated and (actor.is_superuser or _role(actor) == Profile.Role.ADMIN)


def is_guarded(user) -> bool:
    """An account only an administrator may change: admin, secretariat, staff or superuser."""
    return user.is_staff or user.is_superuser or _role(user) in GUARDED_ROLES


def role_grant_check(*, actor, user, role: str) -> None:
    """May `actor` create (`user` None) or change `user`, leaving it with `role`? Else raise.

    Call it for every account about to be created or changed (any field: email, name, units,
    role, staff flags); an account left as it is needs no permission. `actor` None is the
    command line and acts as an administrator. is_staff/is_superuser follow the admin role,
    so only an administrator ever sets them.
    """
    role_label = Profile.Role(role).label if role in Profile.Role.values else role
    if user is not None and actor is not None and user.pk == actor.pk and role != _role(user):
        # Checked first, so not even an administrator demotes itself by a stray row and locks
        # the district out: another administrator changes an administrator's role.
        raise RoleGrantRefused(_("Nobody may change their own role."))
    if is_administrator(actor):
        return
    if _role(actor) != Profile.Role.SECRETARIAT:
        raise RoleGrantRefused(_("Your role may not create or change accounts."))
    if user is not None and is_guarded(user):
        raise RoleGrantRefused(
            _(
                "The secretariat may not change the account of an administrator, a "
                "secretariat member or a staff member; ask an administrator."
            )
        )
    if role not in SECRETARIAT_GRANTS:
        raise RoleGrantRefused(
            _("The secretariat may not grant the role “%(role)s”; ask an administrator.")
            % {"role": role_label}
        )
