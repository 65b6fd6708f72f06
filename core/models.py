from django.db import models
from django.utils.translation import gettext_lazy as _


class DataVersion(models.Model):
    """A number per scope that goes up after every commit changing what the scope covers.

    Cached page fragments and computed figures are keyed on the numbers of the scopes they
    depend on (core/page_cache.py: "all", a period, a unit, a period's score or progress), so a
    change shows on the next request in every process. It is derived state: not backed up,
    recreated when missing.
    """

    scope = models.CharField(_("scope"), max_length=40, unique=True)
    value = models.BigIntegerField(_("value"), default=0)

    class Meta:
        # The table kla's migrations made, before the page cache moved to this package.
        db_table = "kla_dataversion"
        verbose_name = _("data version")
        verbose_name_plural = _("data versions")

    def __str__(self) -> str:
        return f"data version {self.scope} {self.value}"
