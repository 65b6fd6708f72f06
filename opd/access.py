"""Who may see and do what. Every access rule of the product lives in this module.

Helpers return the object or raise Http404 (the user may not even know it exists) or
PermissionDenied (403: the user may read it but may not do this). Views and services ask
them; nothing else decides. Three parts: roles and the views they open; answers and
evidence (next to the answers they guard); who may give an account which role.
"""

import copy
import functools
from functools import cached_property, wraps

from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required  # noqa: F401 - re-exported for views
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.db.models import Prefetch, Q
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _

from core import page_cache, sql
from core.errors import DomainError
from indicators import selectors as instrument
from indicators.models import AnswerOption, Group, Period, Question
from opd.models import (
    Answer,
    Assignment,
    Evidence,
    EvidenceRevision,
    Profile,
    ProvincialReturn,
    TaskForceMember,
    Unit,
)

User = get_user_model()


def role_of(user) -> str | None:
    """The user's task-force role, or None for anonymous users and users without a profile."""
    if not user.is_authenticated:
        return None
    profile = getattr(user, "profile", None)
    if profile is None:
        return Profile.Role.ADMIN if user.is_superuser else None
    return profile.role


def is_secretariat(user) -> bool:
    return role_of(user) in (Profile.Role.SECRETARIAT, Profile.Role.ADMIN)


def is_executive(user) -> bool:
    return role_of(user) == Profile.Role.EXECUTIVE


def is_opd(user) -> bool:
    return role_of(user) == Profile.Role.OPD


def can_read_everything(user) -> bool:
    """Secretariat, admin and executive read all units' work; only the first two change it."""
    return is_secretariat(user) or is_executive(user)


def user_unit_ids(user) -> set[int]:
    """Ids of the units a user is a member of (cached on the user for the request, and kept by
    the page cache until anything district-wide changes: a membership raises "all")."""
    if not user.is_authenticated:
        return set()
    cached = getattr(user, "_kla_unit_ids", None)
    if cached is None:
        cached = page_cache.remember(
            "unit-ids", parts=[user.pk], compute=lambda: frozenset(_unit_ids(user))
        )
        user._kla_unit_ids = cached
    return set(cached)


def _unit_ids(user) -> set[int]:
    profile = getattr(user, "profile", None)
    return set(profile.units.values_list("pk", flat=True)) if profile else set()


def role_required(*roles):
    """View decorator: logged in (else redirect to login) and one of `roles` (else 403)."""

    def decorator(view):
        @login_required
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if role_of(request.user) not in roles:
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


secretariat_required = role_required(Profile.Role.SECRETARIAT, Profile.Role.ADMIN)
readers_required = role_required(
    Profile.Role.SECRETARIAT, Profile.Role.ADMIN, Profile.Role.EXECUTIVE
)
opd_required = role_required(Profile.Role.OPD)


# --- Periods ----------------------------------------------------------------------------------
#
# A period being prepared (next year's instrument, still being set up) is the secretariat's
# alone: units and executives see a period once it has opened. Every page, download, API call
# and answer that takes a year asks here, so no reader can forget the rule.


def period_visible(user, period: Period) -> bool:
    """May `user` see `period` at all? The secretariat sees every period, others none being
    prepared."""
    return is_secretariat(user) or period.is_visible_to_units


def periods_visible(user, periods=None):
    """The periods `user` may see, from `periods` (all periods by default)."""
    periods = Period.objects.all() if periods is None else periods
    return periods if is_secretariat(user) else periods.exclude(status=Period.Status.PREPARED)


def period_for_user(user, *, year: int, periods=None) -> Period:
    """The period of `year` (from `periods`, to fetch related rows) if `user` may see it;
    else Http404, so a prepared year does not even show that it exists."""
    return get_object_or_404(periods_visible(user, periods), year=year)


def period_choice(user, *, year=None, unit_ids=None) -> tuple[Period | None, list[Period]]:
    """The period a page shows (?year=, else the current one) and the selector's periods, of
    those `user` may see. See indicators.selectors.period_pick."""
    prepared = is_secretariat(user)
    # A unit the task force names coordinator of a cluster takes part in that year too.
    also = Q(groups__coordinators__unit_id__in=unit_ids) if unit_ids is not None else None
    # Kept until anything district-wide changes (periods, assignments and coordinators raise
    # "all"): every workspace, queue and dashboard asks, and the query cost 1.5 ms to build.
    kept = page_cache.remember(
        "period-choice",
        parts=[prepared, None if unit_ids is None else tuple(sorted(unit_ids))],
        compute=lambda: instrument.period_pick(
            include_prepared=prepared, unit_ids=unit_ids, also=also
        )[1],
    )
    # Copies: a page may annotate its period, and the kept ones are shared between threads.
    periods = [copy.copy(period) for period in kept]
    return instrument.period_of_year(periods, year=year), periods


# --- Answers and evidence -------------------------------------------------------------------
#
# An answer is addressed by (question, answering unit): a unit whose assignment answers (the
# lead, or each per-unit unit of a question every kecamatan or desa answers). Readers:
#   - secretariat, admin and executive: every answer;
#   - a member of the answering unit;
#   - for an ordinary question, a member of a supporting unit (they attach evidence to it).
# Everybody else gets 404, so the existence of other units' drafts does not leak.


def row_writer_unit_ids(*, question: Question, unit: Unit, assignments) -> set[int]:
    """The units whose members write the answer of `unit` to `question`: the one rule of who
    fills a row of a per-unit table, and of who writes any answer.

    An ordinary answer is written by its own unit. A row of a question every kecamatan or desa
    answers is written by the row's unit and, for a desa or kelurahan, by its kecamatan (desa
    rarely have accounts); or, when the question says the coordinator fills the rows, by the
    coordinating units alone (by the units themselves if the question has no coordinator, so
    that nobody is stuck)."""
    if not question.per_unit:
        return {unit.pk}
    if question.rows_filled_by == Question.RowsFilledBy.COORDINATOR:
        coordinators = {a.unit_id for a in assignments if a.role == Assignment.Role.COORDINATOR}
        if coordinators:
            return coordinators
    writers = {unit.pk}
    if unit.kind == Unit.Kind.DESA and unit.parent_id:
        writers.add(unit.parent_id)
    return writers


def answer_writers(assignments) -> dict[tuple[int, int], set[int]]:
    """(question id, answering unit id) -> the units that write that answer, for every
    answering assignment among `assignments`, by row_writer_unit_ids. `assignments` carry
    their question and unit (with its parent) and hold every assignment of their questions,
    coordinators included: reminders and completion count a row against whoever fills it."""
    by_question: dict[int, list] = {}
    for a in assignments:
        by_question.setdefault(a.question_id, []).append(a)
    return {
        (a.question_id, a.unit_id): row_writer_unit_ids(
            question=a.question, unit=a.unit, assignments=by_question[a.question_id]
        )
        for a in assignments
        if a.answers
    }


class AnswerAccess:
    """What one user may do with one answer (which may not exist yet)."""

    def __init__(self, *, user, question, unit, answer, assignments):
        self.user = user
        self.question = question
        self.unit = unit
        self.answer = answer
        self.assignments = assignments
        member_of = user_unit_ids(user) if is_opd(user) else set()
        writers = row_writer_unit_ids(question=question, unit=unit, assignments=assignments)
        self.is_answering_member = bool(writers & member_of)
        self.is_row_member = unit.pk in member_of  # reads its own row, whoever fills it
        self.acting_unit = None
        if self.is_answering_member:
            acting = unit.pk if unit.pk in writers & member_of else min(writers & member_of)
            self.acting_unit = _unit_among(acting, unit, assignments)
        elif member_of:
            # A supporting unit works on the lead's answer (per-unit questions have none).
            self.acting_unit = next(
                (
                    a.unit
                    for a in assignments
                    if a.unit_id in member_of and a.role == Assignment.Role.SUPPORT
                ),
                None,
            )
        # A coordinating agency of an every-kecamatan question follows all units' answers.
        self.is_coordinator = any(
            a.unit_id in member_of and a.role == Assignment.Role.COORDINATOR for a in assignments
        )

    @cached_property
    def is_cluster_coordinator(self) -> bool:
        """A member of the unit the task force's decree names coordinator of the question's
        group. Asked last (one query), so the other readers' pages cost nothing more."""
        return self.question.indicator.group_id in coordinated_group_ids(self.user)

    @property
    def can_coordinate(self) -> bool:
        """Return the answer to its unit or mark it checked, before the secretariat: the
        cluster's coordinator, for the answers of other units (its own unit's answers are the
        secretariat's to judge)."""
        return self.acting_unit is None and not self.is_row_member and self.is_cluster_coordinator

    @property
    def per_unit(self) -> bool:
        """Every kecamatan (desa) answers the question for itself; its points are the mean."""
        return any(a.role == Assignment.Role.PER_UNIT for a in self.assignments)

    @property
    def can_read(self) -> bool:
        if not period_visible(self.user, self.period):
            return False
        return (
            can_read_everything(self.user)
            or self.acting_unit is not None
            or self.is_coordinator
            or self.is_row_member
            or self.is_cluster_coordinator
        )

    @property
    def period(self):
        return self.question.indicator.group.period

    @property
    def can_edit(self) -> bool:
        """Change points and narrative, submit: members of the answering unit."""
        return self.is_answering_member

    @property
    def can_attach(self) -> bool:
        """Add or replace evidence: the answering unit and, for ordinary questions, supporters."""
        return self.acting_unit is not None

    @property
    def can_review(self) -> bool:
        return is_secretariat(self.user)

    @property
    def can_extend(self) -> bool:
        """Grant the answering unit more time (an extension): the secretariat, while the
        period is not locked."""
        return is_secretariat(self.user) and not self.period.is_locked

    @property
    def can_comment(self) -> bool:
        return self.acting_unit is not None or is_secretariat(self.user)


def _unit_among(unit_id: int, unit: Unit, assignments) -> Unit:
    """The Unit row of `unit_id`: the answer's unit, its kecamatan, or an assigned unit."""
    if unit_id == unit.pk:
        return unit
    if unit_id == unit.parent_id:
        return unit.parent
    return next(a.unit for a in assignments if a.unit_id == unit_id)


def _question_rows(question_id: int) -> tuple[Question | None, list[Assignment]]:
    question = (
        Question.objects.select_related("indicator__group__period")
        # Its options too, for the answer and review forms (opd.forms.question_options).
        .prefetch_related(
            Prefetch(
                "options",
                queryset=AnswerOption.objects.order_by("order", "pk"),
                to_attr="ordered_options",
            )
        )
        .filter(pk=question_id)
        .first()
    )
    if question is None:
        return None, []
    assignments = list(
        Assignment.objects.filter(question=question)
        .select_related("unit__parent")
        .order_by("role", "unit__short_name")  # lead first
    )
    return question, assignments


# The people an answer page names (the reviewer, who holds the review), read with the answer:
# only their names, the rest of their row left unread.
_PEOPLE = ("reviewed_by", "review_claimed_by")
_NAMES = ("id", "username", "first_name", "last_name")


@functools.cache
def _answer_sql() -> str:
    name = connection.ops.quote_name
    users = name(User._meta.db_table)
    joined = "".join(f" LEFT JOIN {users} {f} ON {f}.id = a.{f}_id" for f in _PEOPLE)
    people = ", ".join(sql.joined_columns(field, _NAMES, field) for field in _PEOPLE)
    return (
        f"SELECT a.*, {people} FROM {name(Answer._meta.db_table)} a{joined} "  # noqa: S608
        "WHERE a.question_id = %s AND a.unit_id = %s"
    )


def _answer_of(question: Question, unit: Unit) -> Answer | None:
    """The unit's answer to the question, with what was read already (the question, the unit,
    the question's options) set on it rather than read again through it, and the names of the
    people it shows. Written out in SQL (core.sql says when): every answer page and every write
    to an answer reads it first, and Django building the query took more of the server than
    the read itself (4.6% of its CPU in make load), and the reviewer's name another query of
    its own (2.1%). raw() converts the answer's columns as the ORM does, on SQLite too; the
    names are text on both."""
    found = list(Answer.objects.raw(_answer_sql(), [question.pk, unit.pk]))
    if not found:  # the pair is unique: one row at most
        return None
    answer = found[0]
    answer.question, answer.unit = question, unit
    options = {option.pk: option for option in getattr(question, "ordered_options", ())}
    for field in ("option", "verified_option"):
        chosen = options.get(getattr(answer, f"{field}_id"))
        if chosen is not None:
            setattr(answer, field, chosen)
    for field in _PEOPLE:
        person = sql.take_joined(answer, field, User, _NAMES)
        if person is not None:
            setattr(answer, field, person)
    return answer


def answer_access(user, *, question_id: int, unit_id: int) -> AnswerAccess:
    """The access of `user` to the answer of `unit_id` to `question_id`, or Http404."""
    # The question with its place in the instrument, and who answers it: kept until anything
    # district-wide changes (the instrument, units and assignments raise "all").
    question, assignments = page_cache.remember(
        "question-access", parts=[question_id], compute=lambda: _question_rows(question_id)
    )
    if question is None:
        raise Http404
    unit = next((a.unit for a in assignments if a.answers and a.unit_id == unit_id), None)
    if unit is None:
        raise Http404
    answer = _answer_of(question, unit)
    access = AnswerAccess(
        user=user, question=question, unit=unit, answer=answer, assignments=assignments
    )
    if not access.can_read:
        raise Http404
    return access


def table_for_user(user, *, question_id: int) -> tuple[Question, list[AnswerAccess]]:
    """A per-unit question and the rows of its table the user may read (each row's access,
    with its answer), or Http404 when the user may read none of them. Three queries."""
    question = get_object_or_404(
        Question.objects.select_related("indicator__group__period").filter(
            Q(every_kecamatan=True) | Q(every_desa=True)
        ),
        pk=question_id,
    )
    assignments = list(Assignment.objects.filter(question=question).select_related("unit__parent"))
    answers = {
        a.unit_id: a
        for a in Answer.objects.filter(question=question).select_related("option").order_by()
    }
    rows = [
        AnswerAccess(
            user=user,
            question=question,
            unit=a.unit,
            answer=answers.get(a.unit_id),
            assignments=assignments,
        )
        for a in assignments
        if a.role == Assignment.Role.PER_UNIT
    ]
    rows = [row for row in rows if row.can_read]
    if not rows:
        raise Http404
    return question, rows


def require(allowed: bool) -> None:
    """Turn a 'may not write' into 403 for a user who may read."""
    if not allowed:
        raise PermissionDenied


def member_check(*, user, unit) -> None:
    """Services act for a unit only on behalf of its members; else a DomainError."""
    if not unit.members.filter(user=user).exists():
        raise DomainError(
            _("Only members of %(unit)s can do this.") % {"unit": unit.name}, code="not_member"
        )


def _row_writers(answer) -> set[int]:
    question = answer.question
    # Only the coordinator rule reads the assignments: no query otherwise.
    by_coordinator = (
        question.per_unit and question.rows_filled_by == Question.RowsFilledBy.COORDINATOR
    )
    assignments = (
        Assignment.objects.filter(question=question).only("unit_id", "role")
        if by_coordinator
        else []
    )
    return row_writer_unit_ids(question=question, unit=answer.unit, assignments=assignments)


def edit_check(*, user, answer) -> None:
    """Services write an answer only for a user of a unit that writes it (see
    row_writer_unit_ids); else a DomainError."""
    writers = _row_writers(answer)
    if not user_unit_ids(user) & writers:
        names = ", ".join(Unit.objects.filter(pk__in=writers).values_list("name", flat=True))
        raise DomainError(
            _("Only members of %(unit)s can do this.") % {"unit": names or answer.unit.name},
            code="not_member",
        )


def attach_check(*, answer, unit) -> None:
    """May `unit` change the answer's evidence? A unit that writes the answer, or a unit
    supporting it; a coordinator, or another kecamatan answering for itself, only reads."""
    allowed = unit is not None and (
        unit.pk in _row_writers(answer)
        or Assignment.objects.filter(
            question_id=answer.question_id, unit=unit, role=Assignment.Role.SUPPORT
        ).exists()
    )
    if not allowed:
        raise DomainError(
            _("Your unit is not assigned to this question, so it cannot change this evidence."),
            code="not_assigned",
        )


# --- The province's returns -----------------------------------------------------------------
#
# The secretariat records a return, its reply and its closing. The district's reply may also
# be written by a member of a unit that answers the returned question (who knows best what
# was corrected). Everybody else: 404 for a member of no such unit, 403 for readers.


def return_reply_check(*, user, provincial_return) -> None:
    """Services write a return's reply only for the secretariat or an answering unit's member."""
    if is_secretariat(user):
        return
    answering = set(
        Assignment.objects.answering()
        .filter(question_id=provincial_return.question_id)
        .values_list("unit_id", flat=True)
    )
    if not (is_opd(user) and user_unit_ids(user) & answering):
        raise DomainError(
            _("Only the secretariat or the answering unit can reply to the province."),
            code="not_member",
        )


def return_for_user(user, *, return_id: int):
    """A return the user may reply to (secretariat, or a member of an answering unit), with its
    question; else Http404 (the return's existence does not leak)."""
    found = get_object_or_404(
        ProvincialReturn.objects.select_related("question__indicator__group__period"),
        pk=return_id,
    )
    try:
        return_reply_check(user=user, provincial_return=found)
    except DomainError:
        raise Http404 from None
    return found


# --- The task force's cluster coordinators --------------------------------------------------
#
# The decree names a unit coordinator of a group (TaskForceMember, role coordinator: the one
# stored fact). Its members read every answer of the group, see the group's progress per unit,
# and return a submitted answer to its unit with a note or mark it checked, before the
# secretariat reviews it. Another group's answers stay 404 to them; the secretariat and the
# executives see every group's page.


def coordinated_group_ids(user) -> set[int]:
    """Ids of the groups whose coordinating unit `user` (unit staff) is a member of; cached on
    the user for the request. One query."""
    if not is_opd(user):
        return set()
    cached = getattr(user, "_kla_coordinated_groups", None)
    if cached is None:
        cached = set(
            TaskForceMember.objects.filter(
                role=TaskForceMember.Role.COORDINATOR, unit__members__user_id=user.pk
            ).values_list("group_id", flat=True)
        )
        user._kla_coordinated_groups = cached
    return cached


def cluster_for_user(user, *, group_id: int):
    """A group whose coordinator page `user` may open (its coordinating unit's members, the
    secretariat and the executives), with its period; else Http404."""
    group = get_object_or_404(Group.objects.select_related("period"), pk=group_id)
    allowed = can_read_everything(user) or group.pk in coordinated_group_ids(user)
    if not (allowed and period_visible(user, group.period)):
        raise Http404
    return group


def coordinator_answer_for_user(user, *, question_id: int, unit_id: int) -> AnswerAccess:
    """The access to an existing answer `user` may return or mark checked as its cluster's
    coordinator: Http404 when the user may not read it (another group's answer), 403 when
    they read it but do not coordinate it (the secretariat, a supporting unit)."""
    acc = answer_access(user, question_id=question_id, unit_id=unit_id)
    require(acc.can_coordinate)
    if acc.answer is None:
        raise Http404
    return acc


def cluster_coordinator_check(*, user, answer) -> None:
    """Services act as a cluster's coordinator only for a member of the coordinating unit of
    the answer's group who does not write the answer; else a DomainError."""
    group_id = answer.question.indicator.group_id
    if group_id not in coordinated_group_ids(user) or user_unit_ids(user) & _row_writers(answer):
        raise DomainError(
            _("Only the cluster's coordinator can do this, for another unit's answer."),
            code="not_coordinator",
        )


# --- Registered documents ------------------------------------------------------------------
#
# A unit keeps its documents; the secretariat's documents (its unit is the secretariat's)
# serve every unit. Secretariat and executives read them all.


def document_units(user) -> set[int] | None:
    """The units whose documents the user may read and attach (None: every unit)."""
    if can_read_everything(user):
        return None
    secretariat = set(Unit.objects.filter(is_secretariat=True).values_list("pk", flat=True))
    return user_unit_ids(user) | secretariat


def document_register_check(*, user, unit) -> None:
    """A unit's member registers for the unit; the secretariat for its own unit."""
    if is_secretariat(user) and unit.is_secretariat:
        return
    member_check(user=user, unit=unit)


def document_use_check(*, document, unit) -> None:
    """A unit attaches its own documents and the secretariat's."""
    if document.unit_id != unit.pk and not document.unit.is_secretariat:
        raise DomainError(
            _("This document belongs to %(unit)s.") % {"unit": document.unit.name},
            code="not_owner",
        )


def evidence_for_user(user, *, evidence_id: int):
    """An evidence item the user may read, with its answer; else Http404."""
    evidence = get_object_or_404(
        Evidence.objects.select_related("answer__question__indicator__group__period", "unit"),
        pk=evidence_id,
    )
    access = answer_access(
        user, question_id=evidence.answer.question_id, unit_id=evidence.answer.unit_id
    )
    return evidence, access


def revision_for_user(user, *, revision_id: int):
    """A stored file the user may download, with the access to its answer; else Http404."""
    revision = get_object_or_404(
        EvidenceRevision.objects.select_related("evidence__answer"), pk=revision_id
    )
    answer = revision.evidence.answer
    access = answer_access(user, question_id=answer.question_id, unit_id=answer.unit_id)
    return revision, access


# --- Who may give an account which role ----------------------------------------------------------
#
# Who may give an account which role, and change it. One rule for every way accounts are made.
#
# The secretariat onboards the units' staff and the executives; only an administrator makes
# administrators and secretariat members, and only an administrator touches their accounts.
# The accounts of administrators, secretariat members and Django staff or superusers are the
# keys to the whole product: whoever may change one of their email addresses may reset its
# password and log in as them, so the secretariat may not change them at all.


# The roles the secretariat may give: the people it onboards, who change no one else's data.
SECRETARIAT_GRANTS = frozenset({Profile.Role.OPD, Profile.Role.EXECUTIVE})
# Accounts only an administrator may change (is_staff/is_superuser are checked as well).
GUARDED_ROLES = frozenset({Profile.Role.ADMIN, Profile.Role.SECRETARIAT})


class RoleGrantRefused(DomainError):
    """The actor may not create or change this account, or give it this role."""

    def __init__(self, message):
        super().__init__(message, code="role_grant_refused")


def is_administrator(actor) -> bool:
    """An administrator, a superuser, or None: the command line, run by whoever runs the server."""
    if actor is None:
        return True
    return actor.is_authenticated and (actor.is_superuser or role_of(actor) == Profile.Role.ADMIN)


def is_guarded(user) -> bool:
    """An account only an administrator may change: admin, secretariat, staff or superuser."""
    return user.is_staff or user.is_superuser or role_of(user) in GUARDED_ROLES


def role_grant_check(*, actor, user, role: str) -> None:
    """May `actor` create (`user` None) or change `user`, leaving it with `role`? Else raise.

    Call it for every account about to be created or changed (any field: email, name, units,
    role, staff flags); an account left as it is needs no permission. `actor` None is the
    command line and acts as an administrator. is_staff/is_superuser follow the admin role,
    so only an administrator ever sets them.
    """
    role_label = Profile.Role(role).label if role in Profile.Role.values else role
    if user is not None and actor is not None and user.pk == actor.pk and role != role_of(user):
        # Checked first, so not even an administrator demotes itself by a stray row and locks
        # the district out: another administrator changes an administrator's role.
        raise RoleGrantRefused(_("Nobody may change their own role."))
    if is_administrator(actor):
        return
    if role_of(actor) != Profile.Role.SECRETARIAT:
        raise RoleGrantRefused(_("Your role may not create or change accounts."))
    if user is not None and is_guarded(user):
        raise RoleGrantRefused(
            _(
                "The secretariat may not change the account of an administrator, a "
                "secretariat member or a staff member; ask an administrator."
            )
        )
    if role not in SECRETARIAT_GRANTS:
        raise RoleGrantRefused(
            _("The secretariat may not grant the role “%(role)s”; ask an administrator.")
            % {"role": role_label}
        )
