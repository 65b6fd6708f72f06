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
    }
