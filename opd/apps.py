from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OpdConfig(AppConfig):
    name = "opd"
    verbose_name = _("Agencies and answers")

    def ready(self) -> None:
        from django.contrib.auth import get_user_model

        from core import page_cache
        from opd import signals  # noqa: F401 - connects the receivers

        # Units, people, assignments and answers are what the cached pages show. Never shown
        # there: the audit trail (written alongside real changes and on downloads), a person's
        # notices (the navigation bar's count is outside the cached fragments, as is
        # Profile.unread_notices), resumable uploads on their way (a finished one is recorded as
        # evidence, which counts), an email change not yet confirmed, and the day a lapsing
        # document's unit was warned.
        page_cache.watch(
            "opd",
            ignore={"auditevent", "notice", "resumableupload", "emailchange"},
            unshown={"profile": {"unread_notices"}, "document": {"expiry_warned_on"}},
        )
        # People's names appear on pages; the login timestamp, written at every login, does not.
        page_cache.watch_model(get_user_model(), unshown={"last_login"})
