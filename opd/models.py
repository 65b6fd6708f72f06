"""Who answers: units (OPD, kecamatan, desa, lembaga), people and their roles, assignments."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from indicators.models import Question


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


class Assignment(models.Model):
    """A question given to a unit: one lead unit answers, supporting units add evidence."""

    class Role(models.TextChoices):
        LEAD = "lead", _("Lead")
        SUPPORT = "support", _("Supporting")

    question = models.ForeignKey(
        Question, on_delete=models.CASCADE, related_name="assignments", verbose_name=_("question")
    )
    unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="assignments", verbose_name=_("unit")
    )
    role = models.CharField(_("role"), max_length=10, choices=Role, default=Role.SUPPORT)

    class Meta:
        ordering = ["question", "-role", "unit__name"]
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

    def __str__(self) -> str:
        return f"{self.question} → {self.unit} ({self.get_role_display()})"


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
