from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OpdConfig(AppConfig):
    name = "opd"
    verbose_name = _("Agencies and answers")

    def ready(self) -> None:
        from django.conf import settings
        from django.contrib.auth import get_user_model
        from PIL import Image

        from core import page_cache
        from opd import signals  # noqa: F401 - connects the receivers

        # Pillow's own guard against decompression bombs at the product's limit, for every
        # image it opens (WeasyPrint's too); opd/uploads/images.py reads sizes under it.
        Image.MAX_IMAGE_PIXELS = settings.KLA_IMAGE_MAX_MEGAPIXELS * 1_000_000
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
