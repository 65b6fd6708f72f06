import gc

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

# Python's cyclic garbage collector runs a young collection every 700 new container objects by
# default. Scoring a large district makes tens of thousands of short-lived tuples, and the page
# cache keeps large trees alive, so collections ran two dozen times per score and an older
# generation now and then walked every kept object: at ten times a district, 8 to 22 ms of a
# 20 ms score went to the collector (make bench). Our objects seldom form cycles (what they do
# form is collected later, not leaked), so young collections run every 50,000 new objects.
GC_YOUNG_THRESHOLD = 50_000


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = _("Shared")

    def ready(self):
        from core import page_cache

        page_cache.connect()
        _, older, oldest = gc.get_threshold()
        gc.set_threshold(GC_YOUNG_THRESHOLD, older, oldest)
