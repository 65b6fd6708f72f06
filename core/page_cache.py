"""Rendered fragments of the heavy read pages, cached until the data under them changes.

The dashboards, the workspace and the review queue are read far more often than the rows
behind them change, and rendering them costs tens of milliseconds on a large district. Every
committed save or delete of a model of the instrument or the answers raises one number in the
database (`DataVersion`), and fragments are cached under keys that include it. A change is
therefore visible on the next request in every process, with no list of keys to invalidate
by hand; the cache itself can stay per process (Django's default local-memory cache).

The number is raised after commit, never inside the writing transaction: the row would
otherwise be locked for as long as any write is open and serialise every writer. A reader
that sees the new number started after the commit, so it reads the new rows too.

Fragments must not hold anything specific to one visitor beyond what their key names: no CSRF
token (checked: a fragment with one is never stored), nothing about the visitor, no messages.
"""

import hashlib
import secrets
from collections.abc import Callable, Iterable

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import F
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

from core.models import DataVersion

# Models of these apps are what the cached pages show.
WATCHED_APPS = {"indicators", "opd"}
# Written alongside real changes or on reads (downloads); never shown on a cached page.
IGNORED_MODELS = {"opd.auditevent"}
ROW_ID = 1


def version() -> int:
    """The current data version."""
    value = DataVersion.objects.filter(pk=ROW_ID).values_list("value", flat=True).first()
    if value is None:
        version_bump()
        value = DataVersion.objects.filter(pk=ROW_ID).values_list("value", flat=True).first()
    return value


def version_bump() -> None:
    """Raise the data version by one (after a commit; see the module's docstring)."""
    if DataVersion.objects.filter(pk=ROW_ID).update(value=F("value") + 1):
        return
    try:
        # A new row starts at a random number: a database emptied and filled again (a
        # restore, a flush) must not meet fragments cached under its earlier numbers.
        with transaction.atomic():
            DataVersion.objects.create(pk=ROW_ID, value=secrets.randbelow(2**62))
    except IntegrityError:  # created by a concurrent bump in the meantime
        DataVersion.objects.filter(pk=ROW_ID).update(value=F("value") + 1)


def _watched(sender) -> bool:
    meta = sender._meta
    if meta.auto_created:  # an m2m through table: judged by the models it joins
        return meta.app_label in WATCHED_APPS
    return meta.app_label in WATCHED_APPS and meta.label_lower not in IGNORED_MODELS


def _schedule_bump() -> None:
    connection = transaction.get_connection()
    # One bump per transaction, however many rows it writes. A bump already registered is
    # enough: it is dropped only if a savepoint it was registered under rolls back, and any
    # such savepoint still open encloses this write too, which then rolls back with it.
    if connection.in_atomic_block and any(
        func is version_bump for _ids, func, _robust in connection.run_on_commit
    ):
        return
    transaction.on_commit(version_bump)


def _on_save(sender, update_fields=None, **kwargs):
    if sender is get_user_model():
        # Names appear on pages; the login timestamp, written at every login, does not.
        if update_fields is None or set(update_fields) - {"last_login"}:
            _schedule_bump()
    elif _watched(sender):
        _schedule_bump()


def _on_delete(sender, **kwargs):
    if sender is get_user_model() or _watched(sender):
        _schedule_bump()


def _on_m2m(sender, action, **kwargs):
    if action.startswith("post_") and _watched(sender):
        _schedule_bump()


def connect() -> None:
    """Called once from the app's ready()."""
    post_save.connect(_on_save, dispatch_uid="core.page_cache.save")
    post_delete.connect(_on_delete, dispatch_uid="core.page_cache.delete")
    m2m_changed.connect(_on_m2m, dispatch_uid="core.page_cache.m2m")


def fragment(request, template_name: str, *, parts: Iterable, context: Callable[[], dict]):
    """`template_name` rendered with `context()`, from the cache while the data version,
    language and date (days left, behind schedule) are unchanged. `parts` must name everything
    else the HTML depends on: the period, the filters, the visitor's units."""
    seconds = settings.KLA_PAGE_CACHE_SECONDS
    if seconds <= 0:
        return render_to_string(template_name, context(), request=request)
    source = repr(
        (template_name, version(), get_language(), timezone.localdate().isoformat(), *parts)
    )
    key = "kla:fragment:" + hashlib.sha256(source.encode()).hexdigest()
    html = cache.get(key)
    if html is None:
        html = render_to_string(template_name, context(), request=request)
        if "csrfmiddlewaretoken" not in html:
            cache.set(key, html, seconds)
    return mark_safe(html)  # noqa: S308 - rendered by our own templates, escaped there
