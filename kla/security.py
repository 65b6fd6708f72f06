"""Response headers that Django 5.2 does not set by itself.

Django's SecurityMiddleware already sends HSTS, nosniff, Referrer-Policy and
Cross-Origin-Opener-Policy (from settings). This middleware adds a Content-Security-Policy
that forbids inline scripts and inline style attributes, and a Permissions-Policy that turns
off browser features the dashboard never uses. A response that already carries its own
policy (an evidence download sets a stricter one) keeps it.
"""

from django.conf import settings

# One policy for every page. Everything comes from our own origin: Bootstrap and its icons
# are served from node_modules as static files, never from a CDN. `data:` images are the
# small SVGs Bootstrap's CSS embeds (navbar toggler, form validation marks). Frames are our
# own sandboxed PDF previews.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "object-src 'none'",
        "frame-src 'self'",
        "frame-ancestors 'self'",
        "base-uri 'self'",
        "form-action 'self'",
    ]
)

PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "accelerometer",
        "autoplay",
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "payment",
        "usb",
    )
)


class SecurityHeadersMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.csp = getattr(settings, "KLA_CONTENT_SECURITY_POLICY", CONTENT_SECURITY_POLICY)

    def __call__(self, request):
        response = self.get_response(request)
        headers = response.headers
        if "Content-Security-Policy" not in headers and self.csp:
            headers["Content-Security-Policy"] = self.csp
        headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        return response
