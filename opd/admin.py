from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin

from opd.models import Assignment, Profile, Unit


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
