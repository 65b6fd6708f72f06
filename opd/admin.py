from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin

from opd.models import Answer, Assignment, AuditEvent, Extension, Profile, Unit


@admin.register(Unit)
class UnitAdmin(admin.ModelAdmin):
    list_display = ["short_name", "name", "kind", "parent", "is_secretariat", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["name", "short_name"]
    list_select_related = ["parent"]


@admin.register(Assignment)
class AssignmentAdmin(admin.ModelAdmin):
    list_display = ["question", "unit", "role"]
    list_filter = ["role", "unit", "question__indicator__group__period"]
    list_select_related = ["question__indicator", "unit"]
    autocomplete_fields = ["unit"]
    raw_id_fields = ["question"]


class ProfileInline(admin.StackedInline):
    model = Profile
    can_delete = False
    filter_horizontal = ["units"]


User = get_user_model()
admin.site.unregister(User)


@admin.register(User)
class KlaUserAdmin(UserAdmin):
    inlines = [ProfileInline]
    list_display = ["username", "email", "first_name", "last_name", "profile__role", "is_active"]
    list_select_related = ["profile"]
    list_filter = ["profile__role", "is_active", "is_staff"]


@admin.register(Answer)
class AnswerAdmin(admin.ModelAdmin):
    """Read-only: answers change through the workflow services, never by hand."""

    list_display = ["question", "unit", "status", "claimed_points", "verified_points", "updated_at"]
    list_filter = ["status", "question__indicator__group__period", "unit"]
    list_select_related = ["question__indicator", "unit"]
    search_fields = ["question__code", "question__text", "unit__name"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Extension)
class ExtensionAdmin(admin.ModelAdmin):
    list_display = ["period", "unit", "until", "granted_by", "granted_at"]
    list_filter = ["period"]
    list_select_related = ["period", "unit", "granted_by"]

    def has_add_permission(self, request):
        return False  # granted through the secretariat's page, which writes the audit trail

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ["created_at", "actor", "action", "unit", "summary", "ip_address"]
    list_filter = ["action", "period"]
    list_select_related = ["actor", "unit"]
    search_fields = ["summary", "actor__username"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
