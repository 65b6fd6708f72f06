from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OpdConfig(AppConfig):
    name = "opd"
    verbose_name = _("Agencies and answers")

    def ready(self) -> None:
        from opd import signals  # noqa: F401 - connects the receivers
