"""Admin for the plan and reference data, with search and filters."""

from django.contrib import admin

from priorities import models


@admin.register(models.Plan)
class PlanAdmin(admin.ModelAdmin):
    list_display = ["title", "organisation", "period"]


class PriorityInline(admin.TabularInline):
    model = models.Priority
    fields = ["number", "title", "wording_status", "restricted"]
    extra = 0


@admin.register(models.Theme)
class ThemeAdmin(admin.ModelAdmin):
    list_display = ["number", "title"]
    search_fields = ["title", "summary"]
    inlines = [PriorityInline]


@admin.register(models.Priority)
class PriorityAdmin(admin.ModelAdmin):
    list_display = ["number", "title", "theme", "wording_status", "restricted"]
    list_filter = ["theme", "wording_status", "restricted"]
    search_fields = ["title", "summary", "restricted_narrative"]


@admin.register(models.Measure)
class MeasureAdmin(admin.ModelAdmin):
    list_display = ["code", "title", "unit", "direction", "frequency", "under_reported", "restricted", "msg_comparable"]
    list_filter = ["unit", "direction", "frequency", "under_reported", "restricted", "msg_comparable", "priorities"]
    search_fields = ["code", "title", "definition", "caveats"]
    filter_horizontal = ["priorities"]


@admin.register(models.Area)
class AreaAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "kind", "parent", "region"]
    list_filter = ["kind", "region"]
    search_fields = ["code", "name"]


@admin.register(models.Population)
class PopulationAdmin(admin.ModelAdmin):
    list_display = ["area", "mid_year", "population", "source"]
    list_filter = ["mid_year", "area__kind"]
    search_fields = ["area__name", "area__code"]


class PeerGroupMemberInline(admin.TabularInline):
    model = models.PeerGroupMember
    extra = 0


@admin.register(models.PeerGroup)
class PeerGroupAdmin(admin.ModelAdmin):
    list_display = ["name", "focus_area", "source"]
    search_fields = ["name"]
    inlines = [PeerGroupMemberInline]


@admin.register(models.OutcomeType)
class OutcomeTypeAdmin(admin.ModelAdmin):
    list_display = ["scheme", "code", "name", "outcome_group", "in_use_from", "order"]
    list_filter = ["scheme", "outcome_group"]
    search_fields = ["code", "name"]


@admin.register(models.Office)
class OfficeAdmin(admin.ModelAdmin):
    """Read here; changed through the plan file (import_plan), which derives the peer group and submitters."""

    list_display = ["name", "title", "force_code", "scrutiny_body"]


@admin.register(models.District)
class DistrictAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "csp", "lookup_year"]
    list_filter = ["lookup_year"]
    search_fields = ["code", "name", "csp__name", "csp__code"]
