"""Rendered fragments of the heavy read pages, and the figures under them, cached until the
data they show changes.

The dashboards, the workspace and the review queue are read far more often than the rows
behind them change, and building them costs tens of milliseconds on a large district. Every
committed save or delete of a model of the instrument or the answers raises a number in the
database (`DataVersion`), one per scope the change touches:

    all            everything: the instrument, units, people, periods, assignments
    period:<id>    any answer of the period, its evidence and comments (the review queue)
    unit:<id>      the answers a unit's workspace shows: its own and those of the questions it
                   is assigned to (a supporting unit sees the lead's answer)
    score:<id>     answers of the period appearing, going or changing points or state: what
                   the score and the gaps read; not narratives or comments
    queue:<id>     answers of the period appearing, going or changing state or submission
                   time: what the review queue's size and age read (not a change of points)
    progress:<id>  that, and evidence added or removed: what unit completion reads
    snapshots      score snapshots (the trends)

Fragments and figures are cached under keys that include the numbers of "all" and of the scopes
they depend on, so a change is visible on the next request in every process, with no list of
keys to invalidate by hand, while one unit's save leaves every other unit's workspace and the
score alone. The caches themselves stay per process.

Each app whose models the pages show registers itself from its ready() (`watch`, naming the
models and fields no page shows); core names no app. Every write to a watched model raises: saves
and deletes through the signals, and update(), bulk_create() and bulk_update() through the
models' managers, which must use WatchedQuerySet (`watch` refuses a model whose managers do not).
Raw SQL raises nothing: a restore loads through the models' saves into an empty database (whose
"all" starts at a new number anyway), and a data migration that changes what pages show (its
historical models have plain managers) ends with version_bump(). docs/development.md states the
rule.

The numbers are raised after commit, never inside the writing transaction, once per
transaction: the rows would otherwise be locked for as long as any write is open and serialise
every writer. A reader that sees a new number started after the commit, so it reads the new
rows too; what it computes is never older than the numbers it is kept under.

A scope's raise may also note what it changed (`DataChange`, written in the same transaction as
the raise): the score keeps its last result per process and, on a new number of score:<id>,
reads the questions the raises since named and derives only their indicators again
(opd/scoring.py). The raises of a scope wait on each other's row lock, so a reader that sees
number N finds the notes of every raise up to N, whichever process wrote them.

Fragments must not hold anything specific to one visitor beyond what their key names: no CSRF
token (checked: a fragment with one is never stored), nothing about the visitor, no messages.
"""

import contextlib
import secrets
import threading
import time
from collections.abc import Callable, Hashable, Iterable
from contextvars import ContextVar
from dataclasses import dataclass, field

from django.apps import apps
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connection, models, transaction
from django.db.models import Q
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

from core import sql
from core.models import DataChange, DataVersion

GLOBAL = "all"
SNAPSHOTS = "snapshots"
# A transaction touching more rows or scopes than this (an import, a restore) raises "all":
# every page is rebuilt anyway, and one row is cheaper to raise than thousands.
MAX_ROWS, MAX_SCOPES = 200, 200
# Figures and rendered rows kept per process (the memo below): a large district needs a few
# thousand; at most some tens of MB.
MEMO_MAX_ENTRIES = 10_000
# The notes of this many raises of a scope are kept; a reader further behind computes afresh.
NOTES_KEPT = 500


def period_scope(pk: int) -> str:
    return f"period:{pk}"


UNIT_PREFIX, ANSWERS_PREFIX = "unit:", "answers:"
# The scopes of one unit each: hundreds in a district, read when a page names them, never with
# a request's first, district-wide read.
PER_UNIT_PREFIXES = (UNIT_PREFIX, ANSWERS_PREFIX)


def unit_scope(pk: int) -> str:
    """What a unit's pages show: its own answers and those of the questions it supports or
    coordinates (its workspace lists them)."""
    return f"{UNIT_PREFIX}{pk}"


def answers_scope(pk: int) -> str:
    """The answers a unit gives, with their evidence and comments, alone: raised for the unit
    whose answer changed, not for the others that see it (unit_scope), so a figure of each
    unit's own answers (the verification risk) is computed again for one unit, not three."""
    return f"{ANSWERS_PREFIX}{pk}"


def score_scope(pk: int) -> str:
    return f"score:{pk}"


def queue_scope(pk: int) -> str:
    return f"queue:{pk}"


def progress_scope(pk: int) -> str:
    return f"progress:{pk}"


# --- The numbers ------------------------------------------------------------------------------


def versions(scopes: Iterable[str] = (), *, district_wide: bool = False) -> dict[str, int]:
    """The current number of each scope and of "all", in one query. A scope never raised has
    no row and counts 0; "all" always has one, started at a random number, and every key holds
    it, so a database emptied and filled again (a restore, a flush) meets none of its earlier
    keys. With `district_wide`, every scope but the units' too (a few per period), those
    raised by their numbers."""
    wanted = {GLOBAL, *scopes}
    found, _every_unit = _read(wanted, district_wide=district_wide)
    return {**(found if district_wide else {}), **{scope: found.get(scope, 0) for scope in wanted}}


def _read(wanted: set[str], *, district_wide: bool) -> tuple[dict[str, int], bool]:
    """The rows of `wanted` (with `district_wide`, of every scope but the units') in one query,
    and whether it read every unit's numbers: a unit's scope without a row then counts 0."""
    # Hundreds of scopes of one kind (a dashboard's units) are read by their prefix: cheaper to
    # ask for than to list. A page that needs one unit kind's hundreds needs the other's soon
    # (the secretariat's unit table and its points at risk): both are read at once then, one
    # query instead of two for 450 more rows.
    kinds: dict[str, int] = {}
    for scope in wanted:
        kind = scope.partition(":")[0] + ":"
        kinds[kind] = kinds.get(kind, 0) + 1
    many = {kind for kind, n in kinds.items() if n > 20}
    every_unit = not many.isdisjoint(PER_UNIT_PREFIXES)
    if every_unit:
        many.update(PER_UNIT_PREFIXES)
    prefixes = tuple(sorted(many))
    listed = sorted(s for s in wanted if not s.startswith(prefixes)) if prefixes else sorted(wanted)
    # Written out (core.sql): every GET request reads these numbers, and Django building the
    # query took 0.17 ms of the 0.23 ms the read cost the server. Scope kinds are our own words
    # (no % or _ to escape in LIKE).
    conditions = [f"scope IN ({', '.join(['%s'] * len(listed))})"]
    params: list = [*listed]
    for prefix in prefixes:
        conditions.append("scope LIKE %s")
        params.append(prefix + "%")
    if district_wide:
        conditions.append("NOT (scope LIKE %s OR scope LIKE %s)")
        params += [UNIT_PREFIX + "%", ANSWERS_PREFIX + "%"]
    table = connection.ops.quote_name(DataVersion._meta.db_table)
    found = dict(
        sql.fetch(
            f"SELECT scope, value FROM {table} WHERE {' OR '.join(conditions)}",  # noqa: S608
            params,
        )
    )
    if GLOBAL not in found:
        _raise({GLOBAL})
        found[GLOBAL] = DataVersion.objects.get(scope=GLOBAL).value
    return found, every_unit


def version() -> int:
    """The current number of "all"."""
    return versions()[GLOBAL]


def version_bump() -> None:
    """Raise "all" now: every cached page and figure is rebuilt on its next request."""
    _raise({GLOBAL})


def _raise(scopes: set[str], notes: dict[str, set] | None = None) -> None:
    """Raise each scope's number by one, creating a missing row at a random number. One
    statement; rows are taken in the scopes' order, so two of these never wait on each other
    crosswise (a deadlock). With `notes` (scope -> keys), each noted scope's new number is
    written with its keys in the same transaction: the row lock is held until both commit."""
    table = connection.ops.quote_name(DataVersion._meta.db_table)
    ordered = sorted(scopes)
    rows = ", ".join(["(%s, %s)"] * len(ordered))
    noted = {scope: keys for scope, keys in (notes or {}).items() if scope in scopes}
    with transaction.atomic() if noted else contextlib.nullcontext(), connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (scope, value) VALUES {rows} "  # noqa: S608 - our table name
            f"ON CONFLICT (scope) DO UPDATE SET value = {table}.value + 1"
            + (" RETURNING scope, value" if noted else ""),
            [item for scope in ordered for item in (scope, secrets.randbelow(2**62))],
        )
        if noted:
            raised = [(scope, value) for scope, value in cursor.fetchall() if scope in noted]
            DataChange.objects.bulk_create(
                [DataChange(scope=s, value=v, key=k) for s, v in raised for k in noted[s]],
                ignore_conflicts=True,
            )
            # Now and then, the notes no reader needs any more.
            old = Q()
            for scope, value in raised:
                if value % 64 == 0:
                    old |= Q(scope=scope, value__lte=value - NOTES_KEPT)
            if old:
                DataChange.objects.filter(old).delete()


def changes_since(scope: str, after: int, upto: int) -> set[int] | None:
    """The keys the raises of `scope` from number `after` (excluded) to `upto` noted, in one
    query; None when some raise noted nothing or its note is gone (then the reader computes
    afresh). A reader may instead join the notes (DataChange rows of `scope` with `after` <
    value <= `upto`) to what they name, and check the same: one value per raise."""
    if upto == after:
        return set()
    if not 0 < upto - after <= NOTES_KEPT:
        return None
    values, keys = set(), set()
    for value, key in DataChange.objects.filter(
        scope=scope, value__gt=after, value__lte=upto
    ).values_list("value", "key"):
        values.add(value)
        keys.add(key)
    return keys if len(values) == upto - after else None


def pending() -> bool:
    """Whether the current transaction has written rows the cached pages show: its raise
    waits for the commit, so what is kept under the current numbers does not show them yet."""
    conn = transaction.get_connection()
    return conn.in_atomic_block and any(
        isinstance(func, _Changes) for _ids, func, _robust in conn.run_on_commit
    )


# --- What a change touches ---------------------------------------------------------------------

# model -> function(instance, created_or_deleted: bool) -> scopes (str) and rows (tuples) whose
# scopes are found after the commit by the function given to `resolve_rows_with`.
_SCOPED: dict[type, Callable] = {}
_resolve_rows: Callable[[set], set[str]] | None = None


def scope_changes_of(model, items: Callable) -> None:
    """Let saves and deletes of `model` raise the scopes `items(instance, created_or_deleted)`
    names instead of "all" (called from an app's ready())."""
    _SCOPED[model] = items


def resolve_rows_with(func: Callable[[set], set]) -> None:
    """`func(rows)` turns the rows a transaction changed into scopes, after its commit, in a
    few queries whatever their number; it returns {"all"} for a row it cannot place. An item
    (scope, key) raises the scope and notes the key with its raise (`changes_since`)."""
    global _resolve_rows
    _resolve_rows = func


class _Changes:
    """What one transaction changed, raised once after its commit."""

    def __init__(self):
        self.scopes: set[str] = set()
        self.rows: set[tuple] = set()

    def add(self, items: Iterable) -> None:
        for item in items:
            (self.rows if isinstance(item, tuple) else self.scopes).add(item)

    def __call__(self) -> None:
        scopes, notes = set(self.scopes), {}
        if self.rows:
            if len(self.rows) > MAX_ROWS or _resolve_rows is None:
                scopes.add(GLOBAL)
            else:
                for item in _resolve_rows(self.rows):
                    if isinstance(item, tuple):
                        scope, key = item
                        notes.setdefault(scope, set()).add(key)
                        scopes.add(scope)
                    else:
                        scopes.add(item)
        if GLOBAL in scopes or len(scopes) > MAX_SCOPES:
            _raise({GLOBAL})
        else:
            # A scope raised by name besides its rows (changed(scope)) has no complete note:
            # left without one, its readers compute afresh.
            named = self.scopes
            _raise(scopes, {scope: keys for scope, keys in notes.items() if scope not in named})


def changed(*items) -> None:
    """Raise these scopes (and the scopes of these rows) after the current transaction
    commits; at once outside a transaction. One raise per transaction, however many rows it
    writes."""
    conn = transaction.get_connection()
    # A raise already registered is enough, and more items may join it: it is dropped only if
    # a savepoint it was registered under rolls back, and any such savepoint still open encloses
    # this write too, which then rolls back with it. (Items of a write in an inner savepoint
    # that rolls back stay: a needless rebuild, never a stale page.)
    if conn.in_atomic_block:
        for _ids, func, _robust in conn.run_on_commit:
            if isinstance(func, _Changes):
                func.add(items)
                return
    pending = _Changes()
    pending.add(items)
    transaction.on_commit(pending)


# --- What is watched ----------------------------------------------------------------------------

# The apps whose models the cached pages show, each registering itself from its ready() (core
# names no app: it sits below them all); the models of those apps never shown on a page; single
# models of other apps (the user); and per model, the fields no page shows, whose writes alone
# raise nothing. Models by their label in lower case ("opd.answer").
_watched_apps: set[str] = set()
_ignored: set[str] = set()
_watched_models: set[str] = set()
_unshown: dict[str, frozenset[str]] = {}


def watch(
    app_label: str, *, ignore: Iterable[str] = (), unshown: dict[str, Iterable[str]] | None = None
) -> None:
    """Let every save, delete and batch write of a model of `app_label` raise the page cache's
    numbers ("all", unless scope_changes_of names narrower scopes), except the models named in
    `ignore` (never shown on a page) and, per model, the fields in `unshown` (written alone they
    raise nothing). Called from the app's ready(). Every model watched must be written through
    WatchedQuerySet, so its update() and bulk writes raise too: a model whose managers do not
    use it is refused here, when the project starts."""
    config = apps.get_app_config(app_label)
    names = {model._meta.model_name for model in config.get_models()}
    unshown = {name: frozenset(fields) for name, fields in (unshown or {}).items()}
    unknown = (set(ignore) | unshown.keys()) - names
    if unknown:
        raise ImproperlyConfigured(f"page_cache.watch({app_label!r}): no model {sorted(unknown)}")
    unguarded = [
        model._meta.label
        for model in config.get_models()
        if model._meta.model_name not in ignore and not _guarded(model)
    ]
    if unguarded:
        raise ImproperlyConfigured(
            f"The page cache would watch {', '.join(unguarded)}: their managers must use "
            "core.page_cache.WatchedQuerySet (objects = WatchedManager()), so that update() "
            "and bulk writes raise the page cache's version."
        )
    _watched_apps.add(app_label)
    _ignored.update(f"{app_label}.{name}" for name in ignore)
    _unshown.update({f"{app_label}.{name}": fields for name, fields in unshown.items()})


def watch_model(model, *, unshown: Iterable[str] = ()) -> None:
    """Watch one model of an app that is not ours (the user: names appear on pages). Its
    managers are not ours either, so only its saves, deletes and m2m changes raise: write it
    through them, never with a bare update() or bulk_create()."""
    label = model._meta.label_lower
    _watched_models.add(label)
    _unshown[label] = frozenset(unshown)


def _guarded(model) -> bool:
    return all(
        issubclass(manager._queryset_class, WatchedQuerySet) for manager in model._meta.managers
    )


def _watched(sender) -> bool:
    meta = sender._meta
    if meta.auto_created:  # an m2m through table: judged by the models it joins
        return meta.app_label in _watched_apps
    if meta.label_lower in _watched_models:
        return True
    return meta.app_label in _watched_apps and meta.label_lower not in _ignored


def _shown(sender, fields) -> bool:
    """Whether writing `fields` (None: every field) of `sender` may change a page."""
    return fields is None or bool(set(fields) - _unshown.get(sender._meta.label_lower, set()))


def _items(sender, instance, created_or_deleted: bool):
    return _SCOPED[sender](instance, created_or_deleted) if sender in _SCOPED else [GLOBAL]


def _on_save(sender, instance, created=False, update_fields=None, **kwargs):
    # The user's login timestamp, written at every login, shows on no page: a save of unshown
    # fields alone raises nothing.
    if _watched(sender) and (created or _shown(sender, update_fields)):
        changed(*_items(sender, instance, created))


def _on_delete(sender, instance, **kwargs):
    if _watched(sender):
        changed(*_items(sender, instance, True))


def _on_m2m(sender, action, **kwargs):
    if action.startswith("post_") and _watched(sender):
        changed(GLOBAL)


def connect() -> None:
    """Called once from the app's ready()."""
    post_save.connect(_on_save, dispatch_uid="core.page_cache.save")
    post_delete.connect(_on_delete, dispatch_uid="core.page_cache.delete")
    m2m_changed.connect(_on_m2m, dispatch_uid="core.page_cache.m2m")


class WatchedQuerySet(models.QuerySet):
    """The queryset of every watched model: the batch writes that send no signal raise the
    page cache's numbers themselves, after commit like a save. A queryset's delete() needs
    nothing: it sends post_delete for each row (the receivers above listen to every model,
    so Django never deletes without them).

    update() raises the scopes of the rows it changes when the model's changes are scoped and
    it matches few rows (their scopes read before the write; the write then touches exactly
    those rows), and "all" otherwise: for a model raising "all" anyway, for many rows, and for
    a row moved to another parent (a foreign key changed: its old and new places both show
    it). Fields no page shows (watch's `unshown`) raise nothing."""

    def update(self, **kwargs):
        model = self.model
        if self.query.is_sliced or not _watched(model) or not _shown(model, kwargs):
            return super().update(**kwargs)
        scoped = _SCOPED.get(model)
        moves = any(model._meta.get_field(name).is_relation for name in kwargs)
        if scoped is None or moves:
            count = super().update(**kwargs)
            if count:
                changed(GLOBAL)
            return count
        # The rows as model instances whatever the queryset yields (values() too).
        matched = self.order_by().values("pk")[: MAX_ROWS + 1]
        rows = list(model._base_manager.filter(pk__in=matched))
        if len(rows) > MAX_ROWS:
            count = super().update(**kwargs)
            if count:
                changed(GLOBAL)
            return count
        # Exactly the rows read: a row matching only by now was not read, and is left alone.
        count = models.QuerySet.update(self.filter(pk__in=[row.pk for row in rows]), **kwargs)
        if count:
            changed(*(item for row in rows for item in scoped(row, True)))
        return count

    update.alters_data = True

    def bulk_create(self, objs, *args, **kwargs):
        objs = super().bulk_create(objs, *args, **kwargs)
        self._changed_rows(objs, fields=None)
        return objs

    bulk_create.alters_data = True

    def bulk_update(self, objs, fields, *args, **kwargs):
        objs = list(objs)
        count = super().bulk_update(objs, fields, *args, **kwargs)
        moves = any(self.model._meta.get_field(name).is_relation for name in fields)
        self._changed_rows(objs, fields=fields, moves=moves)
        return count

    bulk_update.alters_data = True

    def _changed_rows(self, objs, *, fields, moves=False) -> None:
        model = self.model
        if not objs or not _watched(model) or not _shown(model, fields):
            return
        scoped = _SCOPED.get(model)
        if scoped is None or moves or len(objs) > MAX_ROWS:
            changed(GLOBAL)
        else:
            changed(*(item for obj in objs for item in scoped(obj, True)))


WatchedManager = models.Manager.from_queryset(WatchedQuerySet)


# --- Caches ------------------------------------------------------------------------------------

# The numbers read for the fragment being built, so the figures computed for it reuse them.
_known: ContextVar[dict[str, int] | None] = ContextVar("kla_page_cache_known", default=None)


def _enabled() -> bool:
    return settings.KLA_PAGE_CACHE_SECONDS > 0


def enabled() -> bool:
    """Whether pages and figures are kept (KLA_PAGE_CACHE_SECONDS > 0)."""
    return _enabled()


@dataclass
class _RequestNumbers:
    """The numbers read so far in the current GET request (RequestNumbersMiddleware), reused by
    every later read of the request: a dashboard's figures would otherwise read the same
    hundreds of unit numbers once for each figure kept per unit. The first read takes every
    scope but the units' (a few per period): a page that learns its period from a kept read
    then reads that period's numbers without a second query."""

    found: dict[str, int] = field(default_factory=dict)
    district_wide: bool = False  # read: a scope but a unit's missing from `found` counts 0
    every_unit: bool = False  # read: a unit's scope missing from `found` counts 0

    def covers(self, scope: str) -> bool:
        """Whether a read took every scope of this one's kind: missing from `found`, it counts
        0 (never raised)."""
        return self.every_unit if scope.startswith(PER_UNIT_PREFIXES) else self.district_wide


_request: ContextVar[_RequestNumbers | None] = ContextVar("kla_page_cache_request", default=None)


def _numbers(scopes: Iterable[str]) -> dict[str, int]:
    known, shared = _known.get() or {}, _request.get()
    missing = {GLOBAL, *scopes} - known.keys()
    if not missing:
        return known
    found = {**known}
    if shared is not None:
        found.update((scope, shared.found[scope]) for scope in missing if scope in shared.found)
        missing -= shared.found.keys()
        never_raised = {scope for scope in missing if shared.covers(scope)}
        found.update(dict.fromkeys(never_raised, 0))
        missing -= never_raised
    if missing:
        first = shared is not None and not shared.district_wide
        rows, every_unit = _read({GLOBAL, *missing}, district_wide=first)
        read = {**rows, **{scope: rows.get(scope, 0) for scope in missing}}
        found.update((scope, read[scope]) for scope in missing)
        if shared is not None:
            shared.found.update(read)
            shared.district_wide = shared.district_wide or first
            shared.every_unit = shared.every_unit or every_unit
    return found


class RequestNumbersMiddleware:
    """Within one GET or HEAD request, the page cache's numbers are read once: a figure kept
    under numbers read earlier in the request is as fresh as the page itself (every value is
    still computed after the numbers it is kept under were read). Not for writes: a request
    that saves reads its own changes, which raise the numbers only after its commit."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method not in ("GET", "HEAD"):
            return self.get_response(request)
        token = _request.set(_RequestNumbers())
        try:
            return self.get_response(request)
        finally:
            _request.reset(token)


def numbers(scopes: Iterable[str]) -> dict[str, int]:
    """The numbers of "all" and of `scopes`: those the fragment being built read already,
    else one query."""
    return _numbers(scopes)


def read_ahead(scopes: Iterable[str]) -> None:
    """Read the numbers of "all" and of `scopes` now, in one query, for the kept values a
    GET request reads later (RequestNumbersMiddleware keeps them). Nothing outside a GET
    request, where nothing would keep them, and nothing with the cache off."""
    if _enabled() and _request.get() is not None:
        _numbers(scopes)


@contextlib.contextmanager
def known(found: dict[str, int]):
    """Within, `remember` and the others reuse the numbers in `found` instead of reading them
    again: a value computed from several kept ones reads the numbers once."""
    token = _known.set({**(_known.get() or {}), **found})
    try:
        yield
    finally:
        _known.reset(token)


def fragment(
    request,
    template_name: str,
    *,
    parts: Iterable,
    context: Callable[[], dict],
    scopes: Iterable[str] = (),
):
    """`template_name` rendered with `context()`, from the cache while the numbers of "all" and
    of `scopes`, the language and the date (days left, behind schedule) are unchanged. `parts`
    must name everything else the HTML depends on: the period, the filters, the visitor's
    units; `scopes` every scope whose changes it shows. Numbers the request read already
    (read_ahead) are reused; only its own scopes' are part of its key."""
    if settings.KLA_PAGE_CACHE_SECONDS <= 0:
        return _rendered(request, template_name, context())
    scopes = list(scopes)
    numbers = _numbers(scopes)
    source = repr(
        (
            template_name,
            # Its own numbers only: the request may have read others (RequestNumbersMiddleware).
            sorted((scope, numbers[scope]) for scope in {GLOBAL, *scopes}),
            get_language(),
            timezone.localdate().isoformat(),
            *parts,
        )
    )
    html = fragments.get(source)
    if html is None:
        token = _known.set(numbers)
        try:
            html = _rendered(request, template_name, context())
        finally:
            _known.reset(token)
        if "csrfmiddlewaretoken" not in html:
            fragments.set(source, html)
    return html


def _rendered(request, template_name: str, context: dict):
    # Marked safe once, kept so: marking a kept string on each hit would copy it.
    html = ascii_html(render_to_string(template_name, context, request=request))
    return mark_safe(html)  # noqa: S308 - rendered by our own templates, escaped there


class _Memo:
    """Computed values kept in this process, never pickled (a large period's score is a tree of
    thousands of objects): each under a key, until it expires; at most `max_entries()`, the
    oldest going first. Values are shared between threads and must not be changed by their
    readers."""

    def __init__(self, max_entries: Callable[[], int]):
        self._lock = threading.Lock()
        self._items: dict[Hashable, tuple[float, object]] = {}
        self._max_entries = max_entries

    def get(self, key: Hashable, default=None):
        found = self._items.get(key)
        return found[1] if found is not None and found[0] > time.monotonic() else default

    def set(self, key: Hashable, value) -> None:
        expires = time.monotonic() + settings.KLA_PAGE_CACHE_SECONDS
        with self._lock:
            self._items.pop(key, None)
            self._items[key] = (expires, value)
            while len(self._items) > self._max_entries():  # the oldest first
                del self._items[next(iter(self._items))]

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


memo = _Memo(lambda: MEMO_MAX_ENTRIES)
# Rendered fragments, apart from the figures: fewer and larger (30-260 KB). Not in Django's
# local-memory cache, which pickled each one when stored and unpickled it at every hit: a large
# district's secretariat page (260 KB, with an ellipsis in every unit row, so not ASCII) cost
# 0.9 ms to store and 0.5 ms to read back. The cache was per process too.
fragments = _Memo(lambda: settings.KLA_CACHE_MAX_ENTRIES)
_MISSING = object()


def remember(name: str, *, compute: Callable, scopes: Iterable[str] = (), parts: Iterable = ()):
    """`compute()`, kept in this process while the numbers of "all" and of `scopes` are
    unchanged. `parts` names whatever else the value depends on (a period, the language).
    With the page cache off, computed every time."""
    if not _enabled():
        return compute()
    scopes = sorted(scopes)
    numbers = _numbers(scopes)
    key = (name, numbers[GLOBAL], *(numbers[s] for s in scopes), *parts)
    value = memo.get(key, _MISSING)
    if value is _MISSING:
        with known(numbers):  # kept values computed within reuse the numbers just read
            value = compute()
        memo.set(key, value)
    return value


def remember_each(
    name: str,
    *,
    scopes: dict[Hashable, str],
    compute: Callable[[list], dict],
    parts: Iterable = (),
) -> dict:
    """A value per key of `scopes`, each kept while its own scope's number (and "all") is
    unchanged, for at most KLA_PAGE_CACHE_SECONDS; the keys whose numbers moved are computed
    together, `compute(keys)` returning {key: value}. One query for the numbers of every scope.
    The values are kept together, each with the number it was computed at: a dashboard asks
    for hundreds of units' and finds them in one lookup, not one each."""
    if not _enabled():
        return compute(list(scopes))
    numbers = _numbers(scopes.values())
    key = (name, numbers[GLOBAL], *parts)
    kept = memo.get(key) or {}  # key of `scopes` -> (its scope's number, expires, value)
    now, found, stale = time.monotonic(), {}, []
    for item, scope in scopes.items():
        entry = kept.get(item)
        if entry is not None and entry[0] == numbers[scope] and entry[1] > now:
            found[item] = entry[2]
        else:
            stale.append(item)
    if stale:
        with known(numbers):  # kept values computed within reuse the numbers just read
            computed = compute(stale)
        # A new dict: another thread may be reading the kept one.
        kept, expires = dict(kept), now + settings.KLA_PAGE_CACHE_SECONDS
        for item in stale:
            found[item] = computed[item]
            kept[item] = (numbers[scopes[item]], expires, computed[item])
        memo.set(key, kept)
    return found


def ascii_html(html: str) -> str:
    """`html` with every character beyond ASCII written as a character reference (an ellipsis
    becomes &#8230;), which a browser reads the same in text and in attribute values. Python
    holds a string with one character beyond Latin-1 (an ellipsis, a dash) at two or four bytes
    a character, and each copy of it costs as much: a large district's secretariat page (260
    KB, an ellipsis in each unit row) took 0.4-0.6 ms to join into the page and as long to
    encode for the response, against 0.01 ms in ASCII, and it is copied several times a
    request. Left as it is with a script or style element, where a reference is read as
    written. Fragments and kept rows pass through here (about 0.3 ms for that page, once)."""
    if html.isascii() or "<script" in html or "<style" in html:
        return html
    return html.encode("ascii", "xmlcharrefreplace").decode("ascii")


def rendered_rows(template_name: str, rows: Iterable[tuple[dict, Hashable]]):
    """Each (context, key) of `rows` rendered with `template_name` and joined, each kept in this
    process under its `key`, the language and the number of "all": a key must name everything
    else its row shows (the row's own values). For long lists, so a page rebuilt after one row
    changed renders that row alone."""
    if not _enabled():
        html = "".join(
            ascii_html(render_to_string(template_name, context)) for context, _key in rows
        )
        return mark_safe(html)  # noqa: S308 - rendered by our own templates, escaped there
    # "all" too: a key names the row's own values, while the instrument and units it shows
    # change only with "all".
    common, out = ("row", template_name, get_language(), _numbers(())[GLOBAL]), []
    for context, key in rows:
        full = (*common, key)
        html = memo.get(full)
        if html is None:
            html = ascii_html(render_to_string(template_name, context))
            memo.set(full, html)
        out.append(html)
    return mark_safe("".join(out))  # noqa: S308 - rendered by our own templates, escaped there
