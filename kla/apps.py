from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class KlaConfig(AppConfig):
    name = "kla"
    verbose_name = _("KLA task force")
