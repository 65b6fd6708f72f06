"""A person's notices: what the secretariat decided about their unit's answers."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from opd import access, selectors
from opd.notices import notices_mark_read


@access.login_required
@require_http_methods(["GET", "POST"])
def notices(request):
    """What the secretariat decided about the person's answers; POST marks all as read."""
    if request.method == "POST":
        notices_mark_read(user=request.user)
        messages.success(request, _("All notices are marked as read."))
        return redirect("opd:notices")
    return render(
        request, "opd/notices.html", {"notices": selectors.notices_for(user=request.user)}
    )
