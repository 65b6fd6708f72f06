"""Who answers: units (OPD, kecamatan, desa, lembaga), people and their roles, assignments."""

import datetime
import uuid
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.page_cache import WatchedManager, WatchedQuerySet
from indicators.models import FrozenWhenLocked, OfficialResult, Period, Question

# How long a reviewer's claim on an answer keeps other reviewers away (Answer.claim_holder).
REVIEW_CLAIM_TTL = datetime.timedelta(minutes=15)


class Unit(models.Model):
    """An answering unit: an OPD, a vertical agency, a kecamatan, a desa, or a lembaga."""

    class Kind(models.TextChoices):
        DINAS = "dinas", _("Dinas")
        BADAN = "badan", _("Badan")
        BAGIAN = "bagian", _("Bagian (Setda)")
        VERTICAL = "vertical", _("Vertical agency")
        KECAMATAN = "kecamatan", _("Kecamatan")
        DESA = "desa", _("Desa/Kelurahan")
        LEMBAGA = "lembaga", _("Lembaga (e.g. Forum Anak)")
        OTHER = "other", _("Other")

    name = models.CharField(_("name"), max_length=200, unique=True)
    short_name = models.CharField(_("short name"), max_length=60, unique=True)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind, default=Kind.DINAS)
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("parent unit"),
        help_text=_("The kecamatan of a desa, for example."),
    )
    is_secretariat = models.BooleanField(
        _("secretariat's agency"),
        default=False,
        help_text=_("The agency that hosts the task force's secretariat (DP3AP2KB)."),
    )
    is_active = models.BooleanField(_("active"), default=True)

    objects = WatchedManager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("unit")
        verbose_name_plural = _("units")
        constraints = [
            models.UniqueConstraint(
                fields=["is_secretariat"],
                condition=Q(is_secretariat=True),
                name="unit_single_secretariat",
                violation_error_message=_("Only one unit can host the secretariat."),
            ),
            models.CheckConstraint(condition=~Q(short_name=""), name="unit_short_name_not_empty"),
        ]

    def __str__(self) -> str:
        return self.short_name


class UnitAlias(models.Model):
    """Another name under which files know a unit ("Dunia Usaha" for APINDO), chosen by the
    secretariat once in an import's mapping step and used by every later import."""

    name_key = models.CharField(_("name key"), max_length=200, unique=True)
    name = models.CharField(_("name as written"), max_length=200)
    unit = models.ForeignKey(
        Unit, on_delete=models.CASCADE, related_name="aliases", verbose_name=_("unit")
    )

    objects = WatchedManager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("unit alias")
        verbose_name_plural = _("unit aliases")

    def __str__(self) -> str:
        return f"{self.name} → {self.unit}"


class AssignmentQuerySet(WatchedQuerySet):
    def answering(self):
        """The assignments whose unit gives its own answer: the lead, or each per-unit unit."""
        return self.filter(role__in=Assignment.ANSWERING)


class Assignment(FrozenWhenLocked):
    """Who answers a question in its period: the one stored statement every part reads.

    An ordinary question has one lead unit, which answers, and supporting units, which attach
    evidence to the lead's answer. A question every kecamatan (or desa) answers has one
    per-unit assignment for each of those units, each answering for itself, and coordinating
    agencies, which follow all their answers without answering. opd/assignments.py keeps the
    rows in step with the instrument and the units; nothing else decides who answers.
    """

    class Role(models.TextChoices):
        LEAD = "lead", _("Lead")
        SUPPORT = "support", _("Supporting")
        PER_UNIT = "per_unit", _("Answers for itself (every kecamatan/desa)")
        COORDINATOR = "coordinator", _("Coordinator")

    ANSWERING = (Role.LEAD, Role.PER_UNIT)

    question = models.ForeignKey(
        Question, on_delete=models.CASCADE, related_name="assignments", verbose_name=_("question")
    )
    unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="assignments", verbose_name=_("unit")
    )
    role = models.CharField(_("role"), max_length=12, choices=Role, default=Role.SUPPORT)

    objects = AssignmentQuerySet.as_manager()

    period_path, parent_field = "groups__indicators__questions__assignments", "question"

    class Meta:
        # Alphabetical order puts a question's coordinators and lead before the others.
        ordering = ["question", "role", "unit__name"]
        verbose_name = _("assignment")
        verbose_name_plural = _("assignments")
        constraints = [
            models.UniqueConstraint(fields=["question", "unit"], name="assignment_unique_unit"),
            models.UniqueConstraint(
                fields=["question"],
                condition=Q(role="lead"),
                name="assignment_single_lead",
                violation_error_message=_("A question has exactly one lead unit."),
            ),
        ]
        # Every score reads a period's per-unit assignments, a few among tens of thousands.
        indexes = [
            models.Index(
                fields=["question"], condition=Q(role="per_unit"), name="assignment_per_unit_idx"
            )
        ]

    def __str__(self) -> str:
        return f"{self.question} → {self.unit} ({self.get_role_display()})"

    @property
    def answers(self) -> bool:
        """The unit gives its own answer (else it supports or coordinates another's)."""
        return self.role in self.ANSWERING


class Profile(models.Model):
    """What a user is in the task force. Every user has one (created with the user)."""

    class Role(models.TextChoices):
        OPD = "opd", _("Unit staff")
        SECRETARIAT = "secretariat", _("Secretariat")
        EXECUTIVE = "executive", _("Executive (Bupati, Sekda)")
        ADMIN = "admin", _("Administrator")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="profile",
        verbose_name=_("user"),
    )
    role = models.CharField(_("role"), max_length=12, choices=Role, default=Role.OPD)
    units = models.ManyToManyField(
        Unit, blank=True, related_name="members", verbose_name=_("units")
    )
    position = models.CharField(_("position"), max_length=200, blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    # Kept by opd/notices.py, so the navigation bar shows the count with no query of its own.
    unread_notices = models.PositiveIntegerField(_("unread notices"), default=0)

    objects = WatchedManager()

    class Meta:
        verbose_name = _("profile")
        verbose_name_plural = _("profiles")

    def __str__(self) -> str:
        return f"{self.user.get_username()} ({self.get_role_display()})"

    @property
    def is_secretariat(self) -> bool:
        return self.role in (self.Role.SECRETARIAT, self.Role.ADMIN)

    @property
    def is_executive(self) -> bool:
        return self.role == self.Role.EXECUTIVE

    @property
    def is_opd(self) -> bool:
        return self.role == self.Role.OPD


def _evidence_upload_to(instance, filename: str) -> str:
    # The stored name never derives from the uploaded name: only our own random token.
    return f"evidence/{timezone.now():%Y/%m}/{uuid.uuid4().hex}"


class LoweredReason(models.TextChoices):
    """Why a reviewer verified fewer points than claimed: the units can act on each."""

    MISSING = "missing", _("Document missing")
    EXPIRED = "expired", _("Document expired")
    WRONG_LEVEL = "wrong_level", _("Wrong level (e.g. an SK where a Perda is asked)")
    UNSIGNED = "unsigned", _("Not signed or stamped")
    OTHER = "other", _("Other (see the note)")


class Answer(models.Model):
    """A unit's answer to a question in a period, with its points, narrative and review state.

    One answer per question for ordinary questions (the lead unit's; supporting units attach
    evidence to it); one per unit for questions every kecamatan or desa answers.
    """

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Submitted")
        REVISION_REQUESTED = "revision_requested", _("Revision requested")
        APPROVED = "approved", _("Approved")

    # The two halves of an answer's life, each stated once: its unit may still change it, or
    # it is handed in (awaiting review, or approved).
    EDITABLE = (Status.DRAFT, Status.REVISION_REQUESTED)
    HANDED_IN = (Status.SUBMITTED, Status.APPROVED)

    question = models.ForeignKey(
        Question, on_delete=models.CASCADE, related_name="answers", verbose_name=_("question")
    )
    unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="answers", verbose_name=_("answering unit")
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status, default=Status.DRAFT, db_index=True
    )
    claimed_points = models.DecimalField(
        _("points claimed"),
        max_digits=7,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
    )
    verified_points = models.DecimalField(
        _("verified points"),
        max_digits=7,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
    )
    # For a question with answer options: what the unit chose (its points are the claimed
    # points) and what the reviewer confirmed or lowered it to, with the structured reason.
    option = models.ForeignKey(
        "indicators.AnswerOption",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("option chosen"),
    )
    verified_option = models.ForeignKey(
        "indicators.AnswerOption",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("option verified"),
    )
    lowered_because = models.CharField(
        _("lowered because"), max_length=20, blank=True, choices=LoweredReason
    )
    # Started from last year's answer (Period "start from last year"): narrative, option and
    # evidence proposed for the unit to confirm; `proposed` until a person saves it.
    carried_from = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("proposed from"),
    )
    proposed = models.BooleanField(_("proposal not confirmed yet"), default=False)
    narrative = models.TextField(_("narrative"), blank=True, max_length=20000)
    data_values = models.JSONField(_("data values"), default=dict, blank=True)
    review_note = models.TextField(
        _("reviewer's note"),
        blank=True,
        max_length=5000,
        help_text=_("Why revision was requested, or why fewer points were verified."),
    )
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("submitted by"),
    )
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("reviewed by"),
    )
    # A reviewer's claim: other reviewers see who is reviewing the answer and the queue's
    # "next" skips it, so two people do not review the same answer at once. It decides
    # nothing: it lapses after REVIEW_CLAIM_TTL and a decision clears it.
    review_claimed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("being reviewed by"),
    )
    review_claimed_at = models.DateTimeField(_("review claimed at"), null=True, blank=True)
    # The cluster's coordinator (a unit the task force's decree names over the answer's group,
    # TaskForceMember) read the submitted answer and found it ready for the secretariat: a
    # mark the review queue shows; the unit's next save or submission clears it.
    coordinator_checked_at = models.DateTimeField(
        _("checked by the cluster coordinator at"), null=True, blank=True
    )
    coordinator_checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("checked by the cluster coordinator"),
    )
    # The revision request the answer is in came from the cluster's coordinator (this unit),
    # not from the secretariat: the unit's page says who asks. A secretariat's decision clears it.
    returned_by_coordinator = models.ForeignKey(
        "Unit",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("returned by the cluster coordinator"),
    )
    # Bumped by every change; a form carries the version it was rendered with so that a stale
    # form (a second reviewer, a second tab) is refused instead of overwriting newer work.
    version = models.PositiveIntegerField(_("version"), default=1)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    objects = WatchedManager()

    class Meta:
        ordering = ["question", "unit"]
        verbose_name = _("answer")
        verbose_name_plural = _("answers")
        constraints = [
            models.UniqueConstraint(fields=["question", "unit"], name="answer_unique_unit"),
            models.CheckConstraint(
                condition=Q(claimed_points__isnull=True) | Q(claimed_points__gte=0),
                name="answer_claimed_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(verified_points__isnull=True) | Q(verified_points__gte=0),
                name="answer_verified_not_negative",
            ),
            models.CheckConstraint(
                condition=~Q(status="approved") | Q(verified_points__isnull=False),
                name="answer_approved_has_verified_points",
            ),
        ]
        indexes = [models.Index(fields=["status", "submitted_at"], name="answer_queue_idx")]

    def __str__(self) -> str:
        return f"{self.question} · {self.unit}"

    # What the score, the queue's size and unit completion read of an answer. A save that
    # changes none of them (a narrative, a review claim) leaves the score's cached version
    # alone (opd/signals.py), so the values read from the database are kept to compare.
    FIGURES = ("claimed_points", "verified_points", "status", "submitted_at")

    @classmethod
    def from_db(cls, db, field_names, values):
        answer = super().from_db(db, field_names, values)
        if len(values) == len(cls._meta.concrete_fields):  # none deferred: the common case
            answer.figures_read = tuple(getattr(answer, name) for name in cls.FIGURES)
        return answer

    def figures(self) -> tuple | None:
        """The FIGURES now, or None if some were not read (then judged changed)."""
        if self.get_deferred_fields().intersection(self.FIGURES):
            return None
        return tuple(getattr(self, name) for name in self.FIGURES)

    def clean(self) -> None:
        super().clean()
        maximum = self.question.max_points if self.question_id else None
        for field in ("claimed_points", "verified_points"):
            value = getattr(self, field)
            if value is not None and maximum is not None and value > maximum:
                raise ValidationError(
                    {field: _("At most %(max)s points.") % {"max": maximum}}, code="over_max"
                )

    @property
    def is_final(self) -> bool:
        return self.status == self.Status.APPROVED

    @property
    def coordinator_checked(self) -> bool:
        return self.coordinator_checked_at is not None

    @property
    def awaits_review(self) -> bool:
        return self.status == self.Status.SUBMITTED

    def claim_holder(self, *, now: datetime.datetime | None = None):
        """Who is reviewing the answer now (an active claim), or None."""
        if self.status != self.Status.SUBMITTED or self.review_claimed_at is None:
            return None
        if (now or timezone.now()) - self.review_claimed_at >= REVIEW_CLAIM_TTL:
            return None
        return self.review_claimed_by

    @staticmethod
    def claim_free_for(user, *, now: datetime.datetime | None = None) -> Q:
        """Answers nobody but `user` is reviewing now: claim_holder's rule as a filter."""
        lapsed = (now or timezone.now()) - REVIEW_CLAIM_TTL
        return (
            Q(review_claimed_at__isnull=True)
            | Q(review_claimed_at__lte=lapsed)
            | Q(review_claimed_by=user)
        )

    @property
    def claim_ends_at(self) -> datetime.datetime | None:
        return self.review_claimed_at + REVIEW_CLAIM_TTL if self.review_claimed_at else None

    @property
    def points_lowered(self) -> bool:
        return (
            self.verified_points is not None
            and self.claimed_points is not None
            and self.verified_points < self.claimed_points
        )


class Evidence(models.Model):
    """One piece of evidence on an answer: a file (with revisions) or a link."""

    class Kind(models.TextChoices):
        FILE = "file", _("File")
        LINK = "link", _("Link")

    answer = models.ForeignKey(
        Answer, on_delete=models.CASCADE, related_name="evidence", verbose_name=_("answer")
    )
    unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="+", verbose_name=_("attached by unit")
    )
    kind = models.CharField(_("kind"), max_length=4, choices=Kind, default=Kind.FILE)
    title = models.CharField(_("title"), max_length=255, blank=True)
    url = models.URLField(_("link"), max_length=1000, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    # Removing evidence hides it from the answer; its revisions stay for the audit trail.
    removed_at = models.DateTimeField(_("removed at"), null=True, blank=True)
    # Attached from the document library: the same registered document on many answers.
    document = models.ForeignKey(
        "Document",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="uses",
        verbose_name=_("registered document"),
    )

    objects = WatchedManager()

    class Meta:
        ordering = ["answer", "created_at", "pk"]
        verbose_name = _("evidence")
        verbose_name_plural = _("evidence")
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="file", url="") | (Q(kind="link") & ~Q(url="")),
                name="evidence_link_has_url",
            ),
        ]

    def __str__(self) -> str:
        return self.title or self.url or f"#{self.pk}"


class DocumentQuerySet(WatchedQuerySet):
    def current(self):
        """Documents not renewed: the ones questions use and units attach."""
        return self.filter(replaced_by__isnull=True)

    def lapsing(self, period: Period):
        """Current documents no longer valid on the day they are still needed (the field
        verification when known, else the entry: Period.documents_needed_until). A renewed
        one is history: its successor is what counts."""
        # Period.documents_needed_until's rule, in the same query (no read of the official
        # result first): the field verification when later than the entry, else the entry.
        entry = period.review_deadline
        field_day = OfficialResult.objects.filter(
            period_id=period.pk, field_verification_on__gt=entry
        ).values("field_verification_on")[:1]
        needed = Coalesce(Subquery(field_day), Value(entry), output_field=models.DateField())
        return self.current().filter(valid_until__lt=needed)


class Document(models.Model):
    """A document registered once (the Perda KLA, an SK Gugus Tugas, the RAD, a profile or a
    data set) and attached as evidence to any number of questions: each attachment is an
    Evidence whose revision reuses the same stored file, never uploaded again. Its validity
    is what the expiry warnings read."""

    class Kind(models.TextChoices):
        PERDA = "perda", _("Perda")
        PERBUP = "perbup", _("Perbup")
        SK = "sk", _("SK")
        RAD = "rad", _("RAD")
        PROFILE = "profile", _("Profile")
        DATA = "data", _("Data")
        OTHER = "other", _("Other")

    unit = models.ForeignKey(
        Unit,
        on_delete=models.PROTECT,
        related_name="documents",
        verbose_name=_("unit"),
        help_text=_("The unit that keeps it; the secretariat's documents serve every unit."),
    )
    kind = models.CharField(_("type"), max_length=10, choices=Kind)
    title = models.CharField(_("title"), max_length=255)
    number = models.CharField(_("number"), max_length=100, blank=True)
    issued_on = models.DateField(_("date"), null=True, blank=True)
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    revision = models.ForeignKey(
        "EvidenceRevision",
        on_delete=models.PROTECT,
        related_name="documents",
        verbose_name=_("stored file"),
    )
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("registered by"),
    )
    registered_at = models.DateTimeField(_("registered at"), default=timezone.now)
    # The day its unit was first mailed that it lapses before the ministry's entry
    # (opd.notifications.document_warnings_send): once, as soon as it is seen.
    expiry_warned_on = models.DateField(_("expiry warned on"), null=True, blank=True)
    # Renewed (a new SK, a revised RAD): the new version every question now uses. The old one
    # stays in the library's history, attached to nothing any more.
    replaced_by = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="replaces",
        verbose_name=_("renewed by"),
    )
    replaced_at = models.DateTimeField(_("renewed at"), null=True, blank=True)

    objects = DocumentQuerySet.as_manager()

    class Meta:
        ordering = ["unit", "kind", "title", "pk"]
        verbose_name = _("document")
        verbose_name_plural = _("documents")
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True)
                | Q(issued_on__isnull=True)
                | Q(valid_until__gte=F("issued_on")),
                name="document_valid_after_issue",
                violation_error_message=_("A document cannot expire before its date."),
            ),
            models.CheckConstraint(condition=~Q(title=""), name="document_title_not_empty"),
        ]

    def __str__(self) -> str:
        return self.name_of(kind=self.kind, number=self.number, title=self.title)

    @classmethod
    def name_of(cls, *, kind: str, number: str, title: str) -> str:
        """How a document is named everywhere, from its values (a read of plain values names
        it without a model row)."""
        number = f" {number}" if number else ""
        return f"{cls.kind_label(kind)}{number}: {title}"

    @classmethod
    def kind_label(cls, kind: str) -> str:
        """The kind as people read it (get_kind_display without a row)."""
        return str(dict(cls.Kind.choices).get(kind, kind))

    def expires_before(self, day: datetime.date) -> bool:
        return self.valid_until is not None and self.valid_until < day


class EvidenceRevision(models.Model):
    """An uploaded file, immutable once stored. A replaced file stays in the history."""

    evidence = models.ForeignKey(
        Evidence, on_delete=models.CASCADE, related_name="revisions", verbose_name=_("evidence")
    )
    file = models.FileField(_("stored file"), upload_to=_evidence_upload_to, max_length=255)
    original_name = models.CharField(_("original file name"), max_length=255)
    size = models.PositiveBigIntegerField(_("size in bytes"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    content_type = models.CharField(_("detected type"), max_length=100)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), default=timezone.now, editable=False)
    # What its text says, read once at upload (or by `manage.py evidence_read`) for the
    # verification risk (opd/risk.py): whether a PDF has a text layer (False: a scan), the
    # number and date its text gives, whether they came from the text layer or from OCR, and
    # why it could not be read (a code of opd.uploads.reading.PROBLEMS). read_at is None until
    # it was looked at; reading sets these fields once and never changes the file.
    text_layer = models.BooleanField(_("has a text layer"), null=True, blank=True)
    read_number = models.CharField(_("number read"), max_length=100, blank=True)
    read_date = models.DateField(_("date read"), null=True, blank=True)
    read_via = models.CharField(_("read from"), max_length=10, blank=True)
    read_problem = models.CharField(_("why it could not be read"), max_length=20, blank=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    objects = WatchedManager()

    class Meta:
        ordering = ["evidence", "-uploaded_at", "-pk"]
        get_latest_by = "uploaded_at"
        verbose_name = _("evidence revision")
        verbose_name_plural = _("evidence revisions")

    def __str__(self) -> str:
        return f"{self.original_name} ({self.uploaded_at:%Y-%m-%d %H:%M})"

    def save(self, *args, **kwargs):
        if self.pk is not None and not kwargs.pop("_allow_update", False):
            raise ValueError("Evidence revisions are immutable.")
        super().save(*args, **kwargs)

    PREVIEWABLE_TYPES = ("application/pdf", "image/jpeg", "image/png")
    # Why a previewable file is not shown inline after all (an image with too many pixels);
    # set on the answer page by opd.evidence.withhold_oversized_previews.
    preview_withheld = ""

    @property
    def is_previewable(self) -> bool:
        """Shown inline to reviewers: types a browser renders without running anything."""
        return self.content_type in self.PREVIEWABLE_TYPES


class ResumableUpload(models.Model):
    """A file on its way in pieces (the tus protocol, opd/tus.py), for one person and one
    answer. Its bytes wait in KLA_TUS_DIR under the upload's id until the last one arrives;
    then the file is checked and recorded like a form upload and this row keeps the outcome
    (what the uploader is told) until it expires. Abandoned uploads expire a day after their
    last piece (`tus_cleanup`)."""

    class Outcome(models.TextChoices):
        STORED = "stored", _("Stored")
        DUPLICATE = "duplicate", _("Already there")
        REFUSED = "refused", _("Refused")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    # The answer's address (question, answering unit): the answer may not exist yet.
    question = models.ForeignKey(
        Question, on_delete=models.CASCADE, related_name="+", verbose_name=_("question")
    )
    unit = models.ForeignKey(
        Unit, on_delete=models.CASCADE, related_name="+", verbose_name=_("answering unit")
    )
    title = models.CharField(_("description"), max_length=255, blank=True)
    filename = models.CharField(_("original file name"), max_length=255)
    # What the browser said; only shown, never trusted (the type is sniffed at the end).
    filetype = models.CharField(_("declared type"), max_length=100, blank=True)
    length = models.PositiveBigIntegerField(_("size in bytes"))
    offset = models.PositiveBigIntegerField(_("bytes received"), default=0)
    # Every byte written by every piece, pieces sent again after a lost connection included.
    received = models.PositiveBigIntegerField(_("bytes written"), default=0)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    expires_at = models.DateTimeField(_("expires at"), db_index=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=10, choices=Outcome, blank=True)
    message = models.TextField(_("message"), blank=True)
    revision = models.ForeignKey(
        EvidenceRevision,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("evidence revision"),
    )

    class Meta:
        ordering = ["created_at"]
        verbose_name = _("resumable upload")
        verbose_name_plural = _("resumable uploads")
        constraints = [
            models.CheckConstraint(
                condition=Q(offset__lte=models.F("length")), name="resumable_offset_in_file"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.filename} ({self.offset}/{self.length})"

    @property
    def is_finished(self) -> bool:
        return self.finished_at is not None


class Comment(models.Model):
    """The conversation on an answer between its units and the secretariat."""

    answer = models.ForeignKey(
        Answer, on_delete=models.CASCADE, related_name="comments", verbose_name=_("answer")
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("author"),
    )
    body = models.TextField(_("comment"), max_length=5000)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    objects = WatchedManager()

    class Meta:
        ordering = ["answer", "created_at", "pk"]
        verbose_name = _("comment")
        verbose_name_plural = _("comments")

    def __str__(self) -> str:
        return f"{self.author} @ {self.created_at:%Y-%m-%d %H:%M}"


class Extension(models.Model):
    """The secretariat lets one unit change answers after the window closed, until a day."""

    period = models.ForeignKey(
        Period, on_delete=models.CASCADE, related_name="extensions", verbose_name=_("period")
    )
    unit = models.ForeignKey(
        Unit, on_delete=models.CASCADE, related_name="extensions", verbose_name=_("unit")
    )
    until = models.DateField(_("until (inclusive)"))
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("granted by"),
    )
    granted_at = models.DateTimeField(_("granted at"), default=timezone.now, editable=False)

    objects = WatchedManager()

    class Meta:
        ordering = ["period", "unit"]
        verbose_name = _("extension")
        verbose_name_plural = _("extensions")
        constraints = [
            models.UniqueConstraint(fields=["period", "unit"], name="extension_unique_unit"),
        ]

    def __str__(self) -> str:
        return f"{self.unit} → {self.until}"


class AuditEvent(models.Model):
    """Who did what, when, from where. Append-only: nobody edits or deletes the trail."""

    class Action(models.TextChoices):
        ANSWER_SAVE = "answer.save", _("Answer saved")
        ANSWER_SUBMIT = "answer.submit", _("Answer submitted")
        ANSWER_REQUEST_REVISION = "answer.request_revision", _("Revision requested")
        ANSWER_APPROVE = "answer.approve", _("Answer approved")
        ANSWER_REOPEN = "answer.reopen", _("Answer reopened")
        POINTS_CHANGE = "answer.points", _("Points changed")
        EVIDENCE_UPLOAD = "evidence.upload", _("File uploaded")
        EVIDENCE_LINK = "evidence.link", _("Link added")
        EVIDENCE_REMOVE = "evidence.remove", _("Evidence removed")
        EVIDENCE_DOWNLOAD = "evidence.download", _("File downloaded")
        DOCUMENT_REGISTER = "document.register", _("Document registered")
        DOCUMENT_ATTACH = "document.attach", _("Registered document attached")
        COMMENT_ADD = "comment.add", _("Comment added")
        EXTENSION_GRANT = "extension.grant", _("Extension granted")
        INSTRUMENT_IMPORT = "instrument.import", _("Instrument imported")
        PERIOD_CHANGE = "period.change", _("Period changed")
        PEOPLE_IMPORT = "people.import", _("Units and people imported")
        ACCOUNT_CREATE = "account.create", _("Account created")
        ACCOUNT_CHANGE = "account.change", _("Account changed")
        EXPORT = "export", _("Export downloaded")
        CARRY_OVER = "period.carry_over", _("Answers proposed from last year")
        QUESTION_PAIR = "question.pair", _("Question pair decided")
        DOCUMENT_RENEW = "document.renew", _("Document renewed")
        ADMIN_CHANGE = "admin.change", _("Changed in the admin")
        PASSWORD_RESET_REQUEST = "password.reset_request", _("Password reset requested")
        EMAIL_CHANGE_REQUEST = "email.change_request", _("New email address proposed")
        EMAIL_CHANGE_CONFIRM = "email.change_confirm", _("New email address confirmed")
        EMAIL_CHANGE_CANCEL = "email.change_cancel", _("New email address cancelled")
        RETURN_RECORD = "return.record", _("Question returned by the province")
        RETURN_REPLY = "return.reply", _("Reply to the province")
        RETURN_CLOSE = "return.close", _("Provincial return closed")
        OFFICIAL_POINTS = "official.points", _("Official points recorded")
        TASK_FORCE_CHANGE = "task_force.change", _("Task force changed")
        COORDINATOR_RETURN = "coordinator.return", _("Returned by the cluster coordinator")
        COORDINATOR_CHECK = "coordinator.check", _("Checked by the cluster coordinator")

    created_at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("who"),
    )
    action = models.CharField(_("what"), max_length=40, choices=Action, db_index=True)
    ip_address = models.GenericIPAddressField(_("from address"), null=True, blank=True)
    period = models.ForeignKey(
        Period,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("period"),
    )
    unit = models.ForeignKey(
        Unit,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("unit"),
    )
    answer = models.ForeignKey(
        Answer,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="audit_events",
        verbose_name=_("answer"),
    )
    summary = models.CharField(_("summary"), max_length=500, blank=True)
    data = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit trail")

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor} {self.action}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("The audit trail is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("The audit trail is append-only.")


class Notice(models.Model):
    """What the secretariat decided about a unit's answer, for the unit's people to read in
    the product (not only in mail): revision requests and approvals."""

    class Kind(models.TextChoices):
        REVISION_REQUESTED = "revision_requested", _("Revision requested")
        APPROVED = "approved", _("Approved")
        APPROVED_FEWER = "approved_fewer", _("Approved with fewer points")
        COORDINATOR_RETURNED = "coordinator_returned", _("Returned by the cluster coordinator")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notices",
        verbose_name=_("for"),
    )
    answer = models.ForeignKey(
        Answer, on_delete=models.CASCADE, related_name="notices", verbose_name=_("answer")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind)
    note = models.TextField(_("reviewer's note"), blank=True, max_length=5000)
    created_at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("notice")
        verbose_name_plural = _("notices")
        indexes = [models.Index(fields=["user", "-created_at"], name="notice_user_idx")]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_kind_display()} · {self.answer}"


class EmailChange(models.Model):
    """A new address waiting to become an account's. It counts only once somebody opens the
    link sent to it: whoever may type an account's address (the people import, the admin)
    could otherwise point it at a mailbox they read and reset its password. Until then mail
    and password resets go to the old address, which is told and may cancel the change.
    Only the SHA-256 of each link's key is stored."""

    LIFETIME = datetime.timedelta(days=7)

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="email_changes",
        verbose_name=_("account"),
    )
    new_email = models.EmailField(_("new email address"))
    confirm_hash = models.CharField(max_length=64, unique=True, editable=False)
    cancel_hash = models.CharField(max_length=64, unique=True, editable=False)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("requested by"),
    )
    created_at = models.DateTimeField(_("requested at"), default=timezone.now)
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("email address change")
        verbose_name_plural = _("email address changes")
        constraints = [
            # At most one change waits per account: a newer request replaces the older one.
            models.UniqueConstraint(
                fields=["user"],
                condition=Q(confirmed_at__isnull=True, cancelled_at__isnull=True),
                name="email_change_one_pending",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} → {self.new_email}"

    @property
    def expires_at(self) -> datetime.datetime:
        return self.created_at + self.LIFETIME

    def is_pending(self, now=None) -> bool:
        """Neither confirmed nor cancelled, and its links still valid."""
        now = now or timezone.now()
        return self.confirmed_at is None and self.cancelled_at is None and now < self.expires_at


class ProvincialReturn(models.Model):
    """A question the province returned at its administrative verification, with its note and
    a deadline: the district answers (a reply, and the answering units' corrections), then
    the secretariat closes it. While it is not closed the question's answering units may
    change their answers even in a closed or locked period (opd.deadlines decides)."""

    class Status(models.TextChoices):
        OPEN = "open", _("Returned")
        ANSWERED = "answered", _("Answered")
        CLOSED = "closed", _("Closed")

    question = models.ForeignKey(
        Question,
        on_delete=models.CASCADE,
        related_name="provincial_returns",
        verbose_name=_("question"),
    )
    status = models.CharField(_("status"), max_length=10, choices=Status, default=Status.OPEN)
    note = models.TextField(_("province's note"), max_length=5000)
    deadline = models.DateField(_("answer by"))
    reply = models.TextField(_("district's reply"), blank=True, max_length=5000)
    returned_at = models.DateTimeField(_("returned at"), default=timezone.now)
    returned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    replied_at = models.DateTimeField(_("replied at"), null=True, blank=True)
    replied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("replied by"),
    )
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("closed by"),
    )
    # The answers' states before the return (answer id -> status), so that closing it gives
    # an approved answer its approval back: in a locked period nobody could approve it again.
    answers_before = models.JSONField(_("answers before the return"), default=dict, blank=True)

    objects = WatchedManager()

    class Meta:
        ordering = ["-returned_at", "-pk"]
        verbose_name = _("provincial return")
        verbose_name_plural = _("provincial returns")
        constraints = [
            models.UniqueConstraint(
                fields=["question"],
                condition=~Q(status="closed"),
                name="provincialreturn_one_open_per_question",
            ),
            models.CheckConstraint(condition=~Q(note=""), name="provincialreturn_note_not_empty"),
        ]

    def __str__(self) -> str:
        return f"{self.question} · {self.get_status_display()}"

    @property
    def is_open(self) -> bool:
        return self.status != self.Status.CLOSED


class TaskForce(models.Model):
    """A year's task force (Gugus Tugas KLA) as the Bupati's decree sets it up: the decree,
    registered once in the document library (an SK), and its members (TaskForceMember)."""

    period = models.OneToOneField(
        Period, on_delete=models.CASCADE, related_name="task_force", verbose_name=_("period")
    )
    decree = models.ForeignKey(
        Document,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="task_forces",
        verbose_name=_("Bupati's decree"),
        help_text=_("The SK that sets up the task force, registered in the document library."),
    )

    objects = WatchedManager()

    class Meta:
        ordering = ["-period__year"]
        verbose_name = _("task force")
        verbose_name_plural = _("task forces")

    def __str__(self) -> str:
        return f"{_('Task force')} {self.period}"


class TaskForceMember(models.Model):
    """A person the decree names, with their role in it and where they come from.

    A cluster coordinator carries its unit and its group: that row is the one stored fact of
    which unit coordinates a group in the year (opd.access.coordinated_group_ids reads it). The
    decree names the coordinator; a second table saying the same could drift from it."""

    class Role(models.TextChoices):
        CHAIR = "chair", _("Chair")
        SECRETARIAT = "secretariat", _("Secretariat")
        COORDINATOR = "coordinator", _("Cluster coordinator")
        MEMBER = "member", _("Member")

    class Origin(models.TextChoices):
        AGENCY = "agency", _("Agency (OPD)")
        FORUM_ANAK = "forum_anak", _("Forum Anak")
        BUSINESS = "business", _("Business")
        MEDIA = "media", _("Media")
        COMMUNITY = "community", _("Community organisation")

    # The order the decree lists them in: chair, secretariat, coordinators, members.
    ROLE_ORDER = {Role.CHAIR: 0, Role.SECRETARIAT: 1, Role.COORDINATOR: 2, Role.MEMBER: 3}

    task_force = models.ForeignKey(
        TaskForce, on_delete=models.CASCADE, related_name="members", verbose_name=_("task force")
    )
    role = models.CharField(_("role in the decree"), max_length=12, choices=Role)
    origin = models.CharField(_("comes from"), max_length=12, choices=Origin, default=Origin.AGENCY)
    name = models.CharField(_("name"), max_length=200)
    position = models.CharField(
        _("position"), max_length=200, blank=True, help_text=_("For example “Kepala Bappeda”.")
    )
    unit = models.ForeignKey(
        Unit,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="task_force_seats",
        verbose_name=_("unit"),
        help_text=_("The agency (or Forum Anak, business, media) the member comes from."),
    )
    group = models.ForeignKey(
        "indicators.Group",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="coordinators",
        verbose_name=_("cluster coordinated"),
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    objects = WatchedManager()

    class Meta:
        ordering = ["task_force", "order", "pk"]
        verbose_name = _("task force member")
        verbose_name_plural = _("task force members")
        constraints = [
            models.CheckConstraint(condition=~Q(name=""), name="taskforcemember_name_not_empty"),
            # A coordinator is a unit over a group; nobody else carries a group.
            models.CheckConstraint(
                condition=(Q(role="coordinator") & Q(group__isnull=False) & Q(unit__isnull=False))
                | (~Q(role="coordinator") & Q(group__isnull=True)),
                name="taskforcemember_coordinator_has_unit_and_group",
            ),
            models.UniqueConstraint(
                fields=["group"],
                condition=Q(role="coordinator"),
                name="taskforcemember_one_coordinator_per_group",
                violation_error_message=_("The cluster has a coordinator already."),
            ),
            models.UniqueConstraint(
                fields=["task_force"],
                condition=Q(role="chair"),
                name="taskforcemember_one_chair",
                violation_error_message=_("The task force has a chair already."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_role_display()})"
