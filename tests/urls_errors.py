"""The project's URLs plus views that fail on purpose, for the error page tests."""

from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.urls import path

from kla.site_urls import handler500  # noqa: F401  (the project's 500 page here too)
from kla.site_urls import urlpatterns as project_urlpatterns


def boom(request):
    raise RuntimeError("deliberate failure with a secret detail: /srv/kla/var")


def forbidden(request):
    raise PermissionDenied


def suspicious(request):
    raise SuspiciousOperation("deliberately suspicious")


urlpatterns = [
    path("test-errors/500/", boom),
    path("test-errors/403/", forbidden),
    path("test-errors/400/", suspicious),
    *project_urlpatterns,
]
