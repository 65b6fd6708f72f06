"""Writing a parsed instrument into a period: groups, indicators, questions, units, assignments.

It writes both apps (the instrument and who answers it), so it sits in `kla`. Idempotent: rows
are matched by natural keys (period + group name, group + indicator code, indicator + question
code), updated when they differ, never duplicated. Atomic: all of it or nothing.
"""

import datetime
import re
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from core import formats
from indicators.importers import ParsedInstrument, ParsedQuestion
from indicators.models import (
    DEFAULT_RANK_BANDS,
    AnswerOption,
    Group,
    Indicator,
    Period,
    Question,
    RankBand,
    ScoreSnapshot,
    row_options,
)
from indicators.selectors import target_rank_default
from indicators.steps import as_ranges
from opd.assignments import (
    SyncReport,
    active_units_by_kind,
    per_unit_kinds,
    question_assignments_set,
    unit_assignments_sync,
    wanted_roles,
)
from opd.audit import audit_log
from opd.models import Answer, Assignment, AuditEvent, Unit
from opd.unit_names import (
    LookAlikeGroup,
    is_secretariat_spelling,
    look_alike_groups,
    unit_alias_remember,
    unit_index,
    unit_name_key,
    unit_suggestions,
)

LEVELS = ("groups", "indicators", "questions")


def _per_level() -> dict:
    return dict.fromkeys(LEVELS, 0)


class UnmappedName:
    """A unit name of the file that matches no unit, with the likeliest units."""

    def __init__(self, name: str, suggestions: list):
        self.name, self.suggestions = name, suggestions

    def __str__(self) -> str:
        likely = ", ".join(u.short_name for u in self.suggestions) or "—"
        return _("Unknown unit “%(name)s” (perhaps: %(likely)s)") % {
            "name": self.name,
            "likely": likely,
        }


@dataclass
class ImportReport:
    year: int
    groups: int = 0
    indicators: int = 0
    questions: int = 0
    max_points: Decimal = Decimal("0.00")
    created: dict = field(default_factory=_per_level)
    updated: dict = field(default_factory=_per_level)
    unchanged: dict = field(default_factory=_per_level)
    units_created: list[str] = field(default_factory=list)
    # Names the file gives that match no unit: the import stops until each is mapped.
    unmapped: list["UnmappedName"] = field(default_factory=list)
    aliases: dict = field(default_factory=dict)  # name -> the existing unit it was mapped to
    # New names that may be one agency, or an agency that exists: asked before any is created.
    look_alikes: list[LookAlikeGroup] = field(default_factory=list)
    points_written: list[str] = field(default_factory=list)
    assignments_changed: int = 0
    answers_written: int = 0
    period_created: bool = False
    warnings: list = field(default_factory=list)
    errors: list = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    dry_run: bool = False
    applied: bool = False

    @property
    def changed(self) -> bool:
        return bool(
            sum(self.created.values())
            or sum(self.updated.values())
            or self.units_created
            or self.assignments_changed
            or self.answers_written
            or self.period_created
        )

    def _level_line(self, label: str, counts: dict) -> str:
        return label % {"g": counts["groups"], "i": counts["indicators"], "q": counts["questions"]}

    @staticmethod
    def look_alike_line(group: LookAlikeGroup) -> str:
        names = ", ".join(f"“{n}”" for n in group.names)
        if group.units:
            existing = ", ".join(u.short_name for u in group.units)
            return _("Look alike: %(names)s; existing unit: %(units)s") % {
                "names": names,
                "units": existing,
            }
        return _("Look alike: %(names)s") % {"names": names}

    def summary(self) -> list[str]:
        """Counts, units created and notes: the report without its warnings and errors."""
        if self.unmapped:
            return [
                _(
                    "Import stopped before writing anything: %(n)s unit names in the file match "
                    "no unit. Say which unit each one is, or allow creating new units."
                )
                % {"n": len(self.unmapped)}
            ]
        out = [
            _("Period %(year)s: %(g)s groups, %(i)s indicators, %(q)s questions, %(p)s points.")
            % {
                "year": self.year,
                "g": self.groups,
                "i": self.indicators,
                "q": self.questions,
                "p": self.max_points,
            },
        ]
        if not self.errors:
            out += [
                self._level_line(
                    _("Created: %(g)s groups, %(i)s indicators, %(q)s questions."), self.created
                ),
                self._level_line(
                    _("Updated: %(g)s groups, %(i)s indicators, %(q)s questions."), self.updated
                ),
                self._level_line(
                    _("Unchanged: %(g)s groups, %(i)s indicators, %(q)s questions."),
                    self.unchanged,
                ),
                _("Assignments changed: %(n)s. Answers with imported points: %(a)s.")
                % {"n": self.assignments_changed, "a": self.answers_written},
            ]
        if self.units_created:
            out.append(
                _("Units created (%(n)s): %(names)s")
                % {"n": len(self.units_created), "names": ", ".join(self.units_created)}
            )
        return out + [str(n) for n in self.notes]

    def lines(self, *, errors: bool = True) -> list[str]:
        """The validation report, one line each, as the command prints it."""
        out = self.summary() + [str(u) for u in self.unmapped]
        out += [self.look_alike_line(g) for g in self.look_alikes]
        out += [str(w) for w in self.warnings]
        out += self.points_written
        return out + ([str(e) for e in self.errors] if errors else [])


_WORD = r"(?<![A-Za-z]){}(?![A-Za-z])"


def _has_word(name: str, *words: str, case: bool = False) -> bool:
    flags = 0 if case else re.IGNORECASE
    return any(re.search(_WORD.format(re.escape(w)), name, flags) for w in words)


def guess_unit_kind(name: str) -> str:
    """A unit kind from a name as instruments write it ("Dinkes", "Kecamatan X", "BNN").

    Only a first guess for units the import creates; the secretariat corrects it in the admin.
    """
    name = " ".join(name.split())
    lowered = name.lower()
    if lowered.startswith(("kecamatan", "kec.")):
        return Unit.Kind.KECAMATAN
    if lowered.startswith(("desa", "kelurahan")):
        return Unit.Kind.DESA
    # "Dinas ...", "Dishub", "Dinkes", and acronyms such as "DPPPAPPKB" or "DLH".
    if lowered.startswith(("dinas", "dis", "din")) or re.match(r"D[A-Z]", name):
        return Unit.Kind.DINAS
    if lowered.startswith(("badan", "bappeda", "bpbd", "bnn")):
        return Unit.Kind.BADAN
    if lowered.startswith("bagian"):
        return Unit.Kind.BAGIAN
    if _has_word(name, "Polres", "Kejaksaan", "Kemenag", "UPPA"):
        return Unit.Kind.VERTICAL
    if _has_word(name, "Forum", "FAD", "Dunia Usaha") or _has_word(name, "PAN", case=True):
        return Unit.Kind.LEMBAGA
    if _has_word(name, "Kecamatan"):
        return Unit.Kind.KECAMATAN
    if _has_word(name, "Desa", "Kelurahan"):
        return Unit.Kind.DESA
    return Unit.Kind.OTHER


NEW_UNIT = "new"
# A mapping "new:<other name>": this name is the unit created for another name of the file
# ("Dinas PU Perkim" is the new unit "Dinas PU"); the name is remembered as its alias.
SAME_AS = "new:"


@dataclass(frozen=True)
class _SameAs:
    name: str


def _per_unit_name(name: str) -> bool:
    # Kecamatan and desa are many and alike by nature ("Desa Tungkal I", "Desa Tungkal II").
    return guess_unit_kind(name) in (Unit.Kind.KECAMATAN, Unit.Kind.DESA)


def resolve_unit_names(
    *,
    parsed: ParsedInstrument,
    report: ImportReport,
    mapping: dict | None,
    create_units: bool,
    create_look_alikes: bool = False,
) -> dict:
    """name -> Unit (or NEW_UNIT, or the new unit of another name) for every unit name of the
    file. A spelling of the secretariat's agency is its unit. An unknown name that is neither
    mapped nor allowed to be created goes to report.unmapped with suggestions; so does one
    that `create_units` would create beside a look-alike (report.look_alikes) unless
    `create_look_alikes` says so."""
    index, mapping, resolved = unit_index(), mapping or {}, {}
    by_pk = {u.pk: u for u in index.values()}
    secretariat = next((u for u in by_pk.values() if u.is_secretariat), None)
    unknown, same_as = [], {}
    for name in dict.fromkeys(n for pq in parsed.questions for n in pq.units):
        choice = mapping.get(name)
        found = index.get(unit_name_key(name))
        if (
            found is None
            and choice is None
            and secretariat is not None
            and is_secretariat_spelling(name)
        ):
            found = secretariat
            report.aliases[name] = secretariat  # remembered: asked never again
        if choice == NEW_UNIT:
            resolved[name] = NEW_UNIT
        elif isinstance(choice, str) and choice.startswith(SAME_AS):
            same_as[name] = choice.removeprefix(SAME_AS)
        elif choice is not None and str(choice).isdigit() and int(choice) in by_pk:
            resolved[name] = by_pk[int(choice)]
            report.aliases[name] = resolved[name]
        elif found is not None:
            resolved[name] = found
        else:
            unknown.append(name)
    candidates = [n for n in unknown if not _per_unit_name(n)]
    units = [u for u in by_pk.values() if u.kind not in (Unit.Kind.KECAMATAN, Unit.Kind.DESA)]
    report.look_alikes = look_alike_groups(candidates, units)
    grouped = {n for group in report.look_alikes for n in group.names}
    for name in unknown:
        if create_units and (create_look_alikes or name not in grouped):
            resolved[name] = NEW_UNIT
        else:
            report.unmapped.append(UnmappedName(name, unit_suggestions(name, index)))
    for name, other in same_as.items():
        if resolved.get(other) == NEW_UNIT:
            resolved[name] = _SameAs(other)
        else:
            report.unmapped.append(UnmappedName(name, unit_suggestions(name, index)))
    if not report.unmapped:
        report.look_alikes = []  # every look-alike was answered
    return resolved


def _unit_by_name(name: str, resolved: dict, report: ImportReport, units_by_kind: dict) -> Unit:
    if isinstance(resolved[name], _SameAs):
        unit = _unit_by_name(resolved[name].name, resolved, report, units_by_kind)
        unit_alias_remember(name=name, unit=unit)
        resolved[name] = unit
    if resolved[name] == NEW_UNIT:
        unit = Unit.objects.create(name=name, short_name=name[:60], kind=guess_unit_kind(name))
        report.units_created.append(f"{name} ({unit.get_kind_display()})")
        # A new kecamatan answers the per-unit questions, here and in other open periods.
        units_by_kind.setdefault(unit.kind, []).append(unit)
        unit_assignments_sync(unit=unit)
        resolved[name] = unit
    return resolved[name]


def _set(obj, values: dict) -> list[str]:
    """Set the fields that differ and save only them; the names of the changed fields."""
    changed = [k for k, v in values.items() if getattr(obj, k) != v]
    for key in changed:
        setattr(obj, key, values[key])
    if changed:
        obj.save(update_fields=changed)
    return changed


def _count(report: ImportReport, level: str, *, created: bool, changed) -> None:
    bucket = report.created if created else report.updated if changed else report.unchanged
    bucket[level] += 1


def instrument_import(
    *,
    parsed: ParsedInstrument,
    year: int,
    actor=None,
    ip=None,
    dry_run: bool = False,
    unit_mapping: dict | None = None,
    create_units: bool = False,
    create_look_alikes: bool = False,
) -> ImportReport:
    """Write the instrument into period `year`; refuses (writes nothing) when it has errors
    or names a unit that matches none (report.unmapped) until `unit_mapping` (file name ->
    unit id, NEW_UNIT, or SAME_AS + another name) says which it is, or `create_units` allows
    creating the rest (look-alikes only with `create_look_alikes`).
    A mapping to an existing unit is remembered as an alias for the next import.

    `dry_run` computes the same report inside a transaction that is rolled back.
    """
    report = ImportReport(
        year=year,
        groups=len(parsed.groups),
        indicators=len(parsed.indicators),
        questions=len(parsed.questions),
        max_points=parsed.max_points,
        warnings=parsed.warnings,
        errors=list(parsed.errors),
        dry_run=dry_run,
    )
    if report.errors:
        return report
    resolved = resolve_unit_names(
        parsed=parsed,
        report=report,
        mapping=unit_mapping,
        create_units=create_units,
        create_look_alikes=create_look_alikes,
    )
    if report.unmapped:
        return report
    with transaction.atomic():
        for name, unit in report.aliases.items():
            unit_alias_remember(name=name, unit=unit)
        period, report.period_created = Period.objects.get_or_create(
            year=year,
            defaults={
                "window_opens": datetime.date(year, 1, 15),
                "window_closes": datetime.date(year, 3, 31),
                "entry_date": datetime.date(year, 4, 15),
                # Prepared: nobody's current work moves to it until the secretariat opens it.
                "target_rank": target_rank_default(year=year),
                "status": Period.Status.PREPARED,
            },
        )
        # One import into a period at a time: a second one waits, then finds this one's rows.
        period = Period.objects.select_for_update().get(pk=period.pk)
        if report.period_created:
            RankBand.objects.bulk_create(
                [RankBand(period=period, name=n, lower_bound=b) for n, b in DEFAULT_RANK_BANDS]
            )
        if period.is_locked:
            report.errors.append(
                _("Period %(year)s is locked: import into it is refused.") % {"year": year}
            )
            transaction.set_rollback(True)
            return report
        _write(parsed, period, report, resolved)
        warnings = [f"{w.where}: {w.message}" for w in report.warnings]
        if period.import_warnings != warnings:
            period.import_warnings = warnings
            period.save(update_fields=["import_warnings"])
        if report.changed:
            audit_log(
                action=AuditEvent.Action.INSTRUMENT_IMPORT,
                actor=actor,
                ip=ip,
                period=period,
                summary=_("%(q)s questions; %(c)s created, %(u)s updated")
                % {
                    "q": report.questions,
                    "c": report.created["questions"],
                    "u": report.updated["questions"],
                },
                data={
                    "created": report.created,
                    "updated": report.updated,
                    "units_created": report.units_created,
                    "answers_written": report.answers_written,
                },
            )
        if dry_run:
            transaction.set_rollback(True)
        else:
            report.applied = True
            if report.answers_written:
                transaction.on_commit(lambda: _snapshot(period))
    return report


def _snapshot(period: Period) -> None:
    from opd import scoring  # the score service; imported late to keep this module light

    scoring.snapshot_take(period=period, reason=ScoreSnapshot.Reason.IMPORT)


def _write(parsed: ParsedInstrument, period: Period, report: ImportReport, resolved) -> None:
    units_by_kind = active_units_by_kind()
    existing_groups = {g.name: g for g in Group.objects.filter(period=period)}
    seen_questions: set[int] = set()
    per_unit_questions = 0
    for pg in parsed.groups:
        group = existing_groups.get(pg.name)
        values = {"order": pg.order, "declared_max_points": pg.declared_max_points}
        if group is None:
            group = Group.objects.create(period=period, name=pg.name, **values)
            _count(report, "groups", created=True, changed=True)
        else:
            _count(report, "groups", created=False, changed=_set(group, values))
        existing_indicators = {i.code: i for i in group.indicators.all()}
        for pi in pg.indicators:
            indicator = existing_indicators.get(pi.code)
            values = {"name": pi.name, "order": pi.order, "max_points": pi.max_points}
            if indicator is None:
                indicator = Indicator.objects.create(group=group, code=pi.code, **values)
                _count(report, "indicators", created=True, changed=True)
            else:
                _count(report, "indicators", created=False, changed=_set(indicator, values))
            existing_questions = {q.code: q for q in indicator.questions.all()}
            for pq in pi.questions:
                question = existing_questions.get(pq.code)
                values = {
                    "text": pq.text,
                    "order": pq.order,
                    "max_points": pq.max_points,
                    "evidence": pq.evidence,
                    "every_kecamatan": pq.every_kecamatan,
                    "every_desa": pq.every_desa,
                    "rows_filled_by": pq.rows_filled_by,
                    "steps": pq.steps,
                }
                if question is None:
                    question = Question.objects.create(indicator=indicator, code=pq.code, **values)
                    _count(report, "questions", created=True, changed=True)
                else:
                    _count(report, "questions", created=False, changed=_set(question, values))
                seen_questions.add(question.pk)
                _set_options(question, pq, report)
                listed = list(
                    dict.fromkeys(
                        _unit_by_name(n, resolved, report, units_by_kind) for n in pq.units
                    )
                )
                per_unit_questions += bool(per_unit_kinds(question))
                sync = SyncReport()
                question_assignments_set(
                    question=question,
                    report=sync,
                    wanted=wanted_roles(
                        question=question, listed=listed, units_by_kind=units_by_kind
                    ),
                )
                report.assignments_changed += sync.changed
                report.notes += sync.notes
                _import_points(question, pq, report)
    if per_unit_questions:
        report.notes.append(
            _(
                "%(n)s questions are answered by every kecamatan or desa: assigned to the "
                "%(k)s kecamatan and %(d)s desa/kelurahan units that exist now."
            )
            % {
                "n": per_unit_questions,
                "k": len(units_by_kind.get(Unit.Kind.KECAMATAN, [])),
                "d": len(units_by_kind.get(Unit.Kind.DESA, [])),
            }
        )
    # Rows of the period that the file no longer has are kept (they may carry answers and
    # evidence); the report says so, so that nobody believes they were removed.
    left = Question.objects.filter(indicator__group__period=period).exclude(pk__in=seen_questions)
    if left_over := left.count():
        report.notes.append(
            _(
                "%(n)s questions of period %(year)s are not in the file: they were kept. "
                "Remove them in the admin if they are really gone from the instrument."
            )
            % {"n": left_over, "year": period.year}
        )


def _set_options(question: Question, pq: ParsedQuestion, report: ImportReport) -> None:
    """The question's answer options as the file lists them: updated by label, in order. An
    option the file no longer has is removed, unless an answer chose it (then kept)."""
    current = {o.label: o for o in question.options.all()}
    wanted = pq.options
    if not wanted and (pq.every_kecamatan or pq.every_desa):
        wanted = row_options(pq.max_points)  # a table row is "yes" or "no" unless listed
    for order, (label, points) in enumerate(wanted, start=1):
        option = current.pop(label, None)
        if option is None:
            AnswerOption.objects.create(question=question, label=label, points=points, order=order)
        elif (option.points, option.order) != (points, order):
            option.points, option.order = points, order
            option.save(update_fields=["points", "order"])
    for option in current.values():
        if Answer.objects.filter(Q(option=option) | Q(verified_option=option)).exists():
            report.notes.append(
                _(
                    "%(question)s: option “%(label)s” is no longer in the file but was chosen; "
                    "it is kept."
                )
                % {"question": question, "label": option.label}
            )
        else:
            option.delete()


def _import_points(question: Question, pq: ParsedQuestion, report: ImportReport) -> None:
    """Past results: the file's points for the question, where they count.

    An ordinary question's points land on the lead unit's answer. The file gives a question
    answered per kecamatan (desa) one number for the whole question, which no row can carry
    (the share over the official number, through the steps, would not give it back), and a
    question nobody answers has no answer to hold it: both keep the points on the question
    itself (Question.kept_*), which the engine counts while the question has no answers, so
    the imported year totals the file's arithmetic whatever units exist. With verified points
    the result is approved; with claimed points only, submitted. The report says what went
    where.
    """
    if pq.claimed_points is None and pq.verified_points is None:
        return
    answering = list(question.assignments.answering().select_related("unit"))
    claimed = pq.claimed_points if pq.claimed_points is not None else pq.verified_points
    where = f"{question.indicator.code} / {question.code}"
    if question.per_unit or not answering:
        _set(question, {"kept_claimed_points": claimed, "kept_verified_points": pq.verified_points})
        report.answers_written += 1
        report.points_written.append(
            _("%(q)s: claimed %(c)s, verified %(v)s, kept for the question as a whole.")
            % {"q": where, "c": formats.points(claimed), "v": formats.points(pq.verified_points)}
        )
        return
    for assignment in answering:
        _write_points(question, assignment.unit, pq, claimed, report)
    report.points_written.append(
        _("%(q)s: claimed %(c)s, verified %(v)s, on %(units)s.")
        % {
            "q": where,
            "c": formats.points(claimed),
            "v": formats.points(pq.verified_points),
            "units": ", ".join(a.unit.short_name for a in answering),
        }
    )


def _write_points(question, unit, pq, claimed, report: ImportReport) -> None:
    answer, created = Answer.objects.get_or_create(question=question, unit=unit)
    now = timezone.now()
    values = {"claimed_points": claimed, "submitted_at": answer.submitted_at or now}
    if pq.verified_points is not None:
        values.update(
            status=Answer.Status.APPROVED,
            verified_points=pq.verified_points,
            reviewed_at=answer.reviewed_at or now,
        )
    else:
        values.update(status=Answer.Status.SUBMITTED, verified_points=None)
    changed = [k for k, v in values.items() if getattr(answer, k) != v]
    if changed:
        for key in changed:
            setattr(answer, key, values[key])
        # A form rendered before the import carries the old version and is refused.
        answer.version += 1
        answer.updated_at = now
        answer.save(update_fields=[*changed, "version", "updated_at"])
    if created or changed:
        report.answers_written += 1


def instrument_rows(*, period: Period) -> list[dict]:
    """A period's instrument as template rows (lead unit first), in three queries.

    Units that answer for themselves are left out of `units`: every_kecamatan / every_desa
    imply them.
    Answers are not exported: the template describes the instrument, not a unit's work.
    """
    questions = (
        Question.objects.filter(indicator__group__period=period)
        .select_related("indicator__group")
        .order_by("indicator__group__order", "indicator__order", "order", "pk")
    )
    units: dict[int, list[str]] = {}
    for question_id, name in (
        Assignment.objects.filter(question__indicator__group__period=period)
        # The per-unit units are implied by the question's flags: the import assigns them.
        .exclude(role=Assignment.Role.PER_UNIT)
        .order_by("question_id", "role", "unit__short_name")  # coordinators and lead first
        .values_list("question_id", "unit__short_name")
    ):
        units.setdefault(question_id, []).append(name)
    options: dict[int, list[str]] = {}
    for question_id, label, points in AnswerOption.objects.filter(
        question__indicator__group__period=period
    ).values_list("question_id", "label", "points"):  # in their order (Meta.ordering)
        options.setdefault(question_id, []).append(f"{label}={points}")
    rows = []
    for q in questions:
        indicator, group = q.indicator, q.indicator.group
        rows.append(
            {
                "group": group.name,
                "group_order": group.order,
                "group_max_points": group.declared_max_points,
                "indicator_code": indicator.code,
                "indicator_name": indicator.name,
                "indicator_order": indicator.order,
                "indicator_max_points": indicator.max_points,
                "question_code": q.code,
                "question_text": q.text,
                "question_order": q.order,
                "max_points": q.max_points,
                "every_kecamatan": "ya" if q.every_kecamatan else "tidak",
                "every_desa": "ya" if q.every_desa else "tidak",
                "units": "; ".join(units.get(q.pk, [])),
                "options": "; ".join(options.get(q.pk, [])),
                "rows_filled_by": q.rows_filled_by if q.per_unit else "",
                "steps": as_ranges(q.steps),
            }
        )
    return rows
