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


class DataChange(models.Model):
    """What one raise of a scope's number changed, a row per key, for scopes whose readers
    update what they keep instead of computing it again (a period's score: the ids of the
    questions whose answers moved; a reader joins its rows to what they name).

    Written in the same transaction as the raise, whose row lock orders the raises of a scope:
    a reader that sees number N finds the notes of every raise up to N. Derived state, kept for
    the last few hundred raises of a scope (core/page_cache.py).
    """

    scope = models.CharField(_("scope"), max_length=40)
    value = models.BigIntegerField(_("value"))
    key = models.BigIntegerField(_("key"))

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["scope", "value", "key"], name="datachange_scope_value_key"
            )
        ]
        verbose_name = _("data change")
        verbose_name_plural = _("data changes")

    def __str__(self) -> str:
        return f"data change {self.scope} {self.value}"
