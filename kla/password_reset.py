"""Password reset by mail: where its link points, and how many mails may go out.

The link. Django builds it from the request's Host header. Anyone can send a reset request
with a Host of their choosing (any name in ALLOWED_HOSTS, or whatever a proxy passes on),
and the victim would get a genuine token in a link to that host: one click hands it over.
So the link's scheme and host come from settings.KLA_BASE_URL, like every link in mail
(core/links.py: only development without KLA_BASE_URL follows the address being served).

The limits. Each request is recorded in the audit trail (the address only as a keyed hash);
at most KLA_PASSWORD_RESET_PER_ADDRESS mails per address and KLA_PASSWORD_RESET_PER_IP
requests per client address go out in an hour, so the form cannot be used to flood someone's
mailbox or our mail server's reputation. The count comes from the database because every
gunicorn worker has its own cache. Over a limit, the page says the same as always ("if an
account uses that address, a link is on its way") and no mail goes out: the answer never
tells whether an account exists, nor that a limit was reached.
"""

import logging
from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth import forms as auth_forms
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from core.links import site_url
from opd.audit import audit_log, client_ip
from opd.models import AuditEvent

log = logging.getLogger(__name__)
WINDOW = timedelta(hours=1)


def address_key(email: str) -> str:
    """The address as the audit trail keeps it: a keyed hash, never the address itself."""
    return salted_hmac("kla.password_reset.address", email.strip().lower()).hexdigest()


def reset_mail_allowed(*, email: str, ip: str | None) -> bool:
    """Count this reset request against the limits; True if its mail may go out.

    A request over the per-client limit is not recorded (only logged): recording it would
    let one client grow the audit trail without bound. A request over the per-address limit
    is recorded, marked limited, and counts against its client. Two workers counting at the
    same moment may let one mail more through; the limit is against floods, not exact.
    """
    recent = AuditEvent.objects.filter(
        action=AuditEvent.Action.PASSWORD_RESET_REQUEST,
        created_at__gte=timezone.now() - WINDOW,
    )
    if recent.filter(ip_address=ip).count() >= settings.KLA_PASSWORD_RESET_PER_IP:
        log.warning("Password reset: request limit reached for client %s; no mail sent", ip)
        return False
    key = address_key(email)
    mails = recent.filter(data__address=key, data__limited=False).count()
    allowed = mails < settings.KLA_PASSWORD_RESET_PER_ADDRESS
    audit_log(
        action=AuditEvent.Action.PASSWORD_RESET_REQUEST,
        ip=ip,
        summary="" if allowed else _("Limit per address reached: no mail sent"),
        data={"address": key, "limited": not allowed},
    )
    return allowed


class PasswordResetForm(auth_forms.PasswordResetForm):
    """Django's reset form, with the link on KLA_BASE_URL and the mail within the limits."""

    def save(self, *, request=None, **kwargs):
        if not reset_mail_allowed(email=self.cleaned_data["email"], ip=client_ip(request)):
            return
        base = urlsplit(site_url())
        kwargs.update(domain_override=base.netloc, use_https=base.scheme == "https")
        super().save(request=request, **kwargs)
