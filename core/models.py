from django.db import models
from django.utils.translation import gettext_lazy as _


class DataVersion(models.Model):
    """One row whose number goes up after every commit that changes what the pages show.

    Cached page fragments are keyed on it (core/page_cache.py), so a change shows on the next
    request in every process. It is derived state: not backed up, recreated when missing.
    """

    value = models.BigIntegerField(_("value"), default=0)

    class Meta:
        # The table kla's migrations made, before the page cache moved to this package.
        db_table = "kla_dataversion"
        verbose_name = _("data version")
        verbose_name_plural = _("data versions")

    def __str__(self) -> str:
        return f"data version {self.value}"
