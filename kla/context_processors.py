from django.conf import settings

from opd import access


def navigation(request):
    """What the navigation bar needs: the user's role flags and the district's name."""
    user = getattr(request, "user", None)
    signed_in = user is not None and user.is_authenticated
    return {
        "district_name": settings.KLA_DISTRICT_NAME,
        "nav_is_secretariat": signed_in and access.is_secretariat(user),
        "nav_is_executive": signed_in and access.is_executive(user),
        "nav_is_opd": signed_in and access.is_opd(user),
        "nav_is_admin": signed_in and access.is_administrator(user),
        # Kept on the profile, which the role check has already read: no query of its own.
        "nav_unread": getattr(getattr(user, "profile", None), "unread_notices", 0)
        if signed_in
        else 0,
    }
