"""Settings of `make bench`: the test settings with the benchmark's app installed, so its
management command exists only here (scripts/bench.sh sets DJANGO_SETTINGS_MODULE to this)."""

from kla.settings_test import *  # noqa: F403
from kla.settings_test import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "bench"]
