"""Error pages Django would otherwise draw itself: a failed CSRF check and a server error."""

import base64
import hashlib

from django.http import HttpResponseServerError
from django.shortcuts import render
from django.template import loader
from django.utils.safestring import mark_safe

from kla.security import CONTENT_SECURITY_POLICY


def csrf_failure(request, reason=""):
    """A form sent without a valid CSRF token (CSRF_FAILURE_VIEW).

    Nearly always an honest visitor: a page left open past the session, a logout in another
    tab, a form sent twice from a stale page. Django's own page is English developer text;
    ours says what happened and what to do, in the reader's language. Django has already
    logged the reason (logger django.security.csrf).
    """
    return render(request, "403_csrf.html", status=403)


# The 500 page's whole style, inline: it must render when static files do not (with the
# manifest storage, a missing manifest makes every {% static %} raise) and when the database
# is what failed (so no request context, no context processors). Our CSP forbids inline
# style unless it names the style's hash, so the response sends a policy that does.
SERVER_ERROR_CSS = """
body{margin:0;font-family:system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;
color:#212529;background:#f8f9fa;line-height:1.5}
header{background:#0b6e4f;padding:.75rem 1rem}
header a{color:#fff;font-weight:600;text-decoration:none;font-size:1.15rem}
main{max-width:34rem;margin:2rem auto;padding:1.5rem;background:#fff;border-radius:.5rem;
box-shadow:0 .125rem .25rem rgba(0,0,0,.075)}
h1{font-size:1.4rem;margin-top:0}
.muted{color:#6c757d;font-size:.9rem}
.button{display:inline-block;padding:.375rem .75rem;border-radius:.375rem;background:#0b6e4f;
color:#fff;text-decoration:none}
"""
_CSS_HASH = base64.b64encode(hashlib.sha256(SERVER_ERROR_CSS.encode()).digest()).decode()
SERVER_ERROR_CSP = CONTENT_SECURITY_POLICY.replace(
    "style-src 'self'", f"style-src 'self' 'sha256-{_CSS_HASH}'"
)


def server_error(request):
    """handler500: 500.html without a request context, with its inline style allowed."""
    # The CSS is our own constant, inserted as is: escaping would change the hashed text.
    css = mark_safe(SERVER_ERROR_CSS)  # noqa: S308
    html = loader.get_template("500.html").render({"css": css})
    response = HttpResponseServerError(html)
    response["Content-Security-Policy"] = SERVER_ERROR_CSP
    return response
