from django.contrib import admin

from indicators.models import Group, Indicator, Period, Question, RankBand


class RankBandInline(admin.TabularInline):
    model = RankBand
    extra = 0


@admin.register(Period)
class PeriodAdmin(admin.ModelAdmin):
    list_display = ["year", "status", "window_opens", "window_closes", "entry_date", "target_rank"]
    list_filter = ["status"]
    inlines = [RankBandInline]
    # Locking goes through the secretariat's page, which writes the audit trail and the
    # milestone snapshot; the admin must not bypass it.
    readonly_fields = ["status"]


@admin.register(Group)
class GroupAdmin(admin.ModelAdmin):
    list_display = ["name", "period", "order", "declared_max_points"]
    list_filter = ["period"]


@admin.register(Indicator)
class IndicatorAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "group", "order", "max_points"]
    list_filter = ["group__period", "group"]
    list_select_related = ["group"]
    search_fields = ["code", "name"]


@admin.register(Question)
class QuestionAdmin(admin.ModelAdmin):
    list_display = ["code", "indicator", "max_points", "evidence", "every_kecamatan", "every_desa"]
    list_filter = ["indicator__group__period", "indicator__group", "evidence"]
    list_select_related = ["indicator", "indicator__group"]
    search_fields = ["code", "text"]
