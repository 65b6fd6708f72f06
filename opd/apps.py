from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OpdConfig(AppConfig):
    name = "opd"
    verbose_name = _("Agencies and answers")

    def ready(self) -> None:
        from django.conf import settings
        from PIL import Image

        from opd import signals  # noqa: F401 - connects the receivers

        # Pillow's own guard against decompression bombs at the product's limit, for every
        # image it opens (WeasyPrint's too); opd/uploads/images.py reads sizes under it.
        Image.MAX_IMAGE_PIXELS = settings.KLA_IMAGE_MAX_MEGAPIXELS * 1_000_000
