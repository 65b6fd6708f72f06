"""Response headers that Django 5.2 does not set by itself.

Django's SecurityMiddleware already sends HSTS, nosniff, Referrer-Policy and
Cross-Origin-Opener-Policy (from settings). This middleware adds a Content-Security-Policy
that forbids inline scripts and inline style attributes, and a Permissions-Policy that turns
off browser features the dashboard never uses. A response that already carries its own
policy (an evidence download sets a stricter one) keeps it.
"""

import contextlib
import ipaddress

from django.conf import settings

# One policy for every page. Everything comes from our own origin: Bootstrap and its icons
# are served from node_modules as static files, never from a CDN. `data:` images are the
# small SVGs Bootstrap's CSS embeds (navbar toggler, form validation marks). `blob:` images
# are the photos the upload script shrinks before sending (compressorjs draws the chosen file
# from a blob: URL onto a canvas; blocked, the photo silently went whole). Only a script of
# ours can make a blob: URL, and nothing else (workers, fetches) needs one. Frames are our
# own PDF previews, confined by the preview response's own policy (opd/evidence.py), which
# alone may be framed; no page may be.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: blob:",
        "font-src 'self'",
        "object-src 'none'",
        "frame-src 'self'",
        "frame-ancestors 'none'",
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


class ProxiedClientAddressMiddleware:
    """REMOTE_ADDR is the visitor's address, not nginx's, when nginx forwards the request.

    gunicorn sees every request coming from the proxy (127.0.0.1). The audit trail records
    REMOTE_ADDR and axes locks out by it, so without this every visitor would share one
    address. nginx sets X-Real-IP to the address it saw (overwriting whatever the client
    sent); it is believed only when the request really comes from a trusted proxy
    (KLA_TRUSTED_PROXIES), so a visitor reaching gunicorn directly cannot forge it.
    """

    HEADER = "HTTP_X_REAL_IP"

    def __init__(self, get_response):
        self.get_response = get_response
        self.trusted = set(getattr(settings, "KLA_TRUSTED_PROXIES", []))

    def __call__(self, request):
        meta = request.META
        forwarded = meta.get(self.HEADER, "").strip()
        if forwarded and meta.get("REMOTE_ADDR") in self.trusted:
            # Not an address (a list, garbage): keep the proxy's.
            with contextlib.suppress(ValueError):
                meta["REMOTE_ADDR"] = str(ipaddress.ip_address(forwarded))
        return self.get_response(request)
