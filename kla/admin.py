"""The Django admin for administrators: every product model, in one place, audited.

It lives in the top app because it reads every app's models and writes the product's audit
trail (opd), which the instrument's app must not import. Two rules hold here:
- a locked period's bands and instrument are read-only (the models refuse the change too);
- every addition, change and deletion made here lands in the product's audit trail, with the
  old and new value of each field changed, next to Django's own LogEntry.
"""

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.utils.translation import gettext as _

from core.errors import DomainError
from indicators.models import (
    AnswerOption,
    Group,
    Indicator,
    Period,
    Question,
    RankBand,
    ScoreSnapshot,
)
from kla.models import ApiToken
from opd.assignments import question_assignments_sync, unit_assignments_sync
from opd.audit import audit_log, client_ip
from opd.email_changes import email_change_request
from opd.models import Answer, Assignment, AuditEvent, Extension, Profile, Unit, UnitAlias


def _shown(value) -> str:
    return "" if value is None else str(value)[:200]


class AuditedAdmin(admin.ModelAdmin):
    """Copies each admin write into the product's audit trail (AuditEvent.Action.ADMIN_CHANGE).

    Django calls log_addition / log_change / log_deletions for every write the admin makes,
    inlines included (their names appear in the change message); save_model keeps the main
    form's old and new values for log_change, which sees only the field names.
    """

    def save_model(self, request, obj, form, change):
        if change:
            request._kla_admin_fields = {
                name: [_shown(form.initial.get(name)), _shown(form.cleaned_data.get(name))]
                for name in form.changed_data
            }
        super().save_model(request, obj, form, change)

    def _audit(self, request, obj, operation: str, message) -> None:
        audit_log(
            action=AuditEvent.Action.ADMIN_CHANGE,
            actor=request.user,
            ip=client_ip(request),
            summary=f"{operation} {obj._meta.verbose_name}: {obj}",
            data={
                "operation": operation,
                "model": obj._meta.label,
                "object_id": str(obj.pk),
                "object": str(obj),
                "message": str(message),
                "fields": getattr(request, "_kla_admin_fields", {})
                if operation == "change"
                else {},
            },
        )

    def log_addition(self, request, obj, message):
        self._audit(request, obj, "add", message)
        return super().log_addition(request, obj, message)

    def log_change(self, request, obj, message):
        self._audit(request, obj, "change", message)
        return super().log_change(request, obj, message)

    def log_deletions(self, request, queryset):
        for obj in queryset:
            self._audit(request, obj, "delete", "")
        return super().log_deletions(request, queryset)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows written only by the product's services (they check the rules and audit)."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class LockAwareAdmin(AuditedAdmin):
    """Read-only for an object whose period is locked; the model refuses the write anyway."""

    def _locked(self, obj) -> bool:
        return obj is not None and obj.in_locked_period()

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and not self._locked(obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and not self._locked(obj)


# --- The instrument -------------------------------------------------------------------------


class RankBandInline(admin.TabularInline):
    model = RankBand
    extra = 0

    def _locked(self, obj) -> bool:
        return obj is not None and obj.is_locked

    def has_add_permission(self, request, obj=None):
        return super().has_add_permission(request, obj) and not self._locked(obj)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and not self._locked(obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and not self._locked(obj)


@admin.register(Period)
class PeriodAdmin(AuditedAdmin):
    list_display = ["year", "status", "window_opens", "window_closes", "entry_date", "target_rank"]
    list_filter = ["status"]
    inlines = [RankBandInline]
    # Locking goes through the secretariat's page, which writes the audit trail and the
    # milestone snapshot; the admin must not bypass it.
    readonly_fields = ["status"]

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and not (obj and obj.is_locked)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and not (obj and obj.is_locked)


@admin.register(RankBand)
class RankBandAdmin(LockAwareAdmin):
    list_display = ["period", "name", "lower_bound"]
    list_filter = ["period"]


@admin.register(Group)
class GroupAdmin(LockAwareAdmin):
    list_display = ["name", "period", "order", "declared_max_points"]
    list_filter = ["period"]


@admin.register(Indicator)
class IndicatorAdmin(LockAwareAdmin):
    list_display = ["code", "name", "group", "order", "max_points"]
    list_filter = ["group__period", "group"]
    list_select_related = ["group"]
    search_fields = ["code", "name"]


class AnswerOptionInline(admin.TabularInline):
    """A question's answer options, edited with the question (read-only once it is locked)."""

    model = AnswerOption
    extra = 0


@admin.register(Question)
class QuestionAdmin(LockAwareAdmin):
    inlines = [AnswerOptionInline]
    list_display = ["code", "indicator", "max_points", "evidence", "every_kecamatan", "every_desa"]
    list_filter = ["indicator__group__period", "indicator__group", "evidence"]
    list_select_related = ["indicator", "indicator__group"]
    search_fields = ["code", "text"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if {"every_kecamatan", "every_desa"} & set(form.changed_data):
            question_assignments_sync(question=obj)  # who answers follows the flags


@admin.register(ScoreSnapshot)
class ScoreSnapshotAdmin(ReadOnlyAdmin):
    list_display = ["period", "taken_at", "reason", "claimed", "verified", "rank_verified"]
    list_filter = ["period", "reason"]


# --- Units, people and answers --------------------------------------------------------------


@admin.register(Unit)
class UnitAdmin(AuditedAdmin):
    list_display = ["short_name", "name", "kind", "parent", "is_secretariat", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["name", "short_name"]
    list_select_related = ["parent"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if not change or {"kind", "is_active"} & set(form.changed_data):
            unit_assignments_sync(unit=obj)  # a new kecamatan answers the per-unit questions


@admin.register(UnitAlias)
class UnitAliasAdmin(AuditedAdmin):
    """Names remembered from imports' mapping steps; a wrong one is corrected here."""

    list_display = ["name", "unit"]
    search_fields = ["name", "unit__name"]
    list_select_related = ["unit"]


@admin.register(Assignment)
class AssignmentAdmin(ReadOnlyAdmin):
    """Read only: who answers is set by the instrument import and kept in step with the units
    by opd/assignments.py (one lead, a row for every active kecamatan or desa, supporters and
    coordinators as listed). A row added or changed here by hand would bypass that rule, e.g.
    a second lead or a kecamatan left out of a table, so the admin only shows them."""

    list_display = ["question", "unit", "role"]
    list_filter = ["role", "unit", "question__indicator__group__period"]
    list_select_related = ["question__indicator", "unit"]


class ProfileInline(admin.StackedInline):
    model = Profile
    can_delete = False
    exclude = ["unread_notices"]  # a counter the notices keep, not something to edit
    filter_horizontal = ["units"]


User = get_user_model()
admin.site.unregister(User)


@admin.register(User)
class KlaUserAdmin(AuditedAdmin, UserAdmin):
    inlines = [ProfileInline]
    list_display = ["username", "email", "first_name", "last_name", "profile__role", "is_active"]
    list_select_related = ["profile"]
    list_filter = ["profile__role", "is_active", "is_staff"]

    def save_model(self, request, obj, form, change):
        """A new address typed here is only proposed (opd/email_changes.py): the account keeps
        its address, and its password resets, until the new one confirms it."""
        proposed = None
        if change and "email" in form.changed_data:
            proposed, obj.email = obj.email, form.initial.get("email", "")
        super().save_model(request, obj, form, change)
        if proposed:
            try:
                email_change_request(
                    user=obj, new_email=proposed, actor=request.user, ip=client_ip(request)
                )
            except DomainError as error:
                messages.error(request, error.message)
            else:
                messages.warning(
                    request,
                    _("The new address %(e)s counts once its owner opens the link sent to it.")
                    % {"e": proposed},
                )


@admin.register(Answer)
class AnswerAdmin(ReadOnlyAdmin):
    """Answers change through the workflow services, never by hand."""

    list_display = ["question", "unit", "status", "claimed_points", "verified_points", "updated_at"]
    list_filter = ["status", "question__indicator__group__period", "unit"]
    list_select_related = ["question__indicator", "unit"]
    search_fields = ["question__code", "question__text", "unit__name"]


@admin.register(Extension)
class ExtensionAdmin(AuditedAdmin):
    """Granted through the secretariat's page, which checks the dates; withdrawing one here is
    allowed (and audited)."""

    list_display = ["period", "unit", "until", "granted_by", "granted_at"]
    list_filter = ["period"]
    list_select_related = ["period", "unit", "granted_by"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "actor", "action", "unit", "summary", "ip_address"]
    list_filter = ["action", "period"]
    list_select_related = ["actor", "unit"]
    search_fields = ["summary", "actor__username"]


@admin.register(ApiToken)
class ApiTokenAdmin(AuditedAdmin):
    list_display = ["name", "user", "prefix", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = ["prefix", "created_at", "last_used_at"]
    list_select_related = ["user"]

    def has_add_permission(self, request):
        return False  # made with manage.py kla_api_token, which shows the key once
