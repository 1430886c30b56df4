"""Admin for boards, meetings, commentary and annotations (snapshots are read-only)."""

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin

from pcc_dashboard.admin_bases import ReadOnlyAdmin
from pcc_dashboard.authenticator import setup_link_issue
from reports import models


@admin.register(models.Snapshot)
class SnapshotAdmin(ReadOnlyAdmin):
    list_display = ["as_of", "frozen_at", "frozen_by_name", "digest", "observation_count"]


class MeetingInline(admin.TabularInline):
    model = models.Meeting
    extra = 0


@admin.register(models.Board)
class BoardAdmin(admin.ModelAdmin):
    list_display = ["name", "audience_role", "frequency", "is_panel"]
    search_fields = ["name"]
    inlines = [MeetingInline]


@admin.register(models.Meeting)
class MeetingAdmin(admin.ModelAdmin):
    list_display = ["board", "date", "title", "theme_override"]
    list_filter = ["board"]
    date_hierarchy = "date"


@admin.register(models.Commentary)
class CommentaryAdmin(admin.ModelAdmin):
    list_display = ["snapshot", "measure", "theme", "author", "updated_at"]
    list_filter = ["snapshot"]
    search_fields = ["text"]


@admin.register(models.Annotation)
class AnnotationAdmin(admin.ModelAdmin):
    list_display = ["date", "measure", "area", "label", "recalculate_limits"]
    list_filter = ["measure"]
    search_fields = ["label", "text"]


# Staff administrators issue authenticator set-up links from the user list.
_User = get_user_model()


@admin.action(description="Issue a one-time authenticator set-up link")
def issue_authenticator_link(modeladmin, request, queryset):
    for user in queryset.filter(is_active=True):
        link = request.build_absolute_uri(setup_link_issue(user=user))
        modeladmin.message_user(request, f"Set-up link for {user.get_username()} (works once, for 3 days): {link}")


if admin.site.is_registered(_User):
    admin.site.unregister(_User)


@admin.register(_User)
class PccUserAdmin(UserAdmin):
    actions = [*UserAdmin.actions, issue_authenticator_link]
