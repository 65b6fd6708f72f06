from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IndicatorsConfig(AppConfig):
    name = "indicators"
    verbose_name = _("KLA instrument")

    def ready(self) -> None:
        from core import page_cache
        from indicators.models import ScoreSnapshot

        # The instrument shows on every cached page.
        page_cache.watch("indicators")
        # Snapshots feed only the trends: they need not rebuild every page.
        page_cache.scope_changes_of(ScoreSnapshot, lambda _snapshot, _new: [page_cache.SNAPSHOTS])
