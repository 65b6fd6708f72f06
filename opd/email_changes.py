"""An account's email address changes only when its new owner confirms it.

Whoever may type an account's address (the secretariat's people import, the admin) could
point it at a mailbox they read, ask for a password reset and log in as the Bupati. So a new
address is only proposed: a link goes to it, and the account's address changes when that link
is followed. Until then mail and password resets go to the old address, which is told of the
proposal at once and may cancel it. Every step is audited.
"""

import hashlib
import secrets

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import DomainError
from opd.audit import audit_log
from opd.models import AuditEvent, EmailChange


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def email_taken(*, email: str, user) -> bool:
    """Does `email` already open another account (or wait to)? An address that resets one
    account's password is never given to a second."""
    User = get_user_model()
    others = User.objects.filter(email__iexact=email).exclude(pk=user.pk if user else None)
    waiting = EmailChange.objects.filter(
        new_email__iexact=email,
        confirmed_at__isnull=True,
        cancelled_at__isnull=True,
        created_at__gt=timezone.now() - EmailChange.LIFETIME,
    ).exclude(user=user)
    return others.exists() or waiting.exists()


def email_change_pending(*, user) -> EmailChange | None:
    """The change waiting for `user`'s confirmation, if any."""
    change = EmailChange.objects.filter(
        user=user, confirmed_at__isnull=True, cancelled_at__isnull=True
    ).first()
    return change if change is not None and change.is_pending() else None


@transaction.atomic
def email_change_request(
    *, user, new_email: str, actor, ip: str | None = None, send: bool = True
) -> EmailChange | None:
    """Propose `new_email` for `user`: nothing changes on the account until the link sent to
    the new address is followed. Replaces an older proposal; None when the address is already
    the account's or already proposed. The new address gets the link, the old one a notice
    with a link to cancel (both after the commit)."""
    User = get_user_model()
    user = User.objects.select_for_update().get(pk=user.pk)
    new_email = User.objects.normalize_email(new_email.strip())
    if new_email.lower() == (user.email or "").lower():
        EmailChange.objects.filter(
            user=user, confirmed_at__isnull=True, cancelled_at__isnull=True
        ).update(cancelled_at=timezone.now())
        return None
    pending = email_change_pending(user=user)
    if pending is not None and pending.new_email.lower() == new_email.lower():
        return None
    if email_taken(email=new_email, user=user):
        raise DomainError(
            _("“%(e)s” belongs to another account.") % {"e": new_email}, code="email_taken"
        )
    now = timezone.now()
    EmailChange.objects.filter(
        user=user, confirmed_at__isnull=True, cancelled_at__isnull=True
    ).update(cancelled_at=now)
    confirm_key, cancel_key = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    change = EmailChange.objects.create(
        user=user,
        new_email=new_email,
        confirm_hash=_hash(confirm_key),
        cancel_hash=_hash(cancel_key),
        requested_by=actor if actor and actor.pk else None,
        created_at=now,
    )
    audit_log(
        action=AuditEvent.Action.EMAIL_CHANGE_REQUEST,
        actor=actor,
        ip=ip,
        summary=_(
            "New email address proposed for %(u)s: %(old)s → %(new)s (waiting for confirmation)"
        )
        % {"u": user.username, "old": user.email or "—", "new": new_email},
        data={"username": user.username, "old": user.email, "new": new_email},
    )
    if send:
        transaction.on_commit(lambda: _send_request(change.pk, confirm_key, cancel_key))
    return change


def _find(*, key: str, field: str) -> EmailChange:
    change = (
        EmailChange.objects.select_for_update()
        .select_related("user")
        .filter(**{field: _hash(key)})
        .first()
    )
    if change is None or not change.is_pending():
        raise DomainError(
            _(
                "This link is not valid any more: it was used, cancelled, replaced or is older "
                "than seven days."
            ),
            code="email_change_invalid",
        )
    return change


def email_change_preview(*, key: str, field: str) -> EmailChange | None:
    """The pending change a link names (for the page that asks to confirm), or None."""
    change = EmailChange.objects.select_related("user").filter(**{field: _hash(key)}).first()
    return change if change is not None and change.is_pending() else None


@transaction.atomic
def email_change_confirm(*, key: str, ip: str | None = None) -> EmailChange:
    """The new address's owner followed the link: it becomes the account's address. The old
    address is told (after the commit)."""
    change = _find(key=key, field="confirm_hash")
    User = get_user_model()
    user = User.objects.select_for_update().get(pk=change.user_id)
    if User.objects.filter(email__iexact=change.new_email).exclude(pk=user.pk).exists():
        raise DomainError(
            _("“%(e)s” belongs to another account.") % {"e": change.new_email},
            code="email_taken",
        )
    old = user.email
    user.email = change.new_email
    user.save(update_fields=["email"])
    change.confirmed_at = timezone.now()
    change.save(update_fields=["confirmed_at"])
    audit_log(
        action=AuditEvent.Action.EMAIL_CHANGE_CONFIRM,
        actor=user,
        ip=ip,
        summary=_("Email address of %(u)s confirmed: %(old)s → %(new)s")
        % {"u": user.username, "old": old or "—", "new": change.new_email},
        data={"username": user.username, "old": old, "new": change.new_email},
    )
    if old:
        transaction.on_commit(lambda: _send_changed(change.pk, old))
    return change


@transaction.atomic
def email_change_cancel(*, key: str, ip: str | None = None) -> EmailChange:
    """The old address's owner refused the change: the account keeps its address."""
    change = _find(key=key, field="cancel_hash")
    change.cancelled_at = timezone.now()
    change.save(update_fields=["cancelled_at"])
    audit_log(
        action=AuditEvent.Action.EMAIL_CHANGE_CANCEL,
        actor=change.user,
        ip=ip,
        summary=_("Proposed email address of %(u)s cancelled: %(new)s")
        % {"u": change.user.username, "new": change.new_email},
        data={"username": change.user.username, "new": change.new_email},
    )
    return change


def _send_request(change_id: int, confirm_key: str, cancel_key: str) -> None:
    from opd.notifications import absolute_url, send_mail_template

    change = EmailChange.objects.select_related("user", "requested_by").get(pk=change_id)
    context = {
        "user": change.user,
        "change": change,
        "actor": change.requested_by,
        "expires_at": change.expires_at,
    }
    send_mail_template(
        template="email_change_confirm",
        context={**context, "link": absolute_url("email-change-confirm", confirm_key)},
        recipients=[change.new_email],
    )
    if change.user.email:
        send_mail_template(
            template="email_change_requested",
            context={**context, "link": absolute_url("email-change-cancel", cancel_key)},
            recipients=[change.user.email],
        )


def _send_changed(change_id: int, old_email: str) -> None:
    from opd.notifications import send_mail_template

    change = EmailChange.objects.select_related("user", "requested_by").get(pk=change_id)
    send_mail_template(
        template="account_email_changed",
        context={
            "user": change.user,
            "actor": change.requested_by,
            "changed_at": change.confirmed_at,
        },
        recipients=[old_email],
    )
