"""Reads of the registered documents: the library, what a unit may attach, what lapses."""

import datetime
from dataclasses import dataclass, field

from django.db.models import (
    Prefetch,
    Q,
    QuerySet,
)

from core import page_cache
from indicators.models import Period
from opd.models import (
    Document,
    Evidence,
    Unit,
)


@dataclass
class LibraryEntry:
    document: Document
    uses: list  # the live evidence rows it is attached as, with answer, question and unit
    expired: bool
    expires_before_deadline: bool
    history: list = field(default_factory=list)  # the versions it renewed, newest first


def document_library(
    *, unit_ids: set[int] | None, deadline: datetime.date | None, today: datetime.date
) -> list[LibraryEntry]:
    """The current documents the reader may use (unit_ids None: all), each with the
    questions it serves, whether it has expired or will before `deadline`, and the earlier
    versions it renewed (kept, visible, attached to nothing current). Two queries."""
    documents = Document.objects.select_related("unit", "revision").prefetch_related(
        Prefetch(
            "uses",
            queryset=Evidence.objects.filter(removed_at__isnull=True)
            .select_related("answer__question__indicator__group__period", "answer__unit")
            .order_by("answer__question__indicator__group__period__year", "pk"),
        )
    )
    if unit_ids is not None:
        documents = documents.filter(unit_id__in=unit_ids)
    documents = list(documents)
    renewed = {d.replaced_by_id: d for d in documents if d.replaced_by_id is not None}
    entries = []
    for d in documents:
        if d.replaced_by_id is not None:
            continue
        history, older = [], renewed.get(d.pk)
        while older is not None and len(history) < len(documents):
            history.append(older)
            older = renewed.get(older.pk)
        entries.append(
            LibraryEntry(
                document=d,
                uses=list(d.uses.all()),
                expired=d.expires_before(today),
                expires_before_deadline=deadline is not None and d.expires_before(deadline),
                history=history,
            )
        )
    return entries


def documents_to_attach(*, unit: Unit) -> QuerySet[Document]:
    """What a unit may attach: its own documents and the secretariat's, current versions
    only (access rule: access.document_use_check)."""
    return (
        Document.objects.current()
        .filter(Q(unit=unit) | Q(unit__is_secretariat=True))
        .select_related("unit")
        .order_by("kind", "title")
    )


def documents_to_attach_kept(*, unit: Unit) -> list[Document]:
    """documents_to_attach for the answer page, kept until anything district-wide changes (a
    document raises "all"); the attach form's POST validates against a fresh read."""
    return page_cache.remember(
        "documents-to-attach",
        parts=[unit.pk],
        compute=lambda: list(documents_to_attach(unit=unit)),
    )


def documents_renewable(*, unit: Unit) -> QuerySet[Document]:
    """The current documents a new file registered for `unit` may renew: the unit's own."""
    return Document.objects.current().filter(unit=unit).order_by("kind", "title")


def documents_expiring(*, unit_ids, period: Period) -> list[Document]:
    """The units' documents no longer valid when the period's answers are entered."""
    return list(
        Document.objects.lapsing(period)
        .filter(unit_id__in=unit_ids)
        .select_related("unit")
        .order_by("valid_until")
    )


def period_documents(*, period: Period) -> list[tuple[Document, list[Evidence]]]:
    """The registered documents serving a period, each with the evidence rows it is attached
    as (answer, question and unit fetched), in instrument order. One query."""
    uses: dict[int, tuple[Document, list[Evidence]]] = {}
    for item in (
        Evidence.objects.filter(
            answer__question__indicator__group__period=period,
            removed_at__isnull=True,
            document__isnull=False,
        )
        .select_related("document", "answer__question__indicator", "answer__unit")
        .order_by(
            "document__kind",
            "document__title",
            "answer__question__indicator__group__order",
            "answer__question__indicator__order",
            "answer__question__order",
            "pk",
        )
    ):
        uses.setdefault(item.document_id, (item.document, []))[1].append(item)
    return list(uses.values())
