"""The task force's own pages: the home router and the role home pages."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from core import page_cache
from indicators import selectors as instrument
from indicators.score_document import score_document
from kla import charts, evaluation
from kla import selectors as dash
from opd import access
from opd import selectors as opd_selectors
from opd.deadlines import unit_deadlines
from opd.models import Profile
from opd.selectors import unit_shortfall

_HOME_BY_ROLE = {
    Profile.Role.OPD: "opd:workspace",
    Profile.Role.SECRETARIAT: "kla:secretariat-home",
    Profile.Role.ADMIN: "kla:secretariat-home",
    Profile.Role.EXECUTIVE: "kla:executive-home",
}


@login_required
def home(request):
    """Send each user to the home page of their role."""
    target = _HOME_BY_ROLE.get(access.role_of(request.user))
    if target is None:
        raise PermissionDenied
    return redirect(target)


def _period_for(request):
    """The period chosen with ?year=, else the current one; and the list for the selector.
    The secretariat also sees the periods it is still preparing."""
    return access.period_choice(request.user, year=request.GET.get("year"))


def _charts(period, score, *, trends: bool = False) -> dict:
    """The charts of the score (and with `trends`, of the verified total over time), kept per
    language and day (the pace chart marks today) until a version they are drawn from moves:
    evidence added leaves them be."""
    scopes = [page_cache.score_scope(period.pk)]
    if trends:
        scopes.append(page_cache.SNAPSHOTS)
    language = get_language()

    def kept(name: str, inputs: tuple, draw):
        # Each chart kept under what it is drawn from: after other points on a draft the
        # verified total, and with it the gauge and the trends, stay as they were.
        return page_cache.remember(
            f"chart-{name}",
            scopes=[page_cache.SNAPSHOTS],
            parts=[period.pk, language, *inputs],
            compute=draw,
        )

    return page_cache.remember(
        "charts",
        scopes=scopes,
        parts=[period.pk, language, trends, timezone.localdate()],
        compute=lambda: charts.score_charts(
            period=period,
            document=score_document(period=period, score=score),
            trends=trends,
            kept=kept,
        ),
    )


def _figure_scopes(period) -> list[str]:
    """What a dashboard shows changes only with the score or the units' progress (and "all")."""
    if period is None:
        return []
    return [page_cache.score_scope(period.pk), page_cache.progress_scope(period.pk)]


def _dashboard_scopes(period) -> list[str]:
    """What the secretariat's and the Bupati's fragments show changes with: the score, the
    progress, the queue's figures (the clusters' counts are kept with them) and the snapshots
    (the trends)."""
    if period is None:
        return [page_cache.SNAPSHOTS]
    return [*_figure_scopes(period), page_cache.queue_scope(period.pk), page_cache.SNAPSHOTS]


def _progress_part(request, template: str, period, parts: list, context) -> str:
    """A part of a dashboard that shows the units' progress and not the score, kept rendered on
    its own under the period's progress ("all" and the day): a change of points alone, the
    commonest of the March rush, rebuilds the dashboard around it, not the part (the
    secretariat's unit table has a row per unit, 450 in a large district)."""
    return page_cache.fragment(
        request,
        template,
        parts=[period.pk, *parts],
        scopes=[page_cache.progress_scope(period.pk)],
        context=context,
    )


UNIT_ROW = "kla/_unit_row.html"


def unit_row(u: dash.UnitCompletion, period, deadline) -> tuple[dict, tuple]:
    """A row of the secretariat's unit table and the key it is kept rendered under: everything
    it shows that may change without "all" (tests/test_page_cache_rows.py checks)."""
    key = (*u.key, period.year, period.window_closes, deadline)
    return {"u": u, "period": period, "deadline": deadline}, key


def _unit_table_context(period, sort: str) -> dict:
    units = dash.unit_completion(period=period, sort=sort)
    # Each unit's last day, so an extension is granted from its row: one query, kept until
    # anything district-wide changes (an extension raises "all").
    deadlines = page_cache.remember(
        "deadlines",
        parts=[period.pk],
        compute=lambda: {
            unit.pk: day
            for unit, day in unit_deadlines(period=period, units=[u.unit for u in units])
        },
    )
    return {
        "period": period,
        # Each row rendered once per change of its own numbers: a district has hundreds.
        "unit_rows": page_cache.rendered_rows(
            UNIT_ROW, [unit_row(u, period, deadlines[u.unit.pk]) for u in units]
        ),
    }


def _secretariat_context(period, periods) -> dict:
    context = {"period": period, "periods": periods}
    if period is not None:
        score = dash.period_score(period=period)
        context.update(
            score=score,
            # The verdict the Bupati reads, with which end is behind: the units or the queue.
            headline=dash.period_on_track(period=period, score=score),
            behind_count=dash.units_behind(period=period),
            queue=opd_selectors.queue_state(period=period),
            **dash.instrument_summary(period=period),
            charts=_charts(period, score),
            last_losses=evaluation.latest_losses(period=period),
            # No query unless the period holds the official numbers of kecamatan or desa.
            shortfall=unit_shortfall(period=period),
        )
    return context


@access.secretariat_required
@require_GET
def secretariat_home(request):
    period, periods = _period_for(request)
    sort = request.GET.get("sort", "progress")
    if sort not in dash.UNIT_SORTS:
        sort = "progress"
    body = page_cache.fragment(
        request,
        "kla/_secretariat_body.html",
        parts=[period and period.pk],
        scopes=_dashboard_scopes(period),
        context=lambda: _secretariat_context(period, periods),
    )
    # Below the body, not inside it: the body is rebuilt after every change of points, and
    # the table (a row per unit, 260 KB at 450 units) would be copied into each new one.
    unit_table = ""
    if period is not None:
        unit_table = _progress_part(
            request,
            "kla/_unit_table.html",
            period,
            [sort],
            lambda: _unit_table_context(period, sort),
        )
    return render(
        request,
        "kla/secretariat_home.html",
        {"body": body, "unit_table": unit_table, "period": period, "can_review_risk": True},
    )


# What the Bupati's page lists, and the one-page print view (A4) a shorter cut of it.
# (groups of actions, questions per group, characters of a question's text, lagging units)
# The clusters with their coordinators are on the page only, not on the printed A4 page.
EXECUTIVE_LISTS = {"actions": 6, "questions": 3, "chars": 120, "lagging": 8, "clusters": True}
PRINT_LISTS = {"actions": 3, "questions": 2, "chars": 70, "lagging": 4, "clusters": False}


def _executive_context(request, period, periods, *, lists: dict) -> dict:
    context = {"period": period, "periods": periods}
    if period is not None:
        score = dash.period_score(period=period)
        context.update(
            score=score,
            headline=dash.period_on_track(period=period, score=score),
            actions=dash.top_actions(
                period=period, score=score, groups=lists["actions"], per_group=lists["questions"]
            ),
            lagging_part=_progress_part(
                request,
                "kla/_lagging_units.html",
                period,
                [lists["lagging"]],
                lambda: _lagging_context(period, limit=lists["lagging"]),
            ),
            chars=lists["chars"],
            charts=_charts(period, score, trends=True),
            last_losses=evaluation.latest_losses(period=period),
            # Moves only with answers' states (the queue's number) and the decree ("all"): a
            # change of points or evidence leaves the counts.
            clusters=page_cache.remember(
                "clusters-overview",
                scopes=[page_cache.queue_scope(period.pk)],
                parts=[period.pk],
                compute=lambda: opd_selectors.clusters_overview(period=period),
            )
            if lists["clusters"]
            else [],
        )
    return context


def _lagging_context(period, *, limit: int) -> dict:
    units = dash.unit_completion(period=period, sort="progress")
    return {
        "period": period,
        "lagging": dash.lagging_units(period=period, units=units, limit=limit),
        "behind_count": sum(u.behind for u in units),
    }


def _executive_page(request, *, page: str, body: str, lists: dict):
    period, periods = _period_for(request)
    html = page_cache.fragment(
        request,
        body,
        # The secretariat's period selector also lists the periods it prepares (_period_for):
        # its fragment is not the Bupati's.
        parts=[period and period.pk, access.is_secretariat(request.user)],
        scopes=_dashboard_scopes(period),
        context=lambda: _executive_context(request, period, periods, lists=lists),
    )
    return render(request, page, {"body": html, "period": period, "as_of": timezone.localdate()})


@access.readers_required
@require_GET
def executive_home(request):
    return _executive_page(
        request,
        page="kla/executive_home.html",
        body="kla/_executive_page_body.html",
        lists=EXECUTIVE_LISTS,
    )


@access.readers_required
@require_GET
def executive_print(request):
    return _executive_page(
        request,
        page="kla/executive_print.html",
        body="kla/_executive_print_body.html",
        lists=PRINT_LISTS,
    )


def _units_context(period, periods) -> dict:
    context = {"period": period, "periods": periods}
    if period is not None:
        units = dash.unit_completion(period=period, sort="progress")
        context.update(
            units=units,
            lagging=dash.lagging_units(period=period, units=units),
            chart=page_cache.remember(
                "units-chart",
                scopes=[page_cache.progress_scope(period.pk)],
                parts=[period.pk, get_language()],
                compute=lambda: charts.unit_progress(
                    rows=[u.chart_row for u in units],
                    label=_("Progress of the units, by share submitted"),
                ),
            ),
        )
    return context


@access.readers_required
@require_GET
def executive_units(request):
    """Every unit's progress, the chart the Bupati's page keeps short, and whom to call."""
    period, periods = _period_for(request)
    html = page_cache.fragment(
        request,
        "kla/_executive_units_body.html",
        parts=[period and period.pk, access.is_secretariat(request.user)],
        scopes=_figure_scopes(period),
        context=lambda: _units_context(period, periods),
    )
    return render(request, "kla/executive_units.html", {"body": html, "period": period})


@access.readers_required
@require_GET
def period_detail(request, year: int):
    """The instrument of one period, as the secretariat and the executives browse it."""
    period = access.period_for_user(request.user, year=year, periods=instrument.period_list())
    # The instrument changes only with "all" (as does the period's window it heads with).
    body = page_cache.fragment(
        request,
        "indicators/_period_detail_body.html",
        parts=[period.pk],
        context=lambda: {"period": period, "groups": instrument.instrument_tree(period=period)},
    )
    return render(request, "indicators/period_detail.html", {"period": period, "body": body})
