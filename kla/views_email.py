"""The two links of a proposed email address (opd/email_changes.py): the new address's owner
confirms it, the old address's owner cancels it. No login: the link's key is the proof of
the mailbox. GET only shows what the link would do, so a mail scanner that opens links
changes nothing; the button posts."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from core.errors import DomainError
from opd.audit import client_ip
from opd.email_changes import email_change_cancel, email_change_confirm, email_change_preview


def _email_link(request, key: str, *, confirm: bool):
    if request.method == "POST":
        try:
            if confirm:
                change = email_change_confirm(key=key, ip=client_ip(request))
                messages.success(
                    request,
                    _("The address %(e)s is now your account's.") % {"e": change.new_email},
                )
            else:
                email_change_cancel(key=key, ip=client_ip(request))
                messages.success(
                    request, _("The change was cancelled: your account keeps this address.")
                )
        except DomainError as error:
            messages.error(request, error.message)
        return redirect("kla:home" if request.user.is_authenticated else "login")
    change = email_change_preview(key=key, field="confirm_hash" if confirm else "cancel_hash")
    return render(
        request,
        "registration/email_change.html",
        {"change": change, "confirm": confirm},
        status=200 if change else 404,
    )


@require_http_methods(["GET", "POST"])
def email_change_confirm_view(request, key: str):
    return _email_link(request, key, confirm=True)


@require_http_methods(["GET", "POST"])
def email_change_cancel_view(request, key: str):
    return _email_link(request, key, confirm=False)
