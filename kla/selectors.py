"""Reads for the dashboards: the score, whether it is on track, unit completion and the units
behind, the review queue's state, trends, what would raise the score most.

Each is kept per process until a version it depends on moves (core/page_cache.py): the score
and the queue's state until an answer's points or state change, a unit's completion until one
of its answers or their evidence changes, so a dashboard rebuilt after a save recomputes only
what the save touched. With the page cache off, everything is read afresh.
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property

from django.db.models import Count, F, OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core import page_cache, sql
from indicators import on_track as pace
from indicators import selectors as instrument
from indicators.losses import LastTime
from indicators.models import Period, Question, ScoreSnapshot
from indicators.on_track import OnTrack
from indicators.scoring import ZERO, PeriodScore
from opd import access
from opd import selectors as opd_selectors
from opd.models import Answer, Assignment, Profile, Unit
from opd.scoring import says_yes, score_period, share_denominator


def period_score(*, period: Period) -> PeriodScore:
    """The engine's result, computed again only when the period's score version moves."""
    return page_cache.remember(
        "score",
        scopes=[page_cache.score_scope(period.pk)],
        parts=[period.pk],
        compute=lambda: score_period(period=period),
    )


def instrument_summary(*, period: Period) -> dict:
    """The instrument's counts and up to 20 questions nobody answers: four queries, kept until
    anything district-wide changes."""
    return page_cache.remember(
        "instrument",
        parts=[period.pk],
        compute=lambda: {
            "counts": instrument.instrument_counts(period=period),
            "orphans": list(opd_selectors.questions_without_lead(period=period)[:20]),
        },
    )


@dataclass
class UnitCompletion:
    unit: Unit
    assigned: int = 0
    answered: int = 0
    with_evidence: int = 0
    submitted: int = 0
    approved: int = 0
    behind: bool = False

    @property
    def key(self) -> tuple:
        """Everything a row of the unit table shows (kla/_unit_row.html)."""
        return (
            self.unit.pk,
            self.unit.name,
            self.assigned,
            self.answered,
            self.with_evidence,
            self.submitted,
            self.approved,
            self.behind,
        )

    # Worked out once: a row is kept until its unit changes (shared, never changed after it
    # is made), and sorting and the page ask for it several times.
    @cached_property
    def percent(self) -> int:
        return round(100 * self.submitted / self.assigned) if self.assigned else 0

    @property
    def chart_row(self) -> dict:
        return {
            "name": self.unit.short_name,
            "assigned": self.assigned,
            "approved": self.approved,
            "submitted": self.submitted - self.approved,
            "in_progress": self.answered - self.submitted if self.answered > self.submitted else 0,
            "not_started": self.assigned - max(self.answered, self.submitted),
        }


# Behind schedule: the share submitted trails the share of the window gone by by more than
# this many percentage points.
BEHIND_MARGIN = 10

UNIT_SORTS = {
    "name": lambda r: r.unit.name,
    "assigned": lambda r: -r.assigned,
    "submitted": lambda r: -r.submitted,
    "approved": lambda r: -r.approved,
    "progress": lambda r: -r.percent,
    "behind": lambda r: (not r.behind, r.percent),
}


def unit_completion(*, period: Period, sort: str = "progress") -> list[UnitCompletion]:
    """Per unit that writes answers: assigned, answered, with evidence, submitted, approved.
    A table's row counts against the units that fill it (opd.access.answer_writers): the
    coordinator where it fills the rows, a desa's kecamatan beside the desa. Two queries,
    reading plain values rather than model rows so large periods stay fast; each unit's
    counts are kept until that unit's version moves, so a save recounts its unit only, and
    the rows together until the period's progress moves (or the day: behind schedule), so
    a change of points alone recounts nothing."""
    return sorted(_kept_completion(period), key=UNIT_SORTS.get(sort, UNIT_SORTS["progress"]))


def units_behind(*, period: Period) -> int:
    """How many units are behind schedule (unit_completion's rows, unsorted)."""
    return sum(1 for row in _kept_completion(period) if row.behind)


def _kept_completion(period: Period) -> list[UnitCompletion]:
    return page_cache.remember(
        "completion-rows",
        scopes=[page_cache.progress_scope(period.pk)],
        parts=[period.pk, timezone.localdate()],
        compute=lambda: _completion_rows(period),
    )


def _completion_rows(period: Period) -> list[UnitCompletion]:
    assigned, writers, rows_of, question_range = page_cache.remember(
        "assigned", parts=[period.pk], compute=lambda: _assigned(period)
    )
    elapsed = _window_elapsed(period)

    def completion(unit_ids) -> dict[int, UnitCompletion]:
        counts = _answer_counts(unit_ids, writers, rows_of, question_range)
        rows = {}
        for pk in unit_ids:
            row = rows[pk] = UnitCompletion(*assigned[pk], *counts[pk])
            row.behind = row.percent + BEHIND_MARGIN < elapsed
        return rows

    # Each unit's row kept until its unit changes (or the day: behind schedule), so a change
    # makes one row again, not hundreds.
    rows = page_cache.remember_each(
        "completion",
        parts=[period.pk, timezone.localdate()],
        scopes={pk: page_cache.unit_scope(pk) for pk in assigned},
        compute=completion,
    )
    return [rows[pk] for pk in assigned]


def _assigned(period: Period):
    """Each unit that writes answers with the number it writes, who writes each answer
    ((question id, unit id) -> unit ids), whose answers each unit writes (unit id ->
    answering unit ids: its own, its desa's, a table's rows it fills), and the lowest and
    highest id of the period's assigned questions. One query."""
    assignments = list(
        Assignment.objects.filter(question__indicator__group__period=period)
        .select_related("question", "unit__parent")
        .order_by()
    )
    units = {a.unit_id: a.unit for a in assignments}
    units |= {a.unit.parent_id: a.unit.parent for a in assignments if a.unit.parent_id}
    writers = access.answer_writers(assignments)
    counts: dict[int, int] = {}
    rows_of: dict[int, set[int]] = {}
    for (_question, answering), unit_ids in writers.items():
        for unit_id in unit_ids:
            counts[unit_id] = counts.get(unit_id, 0) + 1
            rows_of.setdefault(unit_id, set()).add(answering)
    question_ids = [a.question_id for a in assignments] or [0]
    question_range = (min(question_ids), max(question_ids))
    return {pk: (units[pk], n) for pk, n in counts.items()}, writers, rows_of, question_range


# Whether an answer (a) holds live evidence: tested, not joined, so no answer counts twice.
_LIVE_EVIDENCE = (
    "EXISTS (SELECT 1 FROM opd_evidence e WHERE e.answer_id = a.id AND e.removed_at IS NULL)"
)
# A unit's answers with whether they hold points and live evidence, read again after each of its
# saves: written out (core.sql), as Django building the query cost more than PostgreSQL
# running it.
_COUNTS_SQL = f"""
    SELECT a.question_id, a.unit_id, a.status, a.claimed_points IS NOT NULL, {_LIVE_EVIDENCE}
    FROM opd_answer a
    WHERE a.question_id >= %s AND a.question_id <= %s AND a.unit_id IN ({{listed}})"""  # noqa: S608 (constants; values are parameters)


def _answer_counts(
    unit_ids, writers, rows_of, question_range
) -> dict[int, tuple[int, int, int, int]]:
    """Answered, with evidence, submitted, approved per writing unit: one query of plain
    values, counted here (cheaper to build and run than four filtered aggregates when one unit
    is recounted); evidence is tested, not joined, so no answer is counted twice."""
    wanted = set(unit_ids)
    counts = {pk: [0, 0, 0, 0] for pk in wanted}
    # The answering units whose answers the wanted units write: a recount of one unit reads
    # its own answers (and the rows it fills), not the whole period's pairs.
    rows = set().union(*(rows_of.get(pk, ()) for pk in wanted))
    done = Answer.HANDED_IN
    # The period's answers are those `writers` knows; the range of its question ids only
    # narrows the read. (Joined through the instrument to the period, PostgreSQL walked every
    # question of a large period to recount one unit's few answers: 2.7 ms at 10x.)
    first, last = question_range
    for question_id, unit_id, status, claimed, evidenced in sql.fetch_listed(
        _COUNTS_SQL, rows, [first, last]
    ):
        for writer in writers.get((question_id, unit_id), set()) & wanted:
            row = counts[writer]
            row[0] += bool(claimed)
            row[1] += bool(evidenced)
            row[2] += status in done
            row[3] += status == Answer.Status.APPROVED
    return {pk: tuple(row) for pk, row in counts.items()}


def _window_elapsed(period: Period) -> int:
    today = timezone.localdate()
    total = (period.window_closes - period.window_opens).days or 1
    done = (min(today, period.window_closes) - period.window_opens).days
    return max(0, min(100, round(100 * done / total)))


# --- On track -------------------------------------------------------------------------------------


def period_on_track(*, period: Period, score: PeriodScore) -> OnTrack:
    """The headline's verdict (the rule: indicators/on_track.py, pure) from the score and the
    verified and potential totals the recent paces start from: one query, kept with the
    snapshots for the day (the days left move at midnight), so a change of points reads
    nothing more. The secretariat's page and the PDF report read it too."""
    today = timezone.localdate()
    before = page_cache.remember(
        "pace-starts",
        scopes=[page_cache.SNAPSHOTS],
        parts=[period.pk, today],
        compute=lambda: _totals_before(period, today),
    )
    return _on_track(period, score, today, before)


def _totals_before(period: Period, today: datetime.date) -> tuple[Decimal, Decimal] | None:
    since = pace.recent_since(today=today, window_opens=period.window_opens)
    # The last snapshot taken on that day or before holds the verified total at its close;
    # none means nothing had been verified yet (every verified change takes one). Its
    # potential is the submitted total as that snapshot saw it: a submission takes no
    # snapshot of its own, so the units' pace may count a submission made before the day.
    end_of_day = timezone.make_aware(
        datetime.datetime.combine(since + datetime.timedelta(days=1), datetime.time.min)
    )
    return (
        ScoreSnapshot.objects.filter(period=period, taken_at__lt=end_of_day)
        .order_by("-taken_at")
        .values_list("verified", "potential")
        .first()
    )


def _on_track(
    period: Period,
    score: PeriodScore,
    today: datetime.date,
    before: tuple[Decimal, Decimal] | None,
) -> OnTrack:
    band = score.target_band
    verified_before, potential_before = before if before is not None else (ZERO, ZERO)
    return pace.on_track(
        target=score.target,
        target_points=band.lower_bound if band else None,
        verified=score.verified,
        potential=score.potential,
        window_opens=period.window_opens,
        window_closes=period.window_closes,
        entry_date=period.entry_date,
        today=today,
        verified_before=verified_before,
        potential_before=potential_before,
    )


# --- What would raise the score most --------------------------------------------------------------

# Why a question's points are not (all) verified yet, in the words the pages show.
WHY = {
    "none": gettext_lazy("No answer yet"),
    "evidence": gettext_lazy("No evidence yet"),
    "draft": gettext_lazy("Not submitted yet"),
    "review": gettext_lazy("Waiting for review"),
    "revision": gettext_lazy("Revision requested"),
    "lowered": gettext_lazy("Verified lower than claimed"),
    "partial": gettext_lazy("Claimed below the maximum"),
}


@dataclass(frozen=True)
class Missing:
    """One reason a question falls short; for a question every kecamatan (or desa) answers,
    with how many of its units it holds for."""

    key: str
    count: int | None = None
    of: int | None = None

    @property
    def label(self) -> str:
        if self.count is None:
            return str(WHY[self.key])
        return _("%(what)s: %(n)s of %(total)s units") % {
            "what": WHY[self.key],
            "n": self.count,
            "total": self.of,
        }


@dataclass(frozen=True)
class ActionQuestion:
    id: int
    code: str
    text: str
    max_points: Decimal
    verified: Decimal
    missing: Decimal  # what verifying it in full would still add (QuestionScore.missing: capped)
    per_unit: bool  # answered by every kecamatan or desa; the agency listed coordinates
    why: tuple[Missing, ...]
    # A per-unit question's "Ya" rows over its share's denominator (opd.scoring.says_yes and
    # share_denominator), as the recap and the entry kit write it: "Ya: 1 dari 3 (33,3%)".
    share: tuple[int, int] | None = None
    # Its question of last year lost official points: claimed, given and the note.
    last_time: LastTime | None = None


@dataclass(frozen=True)
class ActionGroup:
    """One agency's shortfall in one indicator."""

    unit: str | None  # the agency's short name: the lead unit, or the coordinator
    unit_name: str | None
    group: str
    indicator_code: str
    indicator_name: str
    points: Decimal  # what its questions could still add together, under the indicator's cap
    questions: tuple[ActionQuestion, ...]  # the largest few
    more: int  # questions of the group not listed


def top_actions(
    *, period: Period, score: PeriodScore, groups: int = 8, per_group: int = 3
) -> list[ActionGroup]:
    """The shortfall grouped by agency and indicator, the largest groups first, each with its
    largest questions and what they lack in words. Three queries (the agencies, kept until
    anything district-wide changes; the listed questions' texts; their answers), kept with
    the score and the units' progress (evidence added changes the words)."""
    return page_cache.remember(
        "actions",
        scopes=[page_cache.score_scope(period.pk), page_cache.progress_scope(period.pk)],
        parts=[period.pk, groups, per_group],
        compute=lambda: _top_actions(period, score, groups, per_group),
    )


def _agencies(period: Period) -> dict[int, tuple[str, str]]:
    """Per question, the agency to ask: its lead unit, else (every kecamatan or desa answers
    it) its first coordinator. One query."""
    found: dict[int, tuple[str, str]] = {}
    for question_id, role, short_name, name in (
        Assignment.objects.filter(
            question__indicator__group__period=period,
            role__in=[Assignment.Role.LEAD, Assignment.Role.COORDINATOR],
        )
        .order_by("unit__name")
        .values_list("question_id", "role", "unit__short_name", "unit__name")
    ):
        if role == Assignment.Role.LEAD or question_id not in found:
            found[question_id] = (short_name, name)
    return found


def _chosen_groups(period: Period, score: PeriodScore, n_groups: int) -> list[dict]:
    """The largest agency-and-indicator groups of the shortfall, from the score alone, kept
    with the score, so evidence added (which changes only the words) does not sort a large
    district's questions again. Each indicator's groups are kept with the indicator's score:
    a score updated after a change of points holds the same record for every indicator the
    change did not touch (engine.score_update), and only the touched ones are grouped again."""
    agencies = page_cache.remember("agencies", parts=[period.pk], compute=lambda: _agencies(period))
    key = ("action-buckets", period.pk)
    kept = page_cache.memo.get(key)
    # Kept with the agencies they were grouped by, which change with "all".
    before = kept[1] if kept is not None and kept[0] is agencies else {}
    now, buckets = {}, []
    for g in score.groups:
        for i in g.indicators:
            found = before.get(i.id)
            if found is None or found[0] is not i or found[1] != g.name:
                found = (i, g.name, _indicator_buckets(g.name, i, agencies))
            now[i.id] = found
            buckets += found[2]
    page_cache.memo.set(key, (agencies, now))
    return sorted(buckets, key=lambda b: -b["points"])[:n_groups]


def _indicator_buckets(group: str, i, agencies: dict) -> list[dict]:
    """An indicator's share of the shortfall per agency, in the order the agencies first
    appear among its questions (ties of the sort keep it)."""
    room = max(ZERO, i.max_points - i.points.verified)
    buckets: dict = {}
    for q in i.questions:
        if q.missing <= 0:
            continue
        agency = agencies.get(q.id)
        bucket = buckets.setdefault(
            agency, {"agency": agency, "group": group, "indicator": i, "room": room, "qs": []}
        )
        bucket["qs"].append(q)
    for bucket in buckets.values():
        # Questions of one indicator share its cap: together they add at most its room.
        bucket["points"] = min(sum((q.missing for q in bucket["qs"]), ZERO), bucket["room"])
        bucket["qs"].sort(key=lambda q: -q.missing)  # stable: ties keep the instrument's order
    return list(buckets.values())


def _top_actions(period: Period, score: PeriodScore, n_groups: int, per_group: int):
    chosen = page_cache.remember(
        "action-groups",
        scopes=[page_cache.score_scope(period.pk)],
        parts=[period.pk, n_groups],
        compute=lambda: _chosen_groups(period, score, n_groups),
    )
    listed = [q.id for b in chosen for q in b["qs"][:per_group]]
    # The listed questions' texts change only with the instrument ("all"): kept across the
    # changes of points that move the list's figures but seldom its questions.
    questions = page_cache.remember(
        "action-texts", parts=[period.pk, *listed], compute=lambda: _question_texts(listed)
    )
    _units, writers, _rows_of, _range = page_cache.remember(
        "assigned", parts=[period.pk], compute=lambda: _assigned(period)
    )
    maxima = {q.id: q.max_points for b in chosen for q in b["qs"][:per_group]}
    why, yes = _why(maxima, {pk: texts[1] for pk, texts in questions.items()}, writers)
    shares = {
        pk: (
            yes[pk],
            share_denominator(
                every_kecamatan=every_kecamatan,
                every_desa=every_desa,
                registered=n_units,
                kecamatan=period.official_kecamatan,
                desa=period.official_desa,
            ),
        )
        for pk, (_text, n_units, every_kecamatan, every_desa) in questions.items()
        if n_units
    }
    from kla.evaluation import lost_last_time  # it reads the score through this module

    last_time = lost_last_time(period=period)
    return [
        ActionGroup(
            unit=b["agency"][0] if b["agency"] else None,
            unit_name=b["agency"][1] if b["agency"] else None,
            group=b["group"],
            indicator_code=b["indicator"].code,
            indicator_name=b["indicator"].name,
            points=b["points"],
            questions=tuple(
                ActionQuestion(
                    id=q.id,
                    code=q.code,
                    text=questions[q.id][0],
                    max_points=q.max_points,
                    verified=q.points.verified,
                    missing=q.missing,
                    per_unit=questions[q.id][1] > 0,
                    why=why[q.id],
                    share=shares.get(q.id),
                    last_time=last_time.get(q.id),
                )
                for q in b["qs"][:per_group]
            ),
            more=max(0, len(b["qs"]) - per_group),
        )
        for b in chosen
    ]


def _question_texts(question_ids: list[int]) -> dict[int, tuple[str, int, bool, bool]]:
    """Each question's text, its number of per-unit rows and whether every kecamatan or every
    desa answers it (its share's denominator). One query."""
    per_unit = Count("assignments", filter=Q(assignments__role=Assignment.Role.PER_UNIT))
    return {
        pk: (text, n_units, every_kecamatan, every_desa)
        for pk, text, n_units, every_kecamatan, every_desa in Question.objects.filter(
            pk__in=question_ids
        )
        .annotate(n_units=per_unit)
        .order_by()
        .values_list("pk", "text", "n_units", "every_kecamatan", "every_desa")
    }


def _reason(status: str, claimed, verified, maximum, evidenced: bool) -> str | None:
    """Why an answer's points are not all verified; None when they are."""
    if status == Answer.Status.APPROVED:
        if verified is not None and verified >= maximum:
            return None
        return "lowered" if claimed is not None and verified < claimed else "partial"
    if status == Answer.Status.SUBMITTED:
        return "review"
    if status == Answer.Status.REVISION_REQUESTED:
        return "revision"
    if claimed is None and not evidenced:
        return "none"
    return "draft" if evidenced else "evidence"


# The listed questions' answers, read again after every change of progress anywhere: written
# out (core.sql), as Django building the query cost more than PostgreSQL running it. The points
# as text (sql.Decimals).
_WHY_SQL = f"""
    SELECT a.question_id, a.unit_id, a.status, CAST(a.claimed_points AS text),
           CAST(a.verified_points AS text), {_LIVE_EVIDENCE}
    FROM opd_answer a
    WHERE a.question_id IN ({{listed}})"""  # noqa: S608 (constants; values are parameters)


def _why(
    maxima: dict[int, Decimal], n_units: dict[int, int], writers: dict
) -> tuple[dict[int, tuple[Missing, ...]], dict[int, int]]:
    """What each question (id -> its maximum) lacks, and how many of its rows say "Ya", from
    the answers of the units that answer it (`writers` holds every answering (question, unit)
    pair of the period: _assigned). One query, of the answers alone: the answering test and the
    maxima come from what is kept, so the query compiles and runs in a fraction of the joined
    one's time."""
    states: dict[int, list[str | None]] = {pk: [] for pk in maxima}
    yes = dict.fromkeys(maxima, 0)
    decimal = sql.Decimals()
    for question_id, unit_id, status, claimed, verified, evidenced in sql.fetch_listed(
        _WHY_SQL, maxima
    ):
        if (question_id, unit_id) in writers:
            maximum = maxima[question_id]
            yes[question_id] += says_yes(decimal(claimed), maximum)
            states[question_id].append(
                _reason(status, decimal(claimed), decimal(verified), maximum, bool(evidenced))
            )
    found = {}
    for pk, reasons in states.items():
        units = n_units.get(pk, 0)
        if not units:  # one answer, the lead's
            key = reasons[0] if reasons else "none"
            found[pk] = (Missing(key),) if key else ()
            continue
        counts: dict[str, int] = {"none": max(0, units - len(reasons))}
        for key in reasons:
            if key:
                counts[key] = counts.get(key, 0) + 1
        ranked = sorted((item for item in counts.items() if item[1]), key=lambda kv: -kv[1])
        found[pk] = tuple(Missing(key, n, units) for key, n in ranked)
    return found, yes


# --- Lagging agencies -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Contact:
    """Whom to call at a unit: its first member with a phone number."""

    name: str
    position: str
    phone: str

    @property
    def tel(self) -> str:
        """The number as a tel: link wants it: digits, and a leading + kept."""
        digits = "".join(c for c in self.phone if c.isdigit())
        return ("+" if self.phone.strip().startswith("+") else "") + digits


@dataclass(frozen=True)
class LaggingUnit:
    progress: UnitCompletion
    expected: int  # percent of the window gone by: what "behind" compares with
    contact: Contact | None

    @property
    def floor(self) -> int:
        """The share submitted below which a unit is behind."""
        return max(0, self.expected - BEHIND_MARGIN)


def lagging_units(
    *, period: Period, units: list[UnitCompletion], limit: int | None = None
) -> list[LaggingUnit]:
    """The units behind schedule, the furthest behind first, each with its contact person.
    One query (kept until anything district-wide changes: people and memberships raise
    "all")."""
    behind = sorted((u for u in units if u.behind), key=lambda u: (u.percent, u.unit.name))
    behind = behind[:limit] if limit is not None else behind
    ids = tuple(u.unit.pk for u in behind)
    contacts = page_cache.remember("contacts", parts=[ids], compute=lambda: _contacts(ids))
    expected = _window_elapsed(period)
    return [LaggingUnit(u, expected, contacts.get(u.unit.pk)) for u in behind]


def _contacts(unit_ids: tuple[int, ...]) -> dict[int, Contact]:
    """Each unit's first member (the earliest profile) who is active and has a phone."""
    found: dict[int, Contact] = {}
    if not unit_ids:
        return found
    members = Profile.units.through.objects.filter(
        unit_id__in=unit_ids, profile__user__is_active=True
    ).exclude(profile__phone="")
    for unit_id, first, last, username, position, phone in members.order_by(
        "profile_id"
    ).values_list(
        "unit_id",
        "profile__user__first_name",
        "profile__user__last_name",
        "profile__user__username",
        "profile__position",
        "profile__phone",
    ):
        if unit_id not in found:
            name = f"{first} {last}".strip() or username
            found[unit_id] = Contact(name=name, position=position, phone=phone)
    return found


@dataclass(frozen=True)
class TrendYear:
    year: int
    verified: Decimal  # the ministry's final score where there is one, else the internal total
    rank: str
    official: bool


def trend_points(*, period: Period) -> dict:
    """Verified totals from snapshots: each earlier period's latest one (or the ministry's
    final score and rank, where recorded), and this period's, the last of each day. Two
    queries, kept until a snapshot is taken; history is never recomputed on a page view."""
    return page_cache.remember(
        "trend",
        scopes=[page_cache.SNAPSHOTS],
        parts=[period.pk],
        compute=lambda: _trend_points(period),
    )


def _trend_points(period: Period) -> dict:
    last = ScoreSnapshot.objects.filter(period=OuterRef("pk")).order_by("-taken_at")
    earlier = (
        Period.objects.filter(year__lt=period.year)
        .annotate(
            verified=Subquery(last.values("verified")[:1]),
            rank=Subquery(last.values("rank_verified")[:1]),
            official_score=F("official__final_score"),
            official_rank=F("official__final_rank"),
        )
        .filter(Q(verified__isnull=False) | Q(official_score__isnull=False))
        .order_by("-year")
        .values_list("year", "verified", "rank", "official_score", "official_rank")[:6]
    )
    # A year the ministry has scored shows its official score; others, the internal one.
    across = [
        TrendYear(year, official, official_rank or "", True)
        if official is not None
        else TrendYear(year, verified, rank or "", False)
        for year, verified, rank, official, official_rank in reversed(list(earlier))
    ]
    # The last total of each day: a busy review day takes dozens of snapshots.
    daily: dict[datetime.date, Decimal] = {}
    for taken_at, verified in (
        ScoreSnapshot.objects.filter(period=period)
        .order_by("taken_at")
        .values_list("taken_at", "verified")
    ):
        daily[timezone.localtime(taken_at).date()] = verified
    return {"across": across, "within": sorted(daily.items())}
