"""Admin for submitters, data sets and returns (read-mostly: returns change through services)."""

from django.contrib import admin

from pcc_dashboard.admin_bases import ReadOnlyAdmin, ServiceOwnedAdmin
from returns import models


class DataSetItemInline(admin.TabularInline):
    model = models.DataSetItem
    extra = 0


@admin.register(models.Submitter)
class SubmitterAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "kind", "area"]
    list_filter = ["kind"]
    search_fields = ["code", "name"]
    inlines = [DataSetItemInline]


@admin.register(models.SubmitterMembership)
class SubmitterMembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "submitter"]
    list_filter = ["submitter"]
    search_fields = ["user__username"]


@admin.register(models.ReturnPeriod)
class ReturnPeriodAdmin(admin.ModelAdmin):
    list_display = ["__str__", "kind", "start", "end", "due_date"]
    list_filter = ["kind"]


@admin.register(models.Return)
class ReturnAdmin(ServiceOwnedAdmin):
    list_display = [
        "__str__",
        "status",
        "is_current",
        "source",
        "row_count",
        "uploaded_by",
        "uploaded_at",
    ]
    list_filter = ["status", "is_current", "source", "submitter"]
    search_fields = ["original_name", "sha256"]


@admin.register(models.OutcomeAudit)
class OutcomeAuditAdmin(admin.ModelAdmin):
    list_display = ["month", "area", "crime_group", "sampled", "correct", "entered_by"]
    list_filter = ["crime_group", "area"]


@admin.register(models.AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ["at", "action", "user", "submitter", "summary"]
    list_filter = ["action", "submitter"]
    search_fields = ["summary"]
