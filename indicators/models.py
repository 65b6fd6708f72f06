"""The KLA instrument as data: periods, rank bands, groups, indicators and questions.

The instrument changes from year to year (a new juknis, an amended Perpres), so nothing here
is hard-coded: each period carries its own bands and its own tree of questions.
"""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.page_cache import WatchedManager
from indicators.on_track import days_until
from indicators.steps import parse_steps

ZERO = Decimal("0.00")


def PointsField(verbose_name, **kwargs):  # noqa: N802 - reads like a field class
    """Points are Decimal with two places everywhere (588.40, not 588.4000001)."""
    kwargs.setdefault("max_digits", 7)
    kwargs.setdefault("decimal_places", 2)
    kwargs.setdefault("validators", [MinValueValidator(ZERO)])
    return models.DecimalField(verbose_name, **kwargs)


# The national bands since 2021; a period copies them and may change them.
DEFAULT_RANK_BANDS = [
    ("Pratama", Decimal("500.00")),
    ("Madya", Decimal("601.00")),
    ("Nindya", Decimal("701.00")),
    ("Utama", Decimal("801.00")),
    ("KLA", Decimal("901.00")),
]


def _locked_refusal(year=None) -> ValidationError:
    return ValidationError(
        _("Period %(year)s is locked: its bands and instrument cannot be changed any more.")
        % {"year": year or "—"},
        code="locked",
    )


class Period(models.Model):
    """A year of the evaluation. Its status is what the secretariat decided, in this order:

    prepared (imported; units do not see it yet) -> open (units answer, within the window and
    their extensions) -> closed (units no longer change answers; review goes on) -> locked
    (final: nothing changes, for anyone). The secretariat may reopen a closed period.
    Importing another year never changes which period anyone works on: a new one is prepared.
    """

    class Status(models.TextChoices):
        PREPARED = "prepared", _("Prepared")
        OPEN = "open", _("Open")
        CLOSED = "closed", _("Closed")
        LOCKED = "locked", _("Locked")

    # The moves the secretariat may make (opd.services.period_move); locking is final.
    MOVES = {
        Status.PREPARED: (Status.OPEN,),
        Status.OPEN: (Status.CLOSED, Status.LOCKED),
        Status.CLOSED: (Status.OPEN, Status.LOCKED),
        Status.LOCKED: (),
    }

    year = models.PositiveSmallIntegerField(_("year"), unique=True)
    status = models.CharField(_("status"), max_length=10, choices=Status, default=Status.PREPARED)
    window_opens = models.DateField(_("self-assessment opens"))
    window_closes = models.DateField(
        _("self-assessment closes"), help_text=_("Last day on which units may change answers.")
    )
    entry_date = models.DateField(_("entry into the ministry's application"), null=True, blank=True)
    target_rank = models.CharField(
        _("target rank"),
        max_length=40,
        blank=True,
        help_text=_("Name of one of the period's bands."),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    # What the last instrument import warned about (declared maxima that disagree, ...), kept
    # so the instrument page still shows it after the import's report is gone.
    import_warnings = models.JSONField(_("import warnings"), default=list, blank=True)

    class Rounding(models.TextChoices):
        # The values are the engine's (indicators.scoring.ROUND_QUESTION / ROUND_INDICATOR).
        QUESTION = "question", _("Each question to the cent, then the sums")
        INDICATOR = "indicator", _("Unrounded sums, rounded at the indicator")

    # Written once, applied by the engine only: the ministry publishes each question at two
    # decimals, so 1,67 + 1,67 = 3,34 for the indicator (the other choice gives 3,33).
    rounding = models.CharField(
        _("rounding"), max_length=10, choices=Rounding, default=Rounding.QUESTION
    )
    # The district's official numbers: the denominator of a per-unit question's share (the
    # registered units when not set). Fewer registered units than these is a warning.
    official_kecamatan = models.PositiveSmallIntegerField(
        _("official number of kecamatan"),
        null=True,
        blank=True,
        help_text=_("The denominator of the share of kecamatan; empty: the registered ones."),
    )
    official_desa = models.PositiveSmallIntegerField(
        _("official number of desa/kelurahan"),
        null=True,
        blank=True,
        help_text=_("The denominator of the share of desa/kelurahan; empty: the registered ones."),
    )

    objects = WatchedManager()

    class Meta:
        ordering = ["-year"]
        verbose_name = _("period")
        verbose_name_plural = _("periods")
        constraints = [
            models.CheckConstraint(
                condition=Q(window_opens__lte=models.F("window_closes")),
                name="period_window_in_order",
                violation_error_message=_("The window must open before it closes."),
            ),
            models.CheckConstraint(
                condition=Q(year__gte=2000) & Q(year__lte=2100),
                name="period_year_plausible",
            ),
        ]

    def __str__(self) -> str:
        return str(self.year)

    # Locked is final for every route that saves a model, the Django admin and scripts
    # included: the stored row decides, so an object edited in memory cannot unlock it.
    # (Restoring a backup writes raw rows and is not a change.)
    def save(self, *args, **kwargs):
        if self.pk and Period.objects.filter(pk=self.pk, status=self.Status.LOCKED).exists():
            raise _locked_refusal(self.year)
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if self.is_locked:
            raise _locked_refusal(self.year)
        return super().delete(*args, **kwargs)

    def window_problems(self) -> list[tuple[str, str, str]]:
        """What is wrong with the period's window, entry date and target as they stand (in
        memory): (field, code, message) each. The one statement of these rules: clean() gives
        them to forms and the admin, opd.services.period_update_window to the secretariat."""
        problems = []
        opens, closes, entry = self.window_opens, self.window_closes, self.entry_date
        if opens and closes and opens > closes:
            problems.append(
                ("window_closes", "window_order", _("The window must open before it closes."))
            )
        if entry and closes and entry < closes:
            message = _("Entry into the ministry's application comes after the window.")
            problems.append(("entry_date", "entry_date", message))
        if self.pk and self.target_rank:
            names = set(self.rank_bands.values_list("name", flat=True))
            if names and self.target_rank not in names:
                message = _("The target must be one of the bands.")
                problems.append(("target_rank", "target", message))
        return problems

    def clean(self) -> None:
        super().clean()
        problems = self.window_problems()
        if problems:
            raise ValidationError({field: message for field, _code, message in problems})

    @property
    def is_locked(self) -> bool:
        return self.status == self.Status.LOCKED

    def can_move_to(self, status: str) -> bool:
        """Whether the secretariat may move the period from its status to `status`."""
        return status in self.MOVES.get(self.status, ())

    @property
    def review_deadline(self):
        """The last day verified points can still count: the entry into the ministry's
        application (the secretariat reviews until then), the window's close when none is set."""
        return self.entry_date or self.window_closes

    @property
    def documents_needed_until(self):
        """The day evidence documents must still be valid on: the field verification when its
        date is known (and after the entry: the field team reads the documents then), else the
        entry into the ministry's application, else the window's close."""
        official = getattr(self, "official", None) if self.pk else None
        field_day = official.field_verification_on if official is not None else None
        if field_day and field_day > self.review_deadline:
            return field_day
        return self.review_deadline

    @property
    def is_visible_to_units(self) -> bool:
        """Units and executives see every period but one still being prepared."""
        return self.status != self.Status.PREPARED

    @property
    def accepts_unit_changes(self) -> bool:
        """Opened by the secretariat; the window's dates and extensions still apply."""
        return self.status == self.Status.OPEN

    def window_is_open(self, on=None) -> bool:
        """Whether units may still change answers on the given day (default: today in Jakarta)."""
        day = on or timezone.localdate()
        return self.accepts_unit_changes and self.window_opens <= day <= self.window_closes

    def days_left(self, on=None) -> int:
        """Days until the window closes; 0 on the last day, negative once it has closed."""
        return days_until(self.window_closes, on or timezone.localdate())


class FrozenWhenLocked(models.Model):
    """A row of a period's bands or instrument: refused once its period is locked.

    `period_path` goes from Period to this model ("groups__indicators" for an indicator) and
    `parent_field` names the foreign key the path's last step follows. Both the row as
    stored and the parent it would move to are checked, in one query, so a question can be
    neither edited in a locked period nor moved into one. clean() gives the admin's forms a
    field-level message; save() and delete() hold for every other route.
    """

    period_path: str
    parent_field: str

    objects = WatchedManager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if self.in_locked_period():
            raise _locked_refusal()
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if self.in_locked_period():
            raise _locked_refusal()
        return super().delete(*args, **kwargs)

    def clean(self) -> None:
        super().clean()
        if self.in_locked_period():
            raise _locked_refusal()

    def in_locked_period(self) -> bool:
        parent_id = getattr(self, f"{self.parent_field}_id")
        parent_path = self.period_path.rpartition("__")[0]
        touched = Q(**{f"{parent_path}__pk" if parent_path else "pk": parent_id})
        if self.pk:
            touched |= Q(**{self.period_path: self.pk})
        return Period.objects.filter(touched, status=Period.Status.LOCKED).exists()


class RankBand(FrozenWhenLocked):
    """A rank as a half-open range [lower_bound, next band's lower_bound) on the total."""

    period = models.ForeignKey(
        Period, on_delete=models.CASCADE, related_name="rank_bands", verbose_name=_("period")
    )
    name = models.CharField(_("name"), max_length=40)
    lower_bound = PointsField(_("lower bound"))

    period_path, parent_field = "rank_bands", "period"

    class Meta:
        ordering = ["period", "lower_bound"]
        verbose_name = _("rank band")
        verbose_name_plural = _("rank bands")
        constraints = [
            models.UniqueConstraint(fields=["period", "name"], name="rankband_unique_name"),
            models.UniqueConstraint(fields=["period", "lower_bound"], name="rankband_unique_bound"),
            models.CheckConstraint(
                condition=Q(lower_bound__gte=0) & Q(lower_bound__lte=1000),
                name="rankband_bound_in_scale",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} (≥ {self.lower_bound})"


class Group(FrozenWhenLocked):
    """Kelembagaan, Klaster I-V, Kelana Dekela, or whatever the year's instrument has."""

    period = models.ForeignKey(
        Period, on_delete=models.CASCADE, related_name="groups", verbose_name=_("period")
    )
    name = models.CharField(_("name"), max_length=200)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    declared_max_points = PointsField(
        _("declared maximum points"),
        null=True,
        blank=True,
        help_text=_("As printed in the instrument; may disagree with its indicators."),
    )

    period_path, parent_field = "groups", "period"

    class Meta:
        ordering = ["period", "order", "pk"]
        verbose_name = _("group")
        verbose_name_plural = _("groups")
        constraints = [
            models.UniqueConstraint(fields=["period", "name"], name="group_unique_name"),
        ]

    def __str__(self) -> str:
        return self.name


class Indicator(FrozenWhenLocked):
    group = models.ForeignKey(
        Group, on_delete=models.CASCADE, related_name="indicators", verbose_name=_("group")
    )
    code = models.CharField(_("code"), max_length=20, help_text=_('For example "21 A".'))
    name = models.CharField(_("name"), max_length=500)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    max_points = PointsField(_("maximum points"))

    period_path, parent_field = "groups__indicators", "group"

    class Meta:
        ordering = ["group__order", "order", "pk"]
        verbose_name = _("indicator")
        verbose_name_plural = _("indicators")
        constraints = [
            models.UniqueConstraint(fields=["group", "code"], name="indicator_unique_code"),
        ]

    def __str__(self) -> str:
        return f"{self.code}. {self.name}"


class Question(FrozenWhenLocked):
    class Evidence(models.TextChoices):
        DOCUMENT = "document", _("Supporting documents")
        MATRIX = "matrix", _("Matrix and documents")
        PHOTO = "photo", _("Matrix, documents and photos")

    indicator = models.ForeignKey(
        Indicator, on_delete=models.CASCADE, related_name="questions", verbose_name=_("indicator")
    )
    code = models.CharField(_("code"), max_length=20)
    text = models.TextField(_("text"))
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    max_points = PointsField(_("maximum points"))
    evidence = models.CharField(
        _("evidence asked for"), max_length=10, choices=Evidence, default=Evidence.DOCUMENT
    )
    every_kecamatan = models.BooleanField(
        _("answered by every kecamatan"),
        default=False,
        help_text=_("The question's points are the mean over all kecamatan."),
    )
    every_desa = models.BooleanField(
        _("answered by every desa/kelurahan"),
        default=False,
        help_text=_("The question's points are the mean over all desa and kelurahan."),
    )

    class RowsFilledBy(models.TextChoices):
        UNITS = "units", _("Each kecamatan (also for its desa/kelurahan)")
        COORDINATOR = "coordinator", _("The coordinating agency, for all rows")

    # A question every kecamatan or desa answers is a table with one row per unit; a row is
    # that unit's answer. Who writes the rows is the instrument's choice per question
    # (opd/access.py reads it): each kecamatan for itself and its desa, or the coordinator.
    rows_filled_by = models.CharField(
        _("rows filled by"),
        max_length=12,
        choices=RowsFilledBy,
        default=RowsFilledBy.UNITS,
        help_text=_("For a question every kecamatan or desa answers: who fills its rows."),
    )

    # A per-unit question's share in steps: [[lowest share in percent, points], ...], the
    # lowest first from 0 (indicators.steps reads and checks them). Empty: the straight share.
    steps = models.JSONField(
        _("steps"),
        default=list,
        blank=True,
        help_text=_('Share of units to points, e.g. "0-25: 0,75; 25-50: 1,5; 50-100: 3".'),
    )
    # A past year's result imported for the question as a whole (the file's points of a
    # per-unit question, which no unit's row carries): the engine counts it while the question
    # has no answers, so an imported year totals the file's arithmetic whatever units exist.
    kept_claimed_points = PointsField(_("kept claimed points"), null=True, blank=True)
    kept_verified_points = PointsField(_("kept verified points"), null=True, blank=True)

    period_path, parent_field = "groups__indicators__questions", "indicator"

    class Meta:
        ordering = ["indicator__group__order", "indicator__order", "order", "pk"]
        verbose_name = _("question")
        verbose_name_plural = _("questions")
        constraints = [
            models.UniqueConstraint(fields=["indicator", "code"], name="question_unique_code"),
            models.CheckConstraint(condition=~Q(text=""), name="question_text_not_empty"),
        ]

    def __str__(self) -> str:
        return f"{self.indicator.code} / {self.code}"

    @property
    def per_unit(self) -> bool:
        """Answered as a table: one row (answer) per kecamatan or desa/kelurahan."""
        return self.every_kecamatan or self.every_desa

    def clean(self) -> None:
        super().clean()
        if self.steps and not self.per_unit:
            raise ValidationError(
                {"steps": _("Only a question every kecamatan or desa answers has steps.")}
            )
        stored, problems = parse_steps(self.steps, self.max_points or ZERO, _("steps"))
        if problems:
            raise ValidationError({"steps": problems})
        self.steps = stored
        for name in ("kept_claimed_points", "kept_verified_points"):
            value = getattr(self, name)
            if value is not None and self.max_points is not None and value > self.max_points:
                raise ValidationError(
                    {name: _("The points cannot be more than the question's maximum.")}
                )


# The two options of a table row when the instrument gives none for a per-unit question: the
# row's unit has it (the question's maximum) or not (0). The mean over the rows, which the
# engine takes, is then the share of "yes" times the maximum.
ROW_YES, ROW_NO = "Ya", "Tidak"


def row_options(max_points: Decimal) -> list[tuple[str, Decimal]]:
    return [(ROW_YES, Decimal(max_points)), (ROW_NO, Decimal("0.00"))]


class AnswerOption(FrozenWhenLocked):
    """A fixed answer to a question and the points it is worth ("Perda" 24, "Perbup" 18,
    "SK" 12, "in preparation" 6, "none" 0). The unit picks one and the points follow; free
    typing of points is where a claimed 721 became a verified 588. A question without
    options keeps free points."""

    question = models.ForeignKey(
        Question, on_delete=models.CASCADE, related_name="options", verbose_name=_("question")
    )
    label = models.CharField(_("label"), max_length=300)
    points = PointsField(_("points"))
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    period_path, parent_field = "groups__indicators__questions__options", "question"

    class Meta:
        ordering = ["question", "order", "pk"]
        verbose_name = _("answer option")
        verbose_name_plural = _("answer options")
        constraints = [
            models.UniqueConstraint(fields=["question", "label"], name="option_unique_label"),
        ]

    def __str__(self) -> str:
        return f"{self.label} ({self.points})"

    def clean(self) -> None:
        super().clean()
        if self.question_id and self.points is not None and self.points > self.question.max_points:
            raise ValidationError(
                {"points": _("An option cannot be worth more than the question's maximum.")}
            )


class OfficialResult(models.Model):
    """What the ministry made of a year, recorded by the secretariat as it comes: entered into
    the ministry's application, the province's verification notes, the field verification,
    and the final score and rank announced near 23 July. Not frozen by locking: it arrives
    after the period is locked, and it is what the next year's target starts from."""

    period = models.OneToOneField(
        Period, on_delete=models.CASCADE, related_name="official", verbose_name=_("period")
    )
    entered_on = models.DateField(
        _("entered into the ministry's application on"), null=True, blank=True
    )
    provincial_notes = models.TextField(_("provincial verification notes"), blank=True)
    field_verification_on = models.DateField(_("field verification on"), null=True, blank=True)
    field_verification_team = models.TextField(_("field verification team"), blank=True)
    field_verification_findings = models.TextField(_("field verification findings"), blank=True)
    final_score = PointsField(_("final score"), null=True, blank=True)
    final_rank = models.CharField(_("final rank"), max_length=40, blank=True)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    objects = WatchedManager()

    class Meta:
        verbose_name = _("official result")
        verbose_name_plural = _("official results")
        constraints = [
            models.CheckConstraint(
                condition=Q(final_score__isnull=True) | Q(final_score__lte=1000),
                name="official_score_in_scale",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.period}: {self.final_score or '—'} {self.final_rank}".strip()

    class Stage(models.TextChoices):
        ENTRY = "entry", _("Entry into the ministry's application")
        ADMINISTRATIVE = "administrative", _("Administrative verification by the province")
        FIELD = "field", _("Field verification")
        FINAL = "final", _("Final result")

    @property
    def stage(self) -> str | None:
        """How far the year's evaluation has come, from what is recorded: the latest stage
        with a date or a figure (the province's returns live in opd and are not asked here)."""
        if self.final_score is not None:
            return self.Stage.FINAL
        if self.field_verification_on or self.field_verification_findings:
            return self.Stage.FIELD
        if self.provincial_notes:
            return self.Stage.ADMINISTRATIVE
        if self.entered_on:
            return self.Stage.ENTRY
        return None

    def clean(self) -> None:
        """The rank follows the score on the period's bands: a rank the bands contradict
        (588,40 with "Madya" when Madya starts at 601) is refused, whoever saves it."""
        super().clean()
        if self.final_score is None or not self.final_rank or not self.period_id:
            return
        from indicators.official import rank_problem

        bands = [(b.name, b.lower_bound) for b in RankBand.objects.filter(period_id=self.period_id)]
        problem = rank_problem(score=self.final_score, rank=self.final_rank, bands=bands)
        if problem:
            raise ValidationError({"final_rank": problem}, code="rank_contradicts_bands")


class OfficialPoints(models.Model):
    """The points the ministry gave one question, or one indicator or group where only that is
    published, kept beside the claimed and verified points. Not frozen by locking: like the
    official result, it arrives after the period is locked."""

    class Level(models.TextChoices):
        QUESTION = "question", _("Question")
        INDICATOR = "indicator", _("Indicator")
        GROUP = "group", _("Group")

    period = models.ForeignKey(
        Period, on_delete=models.CASCADE, related_name="official_points", verbose_name=_("period")
    )
    level = models.CharField(_("level"), max_length=10, choices=Level)
    question = models.ForeignKey(
        Question,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="official_points",
        verbose_name=_("question"),
    )
    indicator = models.ForeignKey(
        Indicator,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="official_points",
        verbose_name=_("indicator"),
    )
    group = models.ForeignKey(
        Group,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="official_points",
        verbose_name=_("group"),
    )
    points = PointsField(_("official points"))
    note = models.TextField(_("note"), blank=True, max_length=2000)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    objects = WatchedManager()

    class Meta:
        ordering = ["period", "level", "pk"]
        verbose_name = _("official points")
        verbose_name_plural = _("official points")
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(level="question", question__isnull=False, indicator__isnull=True)
                    & Q(group__isnull=True)
                )
                | (
                    Q(level="indicator", question__isnull=True, indicator__isnull=False)
                    & Q(group__isnull=True)
                )
                | (
                    Q(level="group", question__isnull=True, indicator__isnull=True)
                    & Q(group__isnull=False)
                ),
                name="officialpoints_one_target",
            ),
            models.UniqueConstraint(fields=["question"], name="officialpoints_unique_question"),
            models.UniqueConstraint(fields=["indicator"], name="officialpoints_unique_indicator"),
            models.UniqueConstraint(fields=["group"], name="officialpoints_unique_group"),
        ]

    def __str__(self) -> str:
        return f"{self.period} {self.level} {self.points}"


class ScoreSnapshot(models.Model):
    """The period's score at one moment, so trends are drawn without recomputing history."""

    class Reason(models.TextChoices):
        VERIFIED_CHANGE = "verified_change", _("Verified points changed")
        WINDOW_CLOSED = "window_closed", _("Self-assessment window closed")
        PERIOD_LOCKED = "period_locked", _("Period locked")
        IMPORT = "import", _("Results imported")
        MANUAL = "manual", _("Taken by hand")

    period = models.ForeignKey(
        Period, on_delete=models.CASCADE, related_name="snapshots", verbose_name=_("period")
    )
    taken_at = models.DateTimeField(_("taken at"), default=timezone.now, db_index=True)
    reason = models.CharField(_("reason"), max_length=20, choices=Reason)
    claimed = PointsField(_("claimed"))
    verified = PointsField(_("verified"))
    potential = PointsField(_("potential"))
    rank_claimed = models.CharField(_("rank (claimed)"), max_length=40, blank=True)
    rank_verified = models.CharField(_("rank (verified)"), max_length=40, blank=True)
    detail = models.JSONField(_("per group and indicator"), default=dict)

    objects = WatchedManager()

    class Meta:
        ordering = ["period", "taken_at"]
        get_latest_by = "taken_at"
        verbose_name = _("score snapshot")
        verbose_name_plural = _("score snapshots")

    def __str__(self) -> str:
        return f"{self.period} {self.taken_at:%Y-%m-%d %H:%M} {self.verified}"


class QuestionPair(models.Model):
    """The secretariat's word on whether a question of this year is last year's question
    (indicators.identity): a new text for the same question, confirmed; or a look-alike (same
    code, similar text) that is not, rejected. Same text needs no pair; a rejected pair also
    undoes a same-text match. Carry-over reads the identity, never the code."""

    class Decision(models.TextChoices):
        CONFIRMED = "confirmed", _("Same question")
        REJECTED = "rejected", _("Different question")

    new_question = models.ForeignKey(
        Question,
        on_delete=models.CASCADE,
        related_name="pairs_as_new",
        verbose_name=_("this year's question"),
    )
    old_question = models.ForeignKey(
        Question,
        on_delete=models.CASCADE,
        related_name="pairs_as_old",
        verbose_name=_("last year's question"),
    )
    decision = models.CharField(_("decision"), max_length=10, choices=Decision)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), default=timezone.now)

    objects = WatchedManager()

    class Meta:
        ordering = ["new_question", "old_question"]
        verbose_name = _("question pair")
        verbose_name_plural = _("question pairs")
        constraints = [
            models.UniqueConstraint(
                fields=["new_question", "old_question"], name="questionpair_unique"
            ),
            # One question of last year per question of this year: carry-over proposes one.
            models.UniqueConstraint(
                fields=["new_question"],
                condition=Q(decision="confirmed"),
                name="questionpair_one_confirmed",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.new_question} ⇐ {self.old_question}: {self.decision}"

    @property
    def confirmed(self) -> bool:
        return self.decision == self.Decision.CONFIRMED
