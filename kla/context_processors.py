from django.conf import settings

from kla import access


def navigation(request):
    """What the navigation bar needs: the user's role flags and the district's name."""
    user = getattr(request, "user", None)
    role = access.role_of(user) if user is not None else None
    return {
        "district_name": settings.KLA_DISTRICT_NAME,
        "nav_role": role,
        "nav_is_secretariat": role in ("secretariat", "admin"),
        "nav_is_executive": role == "executive",
        "nav_is_opd": role == "opd",
        "nav_is_admin": role == "admin" or bool(user and user.is_superuser),
    }
