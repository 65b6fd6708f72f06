"""The site's own address, for links that leave the browser (mail, the WhatsApp summary).

Production names it in KLA_BASE_URL and the settings refuse to start without it: a link in
mail must never depend on the Host header a request happened to carry (password reset links
above all). In development (DEBUG=1 and KLA_BASE_URL unset) links follow the address being
served, so a link opened from `make run` on another port or machine leads back to it; outside
a request (a management command) they fall back to the development default.
"""

import contextvars

from django.conf import settings
from django.core.exceptions import DisallowedHost

# Set per request by RequestSiteUrlMiddleware, only when KLA_BASE_URL_FROM_REQUEST is on.
_request_site_url: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "request_site_url", default=None
)


def site_url() -> str:
    """The base address without a trailing slash: the request's in development, else settings."""
    return (_request_site_url.get() or settings.KLA_BASE_URL).rstrip("/")


class RequestSiteUrlMiddleware:
    """In development without KLA_BASE_URL, links built during a request use its address.

    A contextvar rather than a request argument: mail is sent on commit from services that
    never see the request, in the same thread (or task) as the request that caused it.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not getattr(settings, "KLA_BASE_URL_FROM_REQUEST", False):
            return self.get_response(request)
        try:
            served = request.build_absolute_uri("/")
        except DisallowedHost:
            # Django answers 400 for this host further down; links keep the default meanwhile.
            served = None
        token = _request_site_url.set(served)
        try:
            return self.get_response(request)
        finally:
            _request_site_url.reset(token)
