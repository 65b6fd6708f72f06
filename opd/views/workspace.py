"""A unit's workspace: its questions in a period, with progress and what needs action."""

import datetime
from itertools import groupby

from django.shortcuts import render
from django.views.decorators.http import require_GET

from core import page_cache
from opd import access, selectors
from opd.deadlines import unit_deadlines
from opd.forms import (
    WorkspaceFilterForm,
)
from opd.models import Answer


def _progress(rows) -> dict:
    rows = [r for r in rows if r.answering_unit_id]  # a coordinator's row is not its work
    total = len(rows)
    done = sum(1 for r in rows if r.is_done)
    return {"total": total, "done": done, "percent": round(100 * done / total) if total else 0}


def _needs_action(rows, deadlines) -> dict:
    """What needs the person now, first on the page: revision requests with the reviewer's
    note, then the questions not yet handed in whose unit's deadline comes first."""
    own = [r for r in rows if r.answering_unit_id]
    due = {unit.pk: day for unit, day in deadlines}
    pending = sorted(
        (r for r in own if r.status in (selectors.NOT_STARTED, Answer.Status.DRAFT)),
        key=lambda r: due.get(r.answering_unit_id) or datetime.date.max,
    )
    return {
        "revisions": [r for r in own if r.status == Answer.Status.REVISION_REQUESTED],
        "pending": [(r, due.get(r.answering_unit_id)) for r in pending[:5]],
        "pending_count": len(pending),
    }


# Kept rendered under keys that name everything they show that may change without "all"
# (tests/test_page_cache_rows.py checks each against its template).
WORKSPACE_CARD = "opd/_workspace_card.html"


def workspace_card(indicator, items: list, shown: list) -> tuple[dict, tuple]:
    """An indicator's card in the workspace, with the progress of all its rows (`items`) and
    the rows the filter shows, and its key."""
    progress = _progress(items)
    key = (indicator.pk, tuple(progress.values()), *(r.key for r in shown))
    return {"indicator": indicator, "progress": progress, "rows": shown}, key


def _workspace_context(period, units, filter_form) -> dict:
    status = filter_form.cleaned_data["status"] if filter_form.is_valid() else ""
    sections, unit_progress, deadlines, needs_action, tables = [], None, [], None, []
    expiring, returns, clusters = [], [], []
    if period is not None and units:
        unit_ids = [u.pk for u in units]
        rows = selectors.workspace_rows(period=period, unit_ids=unit_ids)
        unit_progress = _progress(rows)
        deadlines = page_cache.remember(
            "deadlines",
            parts=[period.pk, *unit_ids],
            compute=lambda: unit_deadlines(period=period, units=units),
        )
        needs_action = _needs_action(rows, deadlines)
        tables = page_cache.remember(
            "tables",
            parts=[period.pk, *unit_ids],
            compute=lambda: selectors.tables_to_fill(period=period, unit_ids=unit_ids),
        )
        # Documents that lapse before the ministry's entry: a warning while there is time.
        expiring = page_cache.remember(
            "expiring",
            parts=[period.pk, *unit_ids],
            compute=lambda: selectors.documents_expiring(unit_ids=unit_ids, period=period),
        )
        # The province's returns of the units' questions: kept until anything district-wide
        # changes (a return raises "all").
        returns = page_cache.remember(
            "returns",
            parts=[period.pk, *unit_ids],
            compute=lambda: selectors.open_returns_for_units(unit_ids=unit_ids, period=period),
        )
        # The clusters the units coordinate (the decree changes "all"): the way to their pages.
        clusters = page_cache.remember(
            "clusters",
            parts=[period.pk, *unit_ids],
            compute=lambda: selectors.coordinated_groups(period=period, unit_ids=unit_ids),
        )
        for group, in_group in groupby(rows, key=lambda r: r.question.indicator.group):
            cards = []
            for indicator, items in groupby(in_group, key=lambda r: r.question.indicator):
                items = list(items)
                shown = [r for r in items if not status or r.status == status]
                if shown:
                    cards.append(workspace_card(indicator, items, shown))
            if cards:
                # Each indicator's card is rendered once per change of what it shows: a save
                # re-renders one card, not the workspace.
                sections.append((group, page_cache.rendered_rows(WORKSPACE_CARD, cards)))
    return {
        "period": period,
        "units": units,
        "sections": sections,
        "unit_progress": unit_progress,
        "deadlines": deadlines,
        "needs_action": needs_action,
        "tables": tables,
        "returns": returns,
        "clusters": clusters,
        "expiring": expiring,
        "filter_form": filter_form,
    }


@access.opd_required
@require_GET
def workspace(request):
    """The questions assigned to the user's units in a period (the current one unless ?year=
    names another year they took part in), in instrument order."""
    units = selectors.units_of_user(user=request.user)
    scopes = [page_cache.unit_scope(u.pk) for u in units]
    # The units' numbers with "all" (which the kept period choice reads), in one query.
    page_cache.read_ahead(scopes)
    period, periods = access.period_choice(
        request.user, year=request.GET.get("year"), unit_ids=[u.pk for u in units]
    )
    body = page_cache.fragment(
        request,
        "opd/_workspace_body.html",
        parts=[period and period.pk, [u.pk for u in units], sorted(request.GET.lists())],
        # Each unit's version moves with the answers its workspace shows (its own, and those of
        # the questions it supports or coordinates), not with other units' saves.
        scopes=scopes,
        context=lambda: {
            **_workspace_context(period, units, WorkspaceFilterForm(request.GET or None)),
            "periods": periods,
        },
    )
    return render(request, "opd/workspace.html", {"body": body})
