"""Who may see and do what. Every access rule of the product lives in this module.

Helpers return the object or raise Http404 (the user may not even know it exists) or
PermissionDenied (403: the user may read it but may not do this). Views call them first.
"""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied

from opd.models import Profile


def role_of(user) -> str | None:
    """The user's task-force role, or None for anonymous users and users without a profile."""
    if not user.is_authenticated:
        return None
    profile = getattr(user, "profile", None)
    if profile is None:
        return Profile.Role.ADMIN if user.is_superuser else None
    return profile.role


def is_secretariat(user) -> bool:
    return role_of(user) in (Profile.Role.SECRETARIAT, Profile.Role.ADMIN)


def is_executive(user) -> bool:
    return role_of(user) == Profile.Role.EXECUTIVE


def is_opd(user) -> bool:
    return role_of(user) == Profile.Role.OPD


def can_read_everything(user) -> bool:
    """Secretariat, admin and executive read all units' work; only the first two change it."""
    return is_secretariat(user) or is_executive(user)


def user_unit_ids(user) -> set[int]:
    """Ids of the units a user is a member of (cached on the user for the request)."""
    if not user.is_authenticated:
        return set()
    cached = getattr(user, "_kla_unit_ids", None)
    if cached is None:
        profile = getattr(user, "profile", None)
        cached = set(profile.units.values_list("pk", flat=True)) if profile else set()
        user._kla_unit_ids = cached
    return cached


def role_required(*roles):
    """View decorator: logged in (else redirect to login) and one of `roles` (else 403)."""

    def decorator(view):
        @login_required
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if role_of(request.user) not in roles:
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


secretariat_required = role_required(Profile.Role.SECRETARIAT, Profile.Role.ADMIN)
readers_required = role_required(
    Profile.Role.SECRETARIAT, Profile.Role.ADMIN, Profile.Role.EXECUTIVE
)
opd_required = role_required(Profile.Role.OPD)
